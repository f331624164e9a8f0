import EaselCore
import EaselServer
import EaselTesting
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Testing

/// `response_format=url` hands out capability URLs: they open without a key until they expire, and any
/// change to them is refused without saying what was wrong.
@Suite("Signed file links")
struct FileLinkTests {
    static let anonymous: HTTPFields = [.authorization: "none"]

    /// The path and query of an absolute URL.
    static func local(_ url: String) throws -> String {
        let components = try #require(URLComponents(string: url))
        return components.path + "?" + (components.query ?? "")
    }

    @Test func aReturnedURLOpensWithoutAKeyAndAChangedOneIsRefused() async throws {
        try await AppHarness.run { client, _ in
            // setup
            let response = try await client.post(
                "/v1/images/generations",
                json: [
                    "prompt": "a signed link", "size": "64x64", "n": 2, "response_format": "url",
                ]
            )
            #expect(response.status == .ok)
            let urls = try #require(try response.json["data"]?.arrayValue?.compactMap { $0["url"]?.stringValue })
            #expect(urls.count == 2)
            let first = try Self.local(urls[0])
            let second = try Self.local(urls[1])
            #expect(first.hasPrefix("/files/img_") && first.contains("exp=") && first.contains("sig="))

            // MUT: no key at all.
            let opened = try await client.get(first, headers: Self.anonymous)
            // validate
            #expect(opened.status == .ok)
            #expect(opened.headers[.contentType] == "image/png")
            #expect(ImageFormat.sniff(Array(buffer: opened.body)) == .png)
            #expect(opened.headers[.cacheControl]?.hasPrefix("private, max-age=") == true)

            // Another id under this link's signature, another expiry, another signature, or the thumbnail path:
            // all 403, with one body that does not say which part was wrong.
            let id = String(first.dropFirst("/files/".count).prefix { $0 != "?" })
            let otherID = String(second.dropFirst("/files/".count).prefix { $0 != "?" })
            let query = String(first.split(separator: "?")[1])
            let expiry = try #require(query.split(separator: "&").first { $0.hasPrefix("exp=") }?.dropFirst(4))
            let changed = [
                "/files/\(otherID)?\(query)",
                first.replacingOccurrences(of: "exp=\(expiry)", with: "exp=\(Int(expiry)! + 60)"),
                first.replacingOccurrences(of: "sig=", with: "sig=x"),
                "/files/\(id)/thumb?\(query)",
                "/files/\(id)?exp=\(expiry)",
                "/files/\(id)?sig=abc",
            ]
            var bodies: Set<String> = []
            for path in changed {
                let refused = try await client.get(path, headers: Self.anonymous)
                #expect(refused.status == .forbidden, "\(path)")
                #expect(try refused.errorObject["code"] == "invalid_file_link", "\(path)")
                bodies.insert(refused.text)
            }
            #expect(bodies.count == 1)
            #expect(!bodies.contains { $0.contains(id) || $0.contains(otherID) })
            // Without a link, the file still needs its owner's key.
            #expect(try await client.get("/files/\(id)", headers: Self.anonymous).status == .unauthorized)
            #expect(try await client.get("/files/\(id)").status == .ok)
        }
    }

    @Test func thumbnailsHaveLinksOfTheirOwnAndHiddenAssetsStopOpeningAtOnce() async throws {
        try await AppHarness.run { client, _ in
            let response = try await client.post("/v1/images/generations", json: ["prompt": "a thumb", "size": "64x64", "response_format": "url"])
            let url = try Self.local(try #require(try response.json["data"]?.arrayValue?.first?["url"]?.stringValue))
            let id = String(url.dropFirst("/files/".count).prefix { $0 != "?" })
            let asset = try await client.get("/api/assets/\(id)").json
            let thumb = try #require(asset["signed_thumbnail_url"]?.stringValue)
            let opened = try await client.get(thumb, headers: Self.anonymous)
            #expect(opened.status == .ok)
            #expect(ImageFormat.sniff(Array(buffer: opened.body)) == .webp)
            #expect(try await client.get(try #require(asset["signed_url"]?.stringValue), headers: Self.anonymous).status == .ok)

            // MUT
            #expect(try await client.post("/api/admin/assets/\(id)/hide", json: [:]).status == .ok)
            // validate
            #expect(try await client.get(url, headers: Self.anonymous).status == .notFound)
            #expect(try await client.get(thumb, headers: Self.anonymous).status == .notFound)
        }
    }

    @Test func aLinkStopsOpeningWhenItExpires() async throws {
        try await AppHarness.run(configure: .with { $0.fileLinkSeconds = 2 }) { client, _ in
            let response = try await client.post(
                "/v1/images/generations",
                json: ["prompt": "short-lived", "size": "64x64", "response_format": "url"]
            )
            let url = try Self.local(try #require(try response.json["data"]?.arrayValue?.first?["url"]?.stringValue))
            #expect(try await client.get(url, headers: Self.anonymous).status == .ok)
            // Expiry is rounded up to a whole second: after three, a two-second link is past it.
            try await Task.sleep(for: .milliseconds(3100))
            let expired = try await client.get(url, headers: Self.anonymous)
            #expect(expired.status == .forbidden)
            #expect(try expired.errorObject["code"] == "invalid_file_link")
        }
    }
}
