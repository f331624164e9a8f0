import EaselCore
import EaselStore
import EaselTesting
import Foundation
import Testing

@Suite("Templates, batches and the cache on SQLite")
struct CreativeStoreTests {
    @Test func everyChangeIsANewVersionAndARaceLosesCleanly() async throws {
        try await QueueFixture.run { f in
            let templates = SQLTemplateStore(database: f.database)
            try await templates.create(id: "tpl_1", ownerID: "u1", name: "A", jobType: "custom", body: ["v": 1], authorID: "u1", note: nil, now: 1)
            #expect(
                try await templates.addVersion(
                    id: "tpl_1",
                    expected: 1,
                    name: "B",
                    jobType: "custom",
                    body: ["v": 2],
                    authorID: "u1",
                    note: "two",
                    now: 2
                )
            )
            // A second edit that started from version 1 loses: version 2 exists.
            #expect(
                try await templates.addVersion(
                    id: "tpl_1",
                    expected: 1,
                    name: "C",
                    jobType: "custom",
                    body: ["v": 3],
                    authorID: "u2",
                    note: nil,
                    now: 3
                ) == false
            )
            let current = try #require(try await templates.template(id: "tpl_1"))
            #expect(current.version == 2 && current.body == ["v": 2])
            #expect(try await templates.versions(id: "tpl_1", before: nil, limit: 10).items.map(\.version) == [1, 2])
            #expect(try await templates.version(id: "tpl_1", version: 1)?.body == ["v": 1])
            // Visible to the owner and nobody else; shared ones to everyone.
            try await templates.create(id: "tpl_2", ownerID: nil, name: "S", jobType: "custom", body: ["v": 1], authorID: "admin", note: nil, now: 4)
            #expect(try await templates.templates(visibleTo: "u1", limit: 10).map(\.id) == ["tpl_2", "tpl_1"])
            #expect(try await templates.templates(visibleTo: "u2", limit: 10).map(\.id) == ["tpl_2"])
            #expect(try await templates.delete(id: "tpl_1", now: 5))
            #expect(try await templates.template(id: "tpl_1") == nil)
            #expect(try await templates.delete(id: "tpl_1", now: 6) == false)
        }
    }

    @Test func aBatchIsAdmittedWholeOrNotAtAll() async throws {
        try await QueueFixture.run { f in
            let users = SQLUserStore(database: f.database)
            let ledger = SQLLedgerStore(database: f.database)
            _ = try await users.createUser(EaselUser(id: "usr_1", name: "u", role: .user, plan: "p", createdAt: 0))
            _ = try await ledger.grant(userID: "usr_1", micros: 1_000_000, note: nil, id: "led_1", now: 1)
            let plan = Plan(name: "p", imagesPerDay: 5, concurrentJobs: 1)
            func items(_ count: Int, micros: Int64 = 300_000, images: Int = 1) -> [AdmissionItem] {
                (0..<count).map { AdmissionItem(jobID: "job_\(count)_\($0)", model: "m", images: images, estimateMicros: micros) }
            }
            // Four at $0.30 do not fit in $1.00: refused whole, nothing reserved.
            await #expect(throws: AdmissionRefusal.insufficientFunds(balance: 1_000_000, needed: 1_200_000)) {
                try await ledger.admitBatch(userID: "usr_1", plan: plan, now: 2, items: items(4))
            }
            // Three of two images each pass the day's five images: refused whole.
            await #expect(throws: AdmissionRefusal.dailyQuota(limit: 5, used: 0)) {
                try await ledger.admitBatch(userID: "usr_1", plan: plan, now: 2, items: items(3, micros: 1, images: 2))
            }
            #expect(try await ledger.ledger(userID: "usr_1", limit: 10).allSatisfy { $0.phase == .grant })
            // Three fit, despite a plan that runs one job at a time: batch items wait in the queue.
            let receipt = try await ledger.admitBatch(userID: "usr_1", plan: plan, now: 2, items: items(3))
            #expect(receipt.balanceMicros == 100_000 && receipt.imagesToday == 3)
            #expect(try await users.user(id: "usr_1")?.activeJobs == 3)
            // Each item settles on its own; a refund gives its share back.
            #expect(try await ledger.finish(jobID: "job_3_0", cost: 250_000, images: 1, now: 3))
            #expect(try await ledger.finish(jobID: "job_3_1", cost: nil, images: 0, now: 3))
            #expect(try await ledger.finish(jobID: "job_3_1", cost: nil, images: 0, now: 3) == false)
            #expect(try await users.user(id: "usr_1")?.balanceMicros == 1_000_000 - 250_000 - 300_000)
        }
    }

    @Test func identicalCachedRequestsInFlightJoinOneJob() async throws {
        try await QueueFixture.run { f in
            var first = f.newJob()
            first.cacheKey = "k1"
            var second = f.newJob()
            second.cacheKey = "k1"
            let created = try await f.store.push(first)
            guard case .created(let job) = created else {
                Issue.record("expected a new job")
                return
            }
            guard case .existing(let joined) = try await f.store.push(second) else {
                Issue.record("expected to join")
                return
            }
            #expect(joined.id == job.id)
            // Another user's identical request is never joined.
            var other = f.newJob(user: "u2")
            other.cacheKey = "k1"
            guard case .created = try await f.store.push(other) else {
                Issue.record("another user's job is its own")
                return
            }
            // Once it has finished, it is found as cached, and a new identical request is a job of its own again.
            let claimed = try await f.store.claim(queue: "default", worker: "w", limit: 1, leaseMs: 1000)
            #expect(claimed.map(\.id) == [job.id])
            _ = try await f.store.complete(
                jobID: job.id,
                worker: "w",
                result: JobResult(assetIDs: [], usage: nil, provider: "p", isDraft: true),
                assets: []
            )
            #expect(try await f.store.cachedJobs(userID: "u1", cacheKey: "k1", limit: 5).map(\.id) == [job.id])
            #expect(try await f.store.cachedJobs(userID: "u2", cacheKey: "k1", limit: 5).isEmpty)
            var third = f.newJob()
            third.cacheKey = "k1"
            guard case .created = try await f.store.push(third) else {
                Issue.record("a finished job is not in flight")
                return
            }
            // A hit is stored already finished.
            let hit = try await f.store.insertFinished(
                f.newJob(),
                result: JobResult(assetIDs: ["img_1"], usage: nil, provider: "p", isDraft: true, cachedFrom: job.id)
            )
            #expect(hit.job.status == .succeeded && hit.job.result?.cachedFrom == job.id)
        }
    }
}
