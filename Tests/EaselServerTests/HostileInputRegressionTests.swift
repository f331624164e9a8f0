import EaselCore
import EaselServer
import EaselTesting
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

/// Inputs the schemathesis run against a live `easel serve` found crashing or mis-answering the server; each
/// now gets a clear 4xx in the envelope and the server keeps answering.
@Suite struct HostileInputRegressionTests {
    static func expectEnvelope(_ response: TestResponse, status: HTTPResponse.Status, param: String? = nil) throws {
        #expect(response.status == status)
        let error = try response.errorObject
        #expect(error["message"]?.stringValue?.isEmpty == false)
        if let param { #expect(error["param"]?.stringValue == param) }
    }

    @Test func emptyTemplateReferencesNameNoTemplate() async throws {
        try await AppHarness.run(workers: 0) { client, _ in
            for reference in ["", "@", "@3"] {
                let job = try await client.post("/api/jobs", json: ["template": .string(reference), "prompt": "x"])
                #expect((400..<500).contains(Int(job.status.code)), "template '\(reference)' answered \(job.status)")
                #expect(try job.errorObject["message"] != nil)
            }
            try Self.expectEnvelope(try await client.get("/api/templates/@"), status: .notFound)
            #expect(try await client.get("/healthz").status == .ok)
        }
    }

    @Test func anEmptySharedCollectionHasNoNumberedImage() async throws {
        try await AppHarness.run(workers: 0) { client, _ in
            let collection = try await client.post("/api/collections", json: ["name": "empty"]).json
            let id = try #require(collection["id"]?.stringValue)
            let share = try await client.post("/api/collections/\(id)/share", json: [:]).json
            let token = try #require(share["token"]?.stringValue)
            for number in ["0", "1", "-1"] {
                let response = try await client.executeRequest(
                    uri: "/s/\(token)/\(number)",
                    method: .get,
                    headers: [.authorization: "none"],
                    body: nil
                )
                try Self.expectEnvelope(response, status: .notFound)
            }
            #expect(try await client.get("/healthz").status == .ok)
        }
    }

    @Test func grantsCannotOverflowABalance() async throws {
        try await AppHarness.run(workers: 0) { client, runtime in
            let user = try await runtime.accounts.createUser(name: "rich", role: .user, plan: "registered", password: nil)
            try Self.expectEnvelope(
                try await client.post("/api/admin/users/\(user.id)/credits", json: ["usd": "999999999999.999999"]),
                status: .badRequest,
                param: "usd"
            )
            for _ in 0..<1000 {
                let granted = try await client.post("/api/admin/users/\(user.id)/credits", json: ["usd": "1000000000"])
                guard granted.status == .ok else {
                    try Self.expectEnvelope(granted, status: .badRequest, param: "usd")
                    break
                }
            }
            #expect(try await runtime.accounts.user(id: user.id).balanceMicros == Money.maxBalanceMicros)
        }
    }

    @Test func anInfiniteAspectIsRefused() async throws {
        try await AppHarness.run(workers: 0) { client, _ in
            try Self.expectEnvelope(try await client.get("/api/assets?aspect=1e308:1e-308"), status: .badRequest, param: "aspect")
        }
    }
}
