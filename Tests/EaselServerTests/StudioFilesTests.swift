import EaselTesting
import HTTPTypes
import HummingbirdTesting
import Testing

/// The studio's files come out of the binary with their types, and revalidate instead of downloading again.
@Suite("Studio files")
struct StudioFilesTests {
    @Test func eachFileHasItsTypeAnETagAndAnswers304WhenUnchanged() async throws {
        try await AppHarness.run(workers: 0) { client, _ in
            let expected = [
                "/": ("text/html; charset=utf-8", "<script type=\"module\" src=\"/studio/studio.js\">"),
                "/studio/studio.css": ("text/css; charset=utf-8", "--accent"),
                "/studio/studio.js": ("text/javascript; charset=utf-8", "/api/jobs"),
            ]
            for (path, (type, marker)) in expected {
                // No key: the studio's files are public.
                let response = try await client.get(path, headers: [.authorization: "none"])
                #expect(response.status == .ok, "\(path)")
                #expect(response.headers[.contentType] == type, "\(path)")
                #expect(response.headers[.cacheControl] == "no-cache", "\(path)")
                #expect(response.text.contains(marker), "\(path)")
                let etag = try #require(response.headers[.eTag])
                let again = try await client.get(path, headers: [.authorization: "none", .ifNoneMatch: etag])
                #expect(again.status == .notModified, "\(path)")
                #expect(again.body.readableBytes == 0)
            }
            // Nothing else is served from there.
            #expect(try await client.get("/studio/secret.swift", headers: [.authorization: "none"]).status == .notFound)
        }
    }
}
