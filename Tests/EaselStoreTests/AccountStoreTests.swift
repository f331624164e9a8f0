import EaselCore
import EaselStore
import EaselTesting
import Foundation
import Testing

@Suite("Account store on SQLite")
struct AccountStoreTests {
    static let day: Int64 = 86_400_000
    static let start: Int64 = 1_795_305_600_000 - 86_400_000  // 2026-11-20 00:00 UTC

    /// The ledger and user stores on one fresh database, with one user.
    struct Stores {
        let ledger: SQLLedgerStore
        let users: SQLUserStore
    }

    func store() async throws -> (Stores, any EaselDatabase, TemporaryDirectory) {
        let directory = try TemporaryDirectory()
        let database = try await TestSupport.database(in: directory)
        let users = SQLUserStore(database: database)
        let user = EaselUser(id: "usr_1", name: "u", role: .user, plan: "p", createdAt: 0)
        #expect(try await users.createUser(user))
        #expect(try await users.createUser(EaselUser(id: "usr_2", name: "u", role: .user, plan: "p", createdAt: 0)) == false, "names are unique")
        return (Stores(ledger: SQLLedgerStore(database: database), users: users), database, directory)
    }

    func admission(_ job: String, micros: Int64, images: Int = 1, plan: Plan, at now: Int64) -> Admission {
        Admission(userID: "usr_1", jobID: job, model: "m", images: images, estimateMicros: micros, plan: plan, now: now)
    }

    @Test func aDailyBudgetTopsUpEachDayAndKeepsExtraCredits() async throws {
        let (store, database, directory) = try await store()
        let plan = Plan(name: "p", imagesPerDay: nil, budgetMicros: 1_000_000, budgetPeriod: .daily)
        #expect(try await store.ledger.admit(admission("job_a", micros: 400_000, plan: plan, at: Self.start)).balanceMicros == 600_000)
        await #expect(throws: AdmissionRefusal.insufficientFunds(balance: 600_000, needed: 700_000)) {
            try await store.ledger.admit(admission("job_b", micros: 700_000, plan: plan, at: Self.start + 1000))
        }
        // Next day: topped up to the budget again.
        #expect(try await store.ledger.admit(admission("job_c", micros: 700_000, plan: plan, at: Self.start + Self.day)).balanceMicros == 300_000)
        // Credits above the budget are kept; no top-up is needed the day after.
        _ = try await store.ledger.grant(userID: "usr_1", micros: 5_000_000, note: nil, id: "led_g", now: Self.start + Self.day)
        #expect(
            try await store.ledger.admit(admission("job_d", micros: 100_000, plan: plan, at: Self.start + 2 * Self.day)).balanceMicros == 5_200_000
        )
        try await database.close()
        _ = directory
    }

    @Test func concurrentJobsAndQuotaComeBackWhenAJobEnds() async throws {
        let (store, database, directory) = try await store()
        let plan = Plan(name: "p", imagesPerDay: 3, concurrentJobs: 1, unlimitedSpend: true)
        _ = try await store.ledger.admit(admission("job_a", micros: 0, images: 2, plan: plan, at: Self.start))
        await #expect(throws: AdmissionRefusal.concurrentJobs(limit: 1)) {
            try await store.ledger.admit(admission("job_b", micros: 0, plan: plan, at: Self.start))
        }
        // Refunded: the slot and both images come back, once.
        #expect(try await store.ledger.finish(jobID: "job_a", cost: nil, images: 0, now: Self.start))
        #expect(try await store.ledger.finish(jobID: "job_a", cost: nil, images: 0, now: Self.start) == false)
        #expect(try await store.ledger.imagesUsed(userID: "usr_1", day: UTCDay.string(millis: Self.start)) == 0)
        _ = try await store.ledger.admit(admission("job_c", micros: 0, images: 3, plan: plan, at: Self.start))
        #expect(try await store.ledger.finish(jobID: "job_c", cost: 0, images: 3, now: Self.start))
        await #expect(throws: AdmissionRefusal.dailyQuota(limit: 3, used: 3)) {
            try await store.ledger.admit(admission("job_d", micros: 0, plan: plan, at: Self.start))
        }
        // A refused admission leaves no trace in the ledger.
        #expect(try await store.ledger.ledger(userID: "usr_1", limit: 100).filter { $0.jobID == "job_d" || $0.jobID == "job_b" }.isEmpty)
        try await database.close()
        _ = directory
    }

    @Test func settlementReturnsTheDifferenceAndUsageSumsIt() async throws {
        let (store, database, directory) = try await store()
        let plan = Plan(name: "p", imagesPerDay: nil)
        _ = try await store.ledger.grant(userID: "usr_1", micros: 1_000_000, note: nil, id: "led_g", now: Self.start)
        _ = try await store.ledger.admit(admission("job_a", micros: 300_000, images: 2, plan: plan, at: Self.start))
        #expect(try await store.ledger.finish(jobID: "job_a", cost: 250_000, images: 2, now: Self.start))
        #expect(try await store.users.user(id: "usr_1")?.balanceMicros == 750_000)
        let usage = try await store.ledger.usage(userID: "usr_1", fromDay: "2026-01-01", limit: 100)
        #expect(usage.count == 1)
        #expect(usage.first.map { [$0.day, $0.model] } == [UTCDay.string(millis: Self.start), "m"])
        #expect(usage.first.map { [$0.images, $0.jobs] } == [2, 1])
        #expect(usage.first?.costMicros == 250_000)
        let open = try await store.ledger.openReservations(before: Self.start + 1, limit: 10)
        #expect(open.isEmpty)
        _ = try await store.ledger.admit(admission("job_b", micros: 1, plan: plan, at: Self.start))
        #expect(try await store.ledger.openReservations(before: Self.start + 1, limit: 10).map(\.jobID) == ["job_b"])
        try await database.close()
        _ = directory
    }
}
