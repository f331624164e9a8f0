import EaselCore
import EaselProviders
import EaselServer
import EaselStore
import EaselTesting
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import SQLKit
import Testing

/// Accounts, limits and money through real HTTP, on real SQLite.
@Suite("Accounts, quotas and money")
struct AccountsTests {
    /// A priced model served by a scripted provider: every image costs exactly $0.04.
    static let priced = ModelCapabilities(id: "priced", sizes: ModelCapabilities.easelDraft.sizes, ownedBy: "test")

    static func routes(_ provider: any ImageProvider = ScriptedProvider([])) -> [ProviderRouter.Route] {
        [
            ProviderRouter.Route(model: .easelDraft, providers: [DraftProvider(threads: 1)]),
            ProviderRouter.Route(model: priced, providers: [provider]),
        ]
    }

    static func policy(filter: [PromptFilter.Category] = []) throws -> PolicyConfig {
        var policy = PolicyConfig()
        policy.prices.models["priced"] = .flat(40_000)
        policy.plans["metered"] = Plan(name: "metered", imagesPerDay: nil, maxN: 10)
        policy.plans["daily10"] = Plan(name: "daily10", imagesPerDay: 10, maxN: 10)
        policy.promptFilter = try PromptFilter(categories: filter)
        return policy
    }

    /// A user on `plan` with `usd` of credits, and a key for them.
    static func user(_ runtime: EaselRuntime, _ name: String, plan: String, usd: String = "0") async throws -> (EaselUser, String) {
        let user = try await runtime.accounts.createUser(name: name, role: .user, plan: plan, password: nil)
        if let micros = Money.parseUSD(usd), micros != 0 {
            _ = try await runtime.billing.grant(userID: user.id, micros: micros, note: "test")
        }
        return (user, try await runtime.accounts.createKey(userID: user.id, name: nil).key)
    }

    @Test func twoHundredParallelRequestsAgainstABudgetForFiftyImages() async throws {
        let policy = try Self.policy()
        // The door waits as long as the burst takes on a machine busy with the rest of the suite.
        try await AppHarness.run(
            workers: 16,
            routes: Self.routes(),
            testing: .live,
            configure: .with {
                $0.policy = policy
                $0.syncTimeoutSeconds = 150
            }
        ) { client, runtime in
            let (user, key) = try await Self.user(runtime, "buyer", plan: "metered", usd: "2.00")
            let buyer = (client as! AuthorizedClient).with(key: key)
            let bodies: [JSONValue] = (0..<200).map { ["model": "priced", "prompt": .string("banner \($0)"), "size": "64x64"] }
            let statuses = try await PatientBurst.post(port: try #require(client.port), key: key, path: "/v1/images/generations", bodies: bodies)
                .map { (HTTPResponse.Status(code: $0.status), $0.headers["x-easel-cost-usd"]) }
            #expect(statuses.filter { $0.0 == .ok }.count == 50, "\(Dictionary(grouping: statuses, by: { $0.0.code }).mapValues(\.count))")
            #expect(statuses.filter { $0.0 == .tooManyRequests }.count == 150)
            #expect(statuses.filter { $0.0 == .ok }.allSatisfy { $0.1 == "0.040000" })
            // Workers settle right after they complete a job; the door may answer a moment before.
            #expect(try await eventually { try await runtime.userStore.user(id: user.id)?.activeJobs == 0 })
            let after = try #require(try await runtime.userStore.user(id: user.id))
            #expect(after.balanceMicros == 0)
            #expect(after.activeJobs == 0)
            let ledger = try await runtime.ledgerStore.ledger(userID: user.id, limit: 1000)
            #expect(ledger.reduce(0) { $0 + $1.amountMicros } == 0, "grant + reserves + settlements sum to the balance")
            #expect(ledger.filter { $0.kind == .settle }.reduce(0) { $0 + $1.costMicros } == 2_000_000)
            #expect(ledger.filter { $0.phase == .reserve }.count == 50, "refused requests reserve nothing")
            let usage = try await buyer.get("/api/usage").json
            #expect(usage["total_images"] == 50)
            #expect(usage["total_cost_usd"] == "2.000000")
        }
    }

    @Test func theDailyQuotaHoldsUnderSixtyFourParallelRequests() async throws {
        let policy = try Self.policy()
        try await AppHarness.run(workers: 8, routes: Self.routes(), testing: .live, configure: .with { $0.policy = policy }) { client, runtime in
            let (_, key) = try await Self.user(runtime, "daily", plan: "daily10")
            let daily = (client as! AuthorizedClient).with(key: key)
            let bodies: [JSONValue] = (0..<64).map { ["model": "easel-draft", "prompt": .string("p\($0)"), "size": "64x64"] }
            let responses = try await PatientBurst.post(port: try #require(client.port), key: key, path: "/api/jobs", bodies: bodies)
            #expect(responses.filter { $0.status == 202 }.count == 10)
            let refused = responses.filter { $0.status == 429 }
            #expect(refused.count == 54)
            let sample = try #require(refused.first)
            #expect(try sample.errorObject["code"] == "daily_quota_exceeded")
            #expect(sample.headers["x-ratelimit-limit-images"] == "10")
            #expect(sample.headers["x-ratelimit-remaining-images"] == "0")
            #expect(sample.headers["retry-after"] != nil)
            let me = try await daily.get("/api/me").json
            #expect(me["today"]?["images_used"] == 10)
            #expect(me["today"]?["images_remaining"] == 0)
        }
    }

    @Test func settlementsAndRefundsReplayedChangeNothing() async throws {
        let policy = try Self.policy()
        try await AppHarness.run(routes: Self.routes(), configure: .with { $0.policy = policy }) { client, runtime in
            let (user, key) = try await Self.user(runtime, "replay", plan: "metered", usd: "1.00")
            let replay = (client as! AuthorizedClient).with(key: key)
            let response = try await replay.post("/v1/images/generations", json: ["model": "priced", "prompt": "once", "size": "64x64", "n": 2])
            #expect(response.status == .ok)
            let jobID = try #require(response.headers[HTTPField.Name("x-easel-job-id")!])
            let job = try #require(try await runtime.jobStore.job(id: jobID))
            #expect(try await eventually { try await runtime.userStore.user(id: user.id)?.activeJobs == 0 })
            let balance = try #require(try await runtime.userStore.user(id: user.id)).balanceMicros
            #expect(balance == 1_000_000 - 80_000)
            // The worker settled it; settling again, twice, or refunding it now, is a no-op.
            #expect(await runtime.billing.finish(job) == false)
            #expect(await runtime.billing.finish(job) == false)
            #expect(try await runtime.ledgerStore.finish(jobID: job.id, cost: nil, images: 0, now: 2) == false)
            #expect(try #require(try await runtime.userStore.user(id: user.id)).balanceMicros == balance)

            // A cancelled job is refunded once, however often it is cancelled or reconciled.
            let queued = try await replay.post("/api/jobs", json: ["model": "priced", "prompt": "later", "size": "64x64", "priority": -10])
            let id = try #require(try queued.json["id"]?.stringValue)
            _ = try await replay.execute(uri: "/api/jobs/\(id)", method: .delete, headers: [:], body: nil)
            let cancelled = try #require(try await runtime.jobStore.job(id: id))
            if cancelled.status == .cancelled {
                #expect(try #require(try await runtime.userStore.user(id: user.id)).balanceMicros == balance)
                #expect(await runtime.billing.finish(cancelled) == false)
            }
            let ledger = try await runtime.ledgerStore.ledger(userID: user.id, limit: 100)
            #expect(ledger.filter { $0.jobID == job.id }.count == 2, "one reserve and one settlement")
        }
    }

    @Test func blockedPromptsCostNothingAndUpstreamBlocksAreRefunded() async throws {
        let policy = try Self.policy(filter: [PromptFilter.Category(name: "weapons", keywords: ["pipe bomb"], patterns: ["make\\s+a\\s+gun"])])
        let provider = ScriptedProvider([.fail(ScriptedProvider.permanent("Your request was rejected by the safety system."))])
        try await AppHarness.run(routes: Self.routes(provider), configure: .with { $0.policy = policy }) { client, runtime in
            let (user, key) = try await Self.user(runtime, "careful", plan: "metered", usd: "1.00")
            let careful = (client as! AuthorizedClient).with(key: key)
            let blocked = try await careful.post(
                "/v1/images/generations",
                json: ["model": "priced", "prompt": "how to build a Pipe Bomb", "size": "64x64"]
            )
            #expect(blocked.status == .badRequest)
            #expect(try blocked.errorObject["code"] == "moderation_blocked")
            #expect(try blocked.errorObject["moderation_details"]?["categories"] == ["weapons"])
            let pattern = try await careful.post("/api/jobs", json: ["model": "priced", "prompt": "MAKE  A  GUN", "size": "64x64"])
            #expect(try pattern.errorObject["code"] == "moderation_blocked")
            #expect(try await runtime.ledgerStore.ledger(userID: user.id, limit: 10).filter { $0.jobID != nil }.isEmpty, "nothing reserved")

            let upstream = try await careful.post("/v1/images/generations", json: ["model": "priced", "prompt": "a harmless cat", "size": "64x64"])
            #expect(upstream.status == .badRequest)
            #expect(try upstream.errorObject["code"] == "moderation_blocked")
            #expect(try await eventually { try await runtime.userStore.user(id: user.id)?.balanceMicros == 1_000_000 }, "refunded")
            #expect(try await eventually { try await runtime.moderationStore.moderationEvents(status: nil, kind: nil, limit: 10).count == 3 })
            let events = try await runtime.moderationStore.moderationEvents(status: nil, kind: nil, limit: 10)
            #expect(Set(events.map(\.kind)) == [.promptBlocked, .upstreamBlocked])
            #expect(try await careful.get("/api/admin/moderation").status == .forbidden)
            #expect(try await client.get("/api/admin/moderation").json["data"]?.arrayValue?.count == 3)
        }
    }

    @Test func plansRefuseWhatTheyDoNotAllow() async throws {
        try await AppHarness.run(routes: Self.routes(), configure: .with { $0.policy = try? Self.policy() }) { client, runtime in
            let guest = try await runtime.accounts.createGuest(allowed: true)
            let key = try await runtime.accounts.createKey(userID: guest.id, name: nil).key
            let asGuest = (client as! AuthorizedClient).with(key: key)
            let model = try await asGuest.post("/v1/images/generations", json: ["model": "priced", "prompt": "x", "size": "64x64"])
            #expect(model.status == .forbidden)
            #expect(try model.errorObject["param"] == "model")
            let big = try await asGuest.post("/v1/images/generations", json: ["model": "easel-draft", "prompt": "x", "size": "2048x2048"])
            #expect(big.status == .forbidden)
            #expect(try big.errorObject["param"] == "size")
            let many = try await asGuest.post("/v1/images/generations", json: ["model": "easel-draft", "prompt": "x", "size": "64x64", "n": 2])
            #expect(try many.errorObject["param"] == "n")
            let ok = try await asGuest.post("/v1/images/generations", json: ["model": "easel-draft", "prompt": "x", "size": "64x64"])
            #expect(ok.status == .ok)
            #expect(ok.headers[HTTPField.Name("x-ratelimit-limit-images")!] == "3")
            #expect(ok.headers[HTTPField.Name("x-ratelimit-remaining-images")!] == "2")
            #expect(ok.headers[HTTPField.Name("x-easel-cost-usd")!] == "0.000000")
        }
    }

    @Test func aRefusedEditLeavesNoUploadBehind() async throws {
        let policy = try Self.policy(filter: [PromptFilter.Category(name: "weapons", keywords: ["pipe bomb"])])
        try await AppHarness.run(routes: Self.routes(), configure: .with { $0.policy = policy }) { client, runtime in
            let (user, key) = try await Self.user(runtime, "editor", plan: "daily10")
            let editor = (client as! AuthorizedClient).with(key: key)
            func uploads() async throws -> Int {
                try await runtime.database.reader.raw("SELECT COUNT(*) AS n FROM assets WHERE user_id = \(bind: user.id) AND role = 'upload'")
                    .all().first?.decode(column: "n", as: Int.self) ?? -1
            }
            func form(_ prompt: String, n: Int) throws -> EditFixtures.Form {
                var form = EditFixtures.Form(["prompt": prompt, "model": "easel-draft", "n": String(n)])
                form.file("image", try EditFixtures.picture(width: 64, height: 64))
                return form
            }
            #expect(try await editor.post("/v1/images/edits", form: try form("restyle", n: 10)).status == .ok)
            #expect(try await uploads() == 1)
            let overQuota = try await editor.post("/v1/images/edits", form: try form("again", n: 1))
            #expect(overQuota.status == .tooManyRequests)
            let blocked = try await editor.post("/v1/images/edits", form: try form("a pipe bomb", n: 1))
            #expect(try blocked.errorObject["code"] == "moderation_blocked")
            #expect(try await uploads() == 1, "refused edits store nothing")
        }
    }

    @Test func keysAreShownOnceAndNeverLoggedOrListed() async throws {
        LogCapture.install
        try await AppHarness.run(routes: Self.routes()) { client, runtime in
            let created = try await client.post("/api/keys", json: ["name": "ci"])
            #expect(created.status == .created)
            let key = try #require(try created.json["key"]?.stringValue)
            #expect(key.hasPrefix("esk_"))
            let listed = try await client.get("/api/keys")
            #expect(!listed.text.contains(key))
            #expect(listed.text.contains(String(key.prefix(10))))
            let me = try await client.get("/api/me", headers: [.authorization: "Bearer \(key)"])
            #expect(me.status == .ok)
            let wrong = try await client.get("/api/me", headers: [.authorization: "Bearer \(key)x"])
            #expect(wrong.status == .unauthorized)
            #expect(!wrong.text.contains(key))
            let id = try #require(try created.json["id"]?.stringValue)
            #expect(try await client.execute(uri: "/api/keys/\(id)", method: .delete, headers: [:], body: nil).status == .ok)
            #expect(try await client.get("/api/me", headers: [.authorization: "Bearer \(key)"]).status == .unauthorized)
            #expect(!LogCapture.all.contains { $0.contains(key) })
            let meID = try #require(try me.json["id"]?.stringValue)
            let stored = try await runtime.userStore.keys(userID: meID, before: nil, limit: 100).items
            #expect(stored.allSatisfy { !$0.hash.contains(key) && $0.hash.count == 64 })
        }
    }
}
