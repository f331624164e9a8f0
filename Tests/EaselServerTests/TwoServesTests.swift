import EaselCore
import EaselProviders
import EaselServer
import EaselTesting
import HTTPTypes
import Testing

/// Money and limits hold when requests are spread over two `serve` processes of one deployment (two runtimes,
/// each with its own workers and caches, on one database): admission and settlement are atomic in the
/// database, and the images-per-minute window is counted there, not per process.
@Suite("Two serves, one database")
struct TwoServesTests {
    static func policy() throws -> PolicyConfig {
        var policy = try AccountsTests.policy()
        policy.plans["minute5"] = Plan(name: "minute5", imagesPerDay: nil, imagesPerMinute: 5, maxN: 10)
        return policy
    }

    @Test func twoHundredRequestsOverTwoServesAgainstABudgetForFiftyImages() async throws {
        let policy = try Self.policy()
        try await AppHarness.runPair(
            workers: 8,
            routes: AccountsTests.routes(),
            configure: .with {
                $0.policy = policy
                $0.syncTimeoutSeconds = 150
            }
        ) { first, second, runtime in
            let (user, key) = try await AccountsTests.user(runtime, "buyer", plan: "metered", usd: "2.00")
            let bodies: [JSONValue] = (0..<100).map { ["model": "priced", "prompt": .string("banner \($0)"), "size": "64x64"] }
            async let viaFirst = PatientBurst.post(port: try #require(first.port), key: key, path: "/v1/images/generations", bodies: bodies)
            async let viaSecond = PatientBurst.post(port: try #require(second.port), key: key, path: "/v1/images/generations", bodies: bodies)
            let answers = try await viaFirst + viaSecond
            let counts = Dictionary(grouping: answers, by: \.status).mapValues(\.count)
            #expect(counts[200] == 50, "\(counts)")
            #expect(counts[429] == 150, "\(counts)")
            #expect(try await eventually { try await runtime.userStore.user(id: user.id)?.activeJobs == 0 })
            let after = try #require(try await runtime.userStore.user(id: user.id))
            #expect(after.balanceMicros == 0, "never below zero, never a cent left unspent")
            let ledger = try await runtime.ledgerStore.ledger(userID: user.id, limit: 1000)
            #expect(ledger.reduce(0) { $0 + $1.amountMicros } == 0, "grant + reserves + settlements sum to the balance")
            #expect(ledger.filter { $0.phase == .reserve }.count == 50)
            #expect(ledger.filter { $0.kind == .settle }.count == 50, "each job settled once, whichever process ran it")
        }
    }

    @Test func theImagesPerMinuteLimitIsSharedByBothServes() async throws {
        let policy = try Self.policy()
        try await AppHarness.runPair(routes: AccountsTests.routes(), configure: .with { $0.policy = policy }) { first, second, runtime in
            let (_, key) = try await AccountsTests.user(runtime, "hasty", plan: "minute5")
            let bodies: [JSONValue] = (0..<10).map { ["model": "easel-draft", "prompt": .string("p\($0)"), "size": "64x64"] }
            async let viaFirst = PatientBurst.post(port: try #require(first.port), key: key, path: "/api/jobs", bodies: bodies)
            async let viaSecond = PatientBurst.post(port: try #require(second.port), key: key, path: "/api/jobs", bodies: bodies)
            let answers = try await viaFirst + viaSecond
            #expect(answers.filter { $0.status == 202 }.count == 5, "5 a minute in all, not 5 per process")
            let refused = answers.filter { $0.status == 429 }
            #expect(refused.count == 15)
            #expect(refused.allSatisfy { $0.body.contains("rate_limit_exceeded") && $0.headers["retry-after"] != nil })
        }
    }
}
