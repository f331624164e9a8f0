import EaselTesting
import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing

/// The studio's files come out of the binary with their types, and revalidate instead of downloading again;
/// every page of the studio is a URL that answers the shell, so it can be bookmarked and reloaded.
@Suite("Studio files")
struct StudioFilesTests {
    /// Every file in the studio's source folder, so a module that was written but not embedded fails here.
    static let sourceFolder = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../Sources/EaselServer/Studio/Resources").standardized.path
    static let sourceFiles = ((try? FileManager.default.contentsOfDirectory(atPath: sourceFolder)) ?? []).sorted()

    @Test func everyFileIsEmbeddedWithItsTypeAndAnETag() async throws {
        #expect(Self.sourceFiles.count > 10)
        try await AppHarness.run(workers: 0) { client, _ in
            for name in Self.sourceFiles {
                let path = name == "index.html" ? "/" : "/studio/\(name)"
                let type =
                    name.hasSuffix(".html")
                    ? "text/html; charset=utf-8" : name.hasSuffix(".css") ? "text/css; charset=utf-8" : "text/javascript; charset=utf-8"
                // No key: the studio's files are public.
                let response = try await client.get(path, headers: [.authorization: "none"])
                #expect(response.status == .ok, "\(path)")
                #expect(response.headers[.contentType] == type, "\(path)")
                #expect(response.headers[.cacheControl] == "no-cache", "\(path)")
                #expect(response.headers[.xContentTypeOptions] == "nosniff", "\(path)")
                let source = try String(contentsOfFile: Self.sourceFolder + "/" + name, encoding: .utf8)
                #expect(response.text == source, "\(path) is the file as written")
                let etag = try #require(response.headers[.eTag])
                let again = try await client.get(path, headers: [.authorization: "none", .ifNoneMatch: etag])
                #expect(again.status == .notModified, "\(path)")
                #expect(again.body.readableBytes == 0)
            }
            // Nothing else is served from there.
            for path in ["/studio/secret.swift", "/studio/index.html.bak", "/studio/..%2FPackage.swift", "/studio/nothing.js"] {
                let response = try await client.get(path, headers: [.authorization: "none"])
                #expect(response.status == .notFound, "\(path)")
                #expect(try response.errorObject["code"] == "not_found")
            }
        }
    }

    @Test func everyPageAnswersTheShell() async throws {
        try await AppHarness.run(workers: 0) { client, _ in
            let shell = try await client.get("/", headers: [.authorization: "none"]).text
            #expect(shell.contains(#"<script type="module" src="/studio/app.js">"#))
            let pages = [
                "/signin", "/create", "/images/img_0000", "/compare", "/gallery?q=cat&favorite=true", "/batches", "/batches/bat_1",
                "/review", "/templates", "/templates/tpl_1", "/account", "/admin",
            ]
            for page in pages {
                let response = try await client.get(page, headers: [.authorization: "none"])
                #expect(response.status == .ok, "\(page)")
                #expect(response.text == shell, "\(page)")
            }
            #expect(try await client.get("/no-such-page", headers: [.authorization: "none"]).status == .notFound)
            let icon = try await client.get("/favicon.ico", headers: [.authorization: "none"])
            #expect(icon.status == .ok && icon.headers[.contentType] == "image/svg+xml")
        }
    }

    @Test func aStudioDirectoryIsReadOnEveryRequestWhileEditing() async throws {
        let folder = try TemporaryDirectory()
        try "<!doctype html><p>edited".write(toFile: folder.path + "/index.html", atomically: true, encoding: .utf8)
        try "export const edited = 1;".write(toFile: folder.path + "/new-module.js", atomically: true, encoding: .utf8)
        try await AppHarness.run(workers: 0, configure: .with { $0.studioDirectory = folder.path }) { client, _ in
            #expect(try await client.get("/gallery", headers: [.authorization: "none"]).text == "<!doctype html><p>edited")
            let module = try await client.get("/studio/new-module.js", headers: [.authorization: "none"])
            #expect(module.text == "export const edited = 1;")
            #expect(module.headers[.contentType] == "text/javascript; charset=utf-8")
            try "export const edited = 2;".write(toFile: folder.path + "/new-module.js", atomically: true, encoding: .utf8)
            #expect(try await client.get("/studio/new-module.js", headers: [.authorization: "none"]).text == "export const edited = 2;")
            #expect(try await client.get("/studio/Secret.swift", headers: [.authorization: "none"]).status == .notFound)
        }
    }
}
