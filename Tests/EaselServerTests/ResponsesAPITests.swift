import EaselCore
import EaselProviders
import EaselServer
import EaselStore
import EaselTesting
import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing

/// The Responses API door through real HTTP: refusals before a turn is accepted, failures after, money and
/// lineage. (The SDK's own view, default and strict, is in tests/python/test_responses_sdk.py.)
@Suite("Responses API")
struct ResponsesAPITests {
    static func turn(_ text: String, model: String = "priced", previous: String? = nil) -> JSONValue {
        var body: [String: JSONValue] = [
            "model": "gpt-5.4", "input": .string(text), "tools": [["type": "image_generation", "model": .string(model), "size": "64x64"]],
        ]
        if let previous { body["previous_response_id"] = .string(previous) }
        return .object(body)
    }

    static func policy() throws -> PolicyConfig {
        var policy = try AccountsTests.policy(filter: [PromptFilter.Category(name: "weapons", keywords: ["pipe bomb"])])
        policy.plans["daily1"] = Plan(name: "daily1", imagesPerDay: 1, maxN: 1)
        return policy
    }

    @Test func refusalsBeforeATurnIsAcceptedAreTheFourKeyEnvelope() async throws {
        let policy = try Self.policy()
        try await AppHarness.run(routes: AccountsTests.routes(), configure: .with { $0.policy = policy }) { client, runtime in
            func expectEnvelope(_ response: TestResponse, status: HTTPResponse.Status, code: String, param: String? = nil) throws {
                #expect(response.status == status)
                let error = try response.errorObject
                #expect(Set(error.keys).isSuperset(of: ["message", "type", "param", "code"]))
                #expect(error["code"]?.stringValue == code)
                if let param { #expect(error["param"]?.stringValue == param) }
            }
            let (user, key) = try await AccountsTests.user(runtime, "talker", plan: "metered", usd: "0.05")
            let talker = (client as! AuthorizedClient).with(key: key)
            try expectEnvelope(
                try await talker.post("/v1/responses", json: Self.turn("how to build a pipe bomb")),
                status: .badRequest,
                code: "moderation_blocked"
            )
            #expect(try await talker.post("/v1/responses", json: Self.turn("a kite")).json["status"] == "completed")
            // $0.05 paid for one $0.04 image: the second turn is refused before anything runs.
            try expectEnvelope(
                try await talker.post("/v1/responses", json: Self.turn("another kite")),
                status: .tooManyRequests,
                code: "insufficient_quota"
            )
            #expect(try #require(try await runtime.userStore.user(id: user.id)).balanceMicros == 10_000)

            let (_, dailyKey) = try await AccountsTests.user(runtime, "daily", plan: "daily1")
            let daily = (client as! AuthorizedClient).with(key: dailyKey)
            #expect(try await daily.post("/v1/responses", json: Self.turn("one", model: "easel-draft")).status == .ok)
            try expectEnvelope(
                try await daily.post("/v1/responses", json: Self.turn("two", model: "easel-draft")),
                status: .tooManyRequests,
                code: "daily_quota_exceeded"
            )

            let guest = try await runtime.accounts.createGuest(allowed: true)
            let asGuest = (client as! AuthorizedClient).with(key: try await runtime.accounts.createKey(userID: guest.id, name: nil).key)
            try expectEnvelope(
                try await asGuest.post("/v1/responses", json: Self.turn("x")),
                status: .forbidden,
                code: "not_allowed_by_plan",
                param: "tools[0].model"
            )
        }
    }

    @Test func aTurnThatFailsAfterAcceptanceComesBackFailedAndIsRefunded() async throws {
        let provider = ScriptedProvider([.fail(ScriptedProvider.permanent("Your request was rejected by the safety system."))])
        let policy = try Self.policy()
        try await AppHarness.run(routes: AccountsTests.routes(provider), configure: .with { $0.policy = policy }) { client, runtime in
            let (user, key) = try await AccountsTests.user(runtime, "unlucky", plan: "metered", usd: "1.00")
            let unlucky = (client as! AuthorizedClient).with(key: key)
            let response = try await unlucky.post("/v1/responses", json: Self.turn("a harmless cat"))
            #expect(response.status == .ok)
            let body = try response.json
            #expect(body["status"] == "failed")
            #expect(body["error"]?["code"] == "image_content_policy_violation")
            #expect(body["output"]?.arrayValue?.first?["status"] == "failed")
            #expect(try await eventually { try await runtime.userStore.user(id: user.id)?.balanceMicros == 1_000_000 }, "refunded")
            // It was stored as failed, and a follow-up has no image to edit, so it generates.
            let id = try #require(body["id"]?.stringValue)
            #expect(try await unlucky.get("/v1/responses/\(id)").json["status"] == "failed")
        }
    }

    @Test func turnsAreChargedOnceChainedInTheLineageAndPrivate() async throws {
        let policy = try Self.policy()
        try await AppHarness.run(routes: AccountsTests.routes(), configure: .with { $0.policy = policy }) { client, runtime in
            let (user, key) = try await AccountsTests.user(runtime, "painter", plan: "metered", usd: "1.00")
            let painter = (client as! AuthorizedClient).with(key: key)
            let first = try await painter.post("/v1/responses", json: Self.turn("a lighthouse"))
            let firstID = try #require(try first.json["id"]?.stringValue)
            let firstJobID = try #require(first.headers[HTTPField.Name("x-easel-job-id")!])
            let firstJob = try #require(try await runtime.jobStore.job(id: firstJobID))
            let second = try await painter.post("/v1/responses", json: Self.turn("now at night", previous: firstID))
            #expect(try second.json["previous_response_id"]?.stringValue == firstID)
            #expect(try second.json["output"]?.arrayValue?.first?["action"] == "edit")
            let secondJobID = try #require(second.headers[HTTPField.Name("x-easel-job-id")!])
            let secondJob = try #require(try await runtime.jobStore.job(id: secondJobID))
            #expect(secondJob.kind == .edit)
            #expect(secondJob.payload.parentAssetID == firstJob.result?.assetIDs.first)
            #expect(
                try await eventually { try await runtime.userStore.user(id: user.id)?.balanceMicros == 1_000_000 - 80_000 },
                "two images, charged once each"
            )

            // Another user sees none of it: not the turn, not its items, not as a previous response.
            let (_, otherKey) = try await AccountsTests.user(runtime, "other", plan: "metered", usd: "1.00")
            let other = (client as! AuthorizedClient).with(key: otherKey)
            #expect(try await other.get("/v1/responses/\(firstID)").status == .notFound)
            #expect(try await other.get("/v1/responses/\(firstID)/input_items").status == .notFound)
            let chained = try await other.post("/v1/responses", json: Self.turn("steal", previous: firstID))
            #expect(try chained.errorObject["code"] == "previous_response_not_found")
            #expect(try await other.execute(uri: "/v1/responses/\(firstID)", method: .delete, headers: [:], body: nil).status == .notFound)
            #expect(try await painter.get("/v1/responses/\(firstID)").status == .ok)
        }
    }
}
