import EaselTesting
import HTTPTypes
import HummingbirdTesting
import Testing

/// Request metrics are labelled by route pattern, for public, authenticated and refused requests alike.
@Suite("Request metrics")
struct MetricsTests {
    @Test func routesAreLabelledByTheirPatternWhateverTheirGroup() async throws {
        try await AppHarness.run { client, _ in
            #expect(try await client.post("/v1/images/generations", json: ["prompt": "metrics", "size": "64x64"]).status == .ok)
            let id = try #require(try await client.get("/api/assets").json["data"]?.arrayValue?.first?["id"]?.stringValue)
            #expect(try await client.get("/api/assets/\(id)").status == .ok)
            #expect(try await client.get("/api/me", headers: [.authorization: "none"]).status == .unauthorized)
            #expect(try await client.get("/healthz", headers: [.authorization: "none"]).status == .ok)

            let metrics = try await client.get("/metrics", headers: [.authorization: "none"]).text
            #expect(metrics.contains(#"route="/v1/images/generations""#) && metrics.contains(#"status="200""#))
            // The pattern, never the id (ids would explode the label set).
            #expect(metrics.contains(#"route="/api/assets/{id}""#))
            #expect(!metrics.contains(id))
            #expect(metrics.contains(#"route="/api/me""#) && metrics.contains(#"status="401""#))
            #expect(metrics.contains(#"route="/healthz""#))
        }
    }
}
