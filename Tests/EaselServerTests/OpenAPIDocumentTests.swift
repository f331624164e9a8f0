import EaselCore
import EaselServer
import EaselTesting
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

/// The OpenAPI document stays true: every route the router serves under /api and /v1 (and the public machine
/// routes) is in it, it names no route the router lacks, and the server hands out the committed file.
@Suite struct OpenAPIDocumentTests {
    /// The studio's HTML pages and assets: a browser's, not an API client's.
    static let studioPages: Set<String> = [
        "/", "/account", "/admin", "/batches", "/batches/{id}", "/compare", "/create", "/gallery", "/images/{id}", "/review",
        "/signin", "/templates", "/templates/{id}", "/studio/{name}", "/favicon.ico",
    ]

    static func committedDocument() throws -> JSONValue {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Sources/EaselServer/OpenAPI/openapi.json")
        return try JSONParser.parse(Array(try Data(contentsOf: url)))
    }

    static func operations(in document: JSONValue) -> Set<String> {
        guard case .object(let paths)? = document["paths"] else { return [] }
        var out: Set<String> = []
        for (path, item) in paths {
            guard case .object(let methods) = item else { continue }
            for method in methods.keys where ["get", "post", "put", "patch", "delete"].contains(method) {
                out.insert("\(method.uppercased()) \(path)")
            }
        }
        return out
    }

    @Test func everyRouteIsDocumentedAndNothingElse() async throws {
        let data = try TemporaryDirectory()
        let runtime = try await TestSupport.runtime(data: data, workers: 0)
        let served = Set(
            buildRouter(runtime: runtime).routes.map { (method: $0.method.rawValue, path: "\($0.path)") }
                .filter { !Self.studioPages.contains($0.path) }.map { "\($0.method) \($0.path)" }
        )
        try await runtime.close()
        let document = try Self.committedDocument()
        #expect(document["openapi"]?.stringValue == "3.1.0")
        let documented = Self.operations(in: document)
        #expect(served.count > 100)
        #expect(served.subtracting(documented).sorted() == [], "routes the OpenAPI document lacks")
        #expect(documented.subtracting(served).sorted() == [], "documented routes the router does not serve")
    }

    @Test func theServerHandsOutTheCommittedDocument() async throws {
        let committed = try Self.committedDocument()
        try await AppHarness.run(workers: 0) { client, _ in
            // Public: no key needed.
            let response = try await client.executeRequest(uri: "/openapi.json", method: .get, headers: [.authorization: "none"], body: nil)
            #expect(response.status == .ok)
            #expect(response.headers[.contentType] == "application/json")
            #expect(try JSONParser.parse(response.body.readableBytesView) == committed)
        }
    }
}
