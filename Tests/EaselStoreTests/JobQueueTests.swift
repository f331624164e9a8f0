import EaselCore
import EaselStore
import EaselTesting
import Foundation
import Testing

/// The durable queue on a real SQLite file.
/// A queue on a fresh SQLite file, closed after each test.
final class QueueFixture: Sendable {
    let directory: TemporaryDirectory
    let database: any EaselDatabase
    let clock = ManualClock()
    let store: SQLJobStore
    let ids = IDGenerator(seed: 99)

    init() async throws {
        directory = try TemporaryDirectory()
        database = try await TestSupport.database(in: directory)
        store = SQLJobStore(database: database, clock: clock)
    }

    static func run(_ body: (QueueFixture) async throws -> Void) async throws {
        let fixture = try await QueueFixture()
        do {
            try await body(fixture)
        } catch {
            try? await fixture.database.close()
            throw error
        }
        try await fixture.database.close()
    }

    func newJob(user: String = "u1", key: String? = nil, hash: String = "h", priority: Int = 0, maxAttempts: Int = 3, prompt: String = "p") -> NewJob
    {
        NewJob(
            id: ids.make(prefix: "job", millis: clock.nowMillis()),
            userID: user,
            kind: .generate,
            payload: JobPayload(request: TestSupport.generateRequest(prompt: prompt)),
            requestHash: hash,
            priority: priority,
            maxAttempts: maxAttempts,
            idempotencyKey: key
        )
    }
}

/// The durable queue on a real SQLite file.
@Suite("Job queue on SQLite")
struct JobQueueTests {
    @Test func claimsOldestFirstAndPriorityBeforeThat() async throws {
        try await QueueFixture.run { f in
            let store = f.store
            let clock = f.clock
            let database = f.database
            let ids = f.ids
            _ = (store, clock, database, ids)
            let a = try await store.push(f.newJob()).job
            clock.advance(byMillis: 1)
            let b = try await store.push(f.newJob()).job
            clock.advance(byMillis: 1)
            let urgent = try await store.push(f.newJob(priority: 5)).job
            let claimed = try await store.claim(queue: "default", worker: "w1", limit: 10, leaseMs: 1000)
            #expect(claimed.map(\.id) == [urgent.id, a.id, b.id])
            #expect(claimed.allSatisfy { $0.status == .running && $0.attempts == 1 && $0.workerID == "w1" })
            #expect(try await store.claim(queue: "default", worker: "w2", limit: 10, leaseMs: 1000).isEmpty)
        }
    }

    @Test func concurrentClaimsNeverShareAJob() async throws {
        try await QueueFixture.run { f in
            let store = f.store
            let clock = f.clock
            let database = f.database
            let ids = f.ids
            _ = (store, clock, database, ids)
            for _ in 0..<60 { _ = try await store.push(f.newJob()) }
            let results = try await withThrowingTaskGroup(of: [String].self) { group in
                for worker in 0..<4 {
                    group.addTask {
                        var mine: [String] = []
                        while true {
                            let batch = try await store.claim(queue: "default", worker: "w\(worker)", limit: 3, leaseMs: 1000)
                            if batch.isEmpty { return mine }
                            mine += batch.map(\.id)
                        }
                    }
                }
                var all: [[String]] = []
                for try await ids in group { all.append(ids) }
                return all
            }
            let flat = results.flatMap { $0 }
            #expect(flat.count == 60)
            #expect(Set(flat).count == 60)
        }
    }

    @Test func queuePositionFollowsClaimOrder() async throws {
        try await QueueFixture.run { f in
            let store = f.store
            let clock = f.clock
            let database = f.database
            let ids = f.ids
            _ = (store, clock, database, ids)
            let first = try await store.push(f.newJob()).job
            clock.advance(byMillis: 1)
            let second = try await store.push(f.newJob()).job
            #expect(try await store.queuePosition(of: first) == 1)
            #expect(try await store.queuePosition(of: second) == 2)
            clock.advance(byMillis: 1)
            let urgent = try await store.push(f.newJob(priority: 1)).job
            #expect(try await store.queuePosition(of: urgent) == 1)
            #expect(try await store.queuePosition(of: try #require(await store.job(id: second.id))) == 3)
            let claimed = try await store.claim(queue: "default", worker: "w", limit: 1, leaseMs: 100)
            #expect(claimed.first?.id == urgent.id)
            #expect(try await store.queuePosition(of: try #require(await store.job(id: first.id))) == 1)
            #expect(try await store.queuePosition(of: try #require(await store.job(id: urgent.id))) == nil)
        }
    }

    @Test func expiredLeaseIsRequeuedAndTheOldWorkerCannotFinish() async throws {
        try await QueueFixture.run { f in
            let store = f.store
            let clock = f.clock
            let database = f.database
            let ids = f.ids
            _ = (store, clock, database, ids)
            let job = try await store.push(f.newJob()).job
            _ = try await store.claim(queue: "default", worker: "dead", limit: 1, leaseMs: 1000)
            #expect(try await store.requeueExpiredLeases().isEmpty)

            clock.advance(byMillis: 1001)
            #expect(try await store.requeueExpiredLeases() == [job.id])
            let requeued = try #require(await store.job(id: job.id))
            #expect(requeued.status == .queued)
            #expect(requeued.lastError?.code == "worker_lost")
            #expect(try await store.attempts(jobID: job.id).map(\.attempt) == [1])

            let retaken = try await store.claim(queue: "default", worker: "alive", limit: 1, leaseMs: 1000)
            #expect(retaken.first?.attempts == 2)
            let result = JobResult(assetIDs: [], usage: nil, provider: "test", isDraft: false)
            #expect(try await store.complete(jobID: job.id, worker: "dead", result: result, assets: []) == nil)
            #expect(try await store.complete(jobID: job.id, worker: "alive", result: result, assets: []) == clock.nowMillis())
            #expect(try await store.job(id: job.id)?.status == .succeeded)
        }
    }

    /// The same worker may claim a job again after its own lease ran out (a stalled process that came back):
    /// its stale task of the earlier attempt is fenced off by the attempt number.
    @Test func aStaleAttemptOfTheSameWorkerCannotFinishTheNewOne() async throws {
        try await QueueFixture.run { f in
            let job = try await f.store.push(f.newJob()).job
            let first = try #require(try await f.store.claim(queue: "default", worker: "w", limit: 1, leaseMs: 1000).first)
            f.clock.advance(byMillis: 1001)
            #expect(try await f.store.requeueExpiredLeases() == [job.id])
            let second = try #require(try await f.store.claim(queue: "default", worker: "w", limit: 1, leaseMs: 1000).first)
            #expect((first.attempts, second.attempts) == (1, 2))
            let result = JobResult(assetIDs: [], usage: nil, provider: "test", isDraft: false)
            let stale = ScriptedProvider.retryable("stale")
            #expect(try await f.store.retry(jobID: job.id, worker: "w", attempt: 1, errors: [stale], delayMs: 0) == false)
            #expect(try await f.store.fail(jobID: job.id, worker: "w", attempt: 1, errors: [stale]) == false)
            #expect(try await f.store.complete(jobID: job.id, worker: "w", attempt: 1, result: result, assets: []) == nil)
            #expect(try await f.store.job(id: job.id)?.status == .running)
            #expect(try await f.store.complete(jobID: job.id, worker: "w", attempt: 2, result: result, assets: []) == f.clock.nowMillis())
            #expect(try await f.store.job(id: job.id)?.status == .succeeded)
        }
    }

    @Test func leaseExpiryOnTheLastAttemptFailsTheJob() async throws {
        try await QueueFixture.run { f in
            let store = f.store
            let clock = f.clock
            let database = f.database
            let ids = f.ids
            _ = (store, clock, database, ids)
            let job = try await store.push(f.newJob(maxAttempts: 1)).job
            _ = try await store.claim(queue: "default", worker: "dead", limit: 1, leaseMs: 10)
            clock.advance(byMillis: 11)
            _ = try await store.requeueExpiredLeases()
            let failed = try #require(await store.job(id: job.id))
            #expect(failed.status == .failed)
            #expect(failed.finishedAt != nil)
        }
    }

    @Test func heartbeatKeepsTheLeaseAndReportsLostJobs() async throws {
        try await QueueFixture.run { f in
            let store = f.store
            let clock = f.clock
            let database = f.database
            let ids = f.ids
            _ = (store, clock, database, ids)
            let kept = try await store.push(f.newJob()).job
            let cancelled = try await store.push(f.newJob()).job
            _ = try await store.claim(queue: "default", worker: "w", limit: 2, leaseMs: 1000)
            _ = try await store.cancel(jobID: cancelled.id, userID: nil)
            clock.advance(byMillis: 900)
            let held = try await store.heartbeat(worker: "w", jobIDs: [kept.id, cancelled.id], leaseMs: 1000)
            #expect(held == [kept.id])
            clock.advance(byMillis: 900)
            #expect(try await store.requeueExpiredLeases().isEmpty)
        }
    }

    @Test func retryWaitsForItsBackoffThenRunsAgain() async throws {
        try await QueueFixture.run { f in
            let store = f.store
            let clock = f.clock
            let database = f.database
            let ids = f.ids
            _ = (store, clock, database, ids)
            let job = try await store.push(f.newJob()).job
            _ = try await store.claim(queue: "default", worker: "w", limit: 1, leaseMs: 1000)
            let error = JobError(status: 429, type: "rate_limit", code: "rate_limit_exceeded", message: "slow down", retryable: true)
            #expect(try await store.retry(jobID: job.id, worker: "w", errors: [error], delayMs: 5000))
            let waiting = try #require(await store.job(id: job.id))
            #expect(waiting.status == .retryWait)
            #expect(waiting.lastError == error)
            #expect(try await store.claim(queue: "default", worker: "w", limit: 1, leaseMs: 1000).isEmpty)
            clock.advance(byMillis: 5000)
            let again = try await store.claim(queue: "default", worker: "w", limit: 1, leaseMs: 1000)
            #expect(again.first?.attempts == 2)
            #expect(try await store.attempts(jobID: job.id).map(\.error) == [error])
        }
    }

    @Test func failKeepsTheError() async throws {
        try await QueueFixture.run { f in
            let store = f.store
            let clock = f.clock
            let database = f.database
            let ids = f.ids
            _ = (store, clock, database, ids)
            let job = try await store.push(f.newJob()).job
            _ = try await store.claim(queue: "default", worker: "w", limit: 1, leaseMs: 1000)
            let error = JobError(status: 400, type: "image_generation_user_error", code: "moderation_blocked", message: "blocked", retryable: false)
            #expect(try await store.fail(jobID: job.id, worker: "w", errors: [error]))
            let failed = try #require(await store.job(id: job.id))
            #expect(failed.status == .failed)
            #expect(failed.lastError == error)
            // A second report (a retried finish) changes nothing.
            #expect(try await store.fail(jobID: job.id, worker: "w", errors: [error]) == false)
        }
    }

    @Test func cancelQueuedRunningAndFinishedJobs() async throws {
        try await QueueFixture.run { f in
            let store = f.store
            let clock = f.clock
            let database = f.database
            let ids = f.ids
            _ = (store, clock, database, ids)
            let queued = try await store.push(f.newJob()).job
            let running = try await store.push(f.newJob()).job
            _ = try await store.claim(queue: "default", worker: "w", limit: 1, leaseMs: 1000)  // takes `queued`
            // `queued` is now running; cancel the waiting one first.
            guard case .cancelled(let waitingJob, let wasRunning) = try await store.cancel(jobID: running.id, userID: nil) else {
                Issue.record("expected a cancellation")
                return
            }
            #expect(waitingJob.status == .cancelled && wasRunning == false)
            #expect(try await store.claim(queue: "default", worker: "w", limit: 1, leaseMs: 1000).isEmpty)

            guard case .cancelled(_, let runningFlag) = try await store.cancel(jobID: queued.id, userID: nil) else {
                Issue.record("expected a cancellation")
                return
            }
            #expect(runningFlag)
            let result = JobResult(assetIDs: [], usage: nil, provider: "t", isDraft: false)
            #expect(try await store.complete(jobID: queued.id, worker: "w", result: result, assets: []) == nil)
            #expect(try await store.job(id: queued.id)?.status == .cancelled)

            guard case .alreadyFinished(let finished) = try await store.cancel(jobID: queued.id, userID: nil) else {
                Issue.record("expected alreadyFinished")
                return
            }
            #expect(finished.status == .cancelled)
            #expect(try await store.cancel(jobID: "job_01M7ZJWJ091HH3DTWQYKQGDCVX", userID: nil) == .notFound)
            #expect(try await store.cancel(jobID: running.id, userID: "someone-else") == .notFound)
        }
    }

    @Test func idempotencyKeyReturnsTheSameJob() async throws {
        try await QueueFixture.run { f in
            let store = f.store
            let clock = f.clock
            let database = f.database
            let ids = f.ids
            _ = (store, clock, database, ids)
            let first = try await store.push(f.newJob(key: "k1", hash: "same"))
            let again = try await store.push(f.newJob(key: "k1", hash: "same"))
            guard case .created(let created) = first, case .existing(let existing) = again else {
                Issue.record("expected created then existing")
                return
            }
            #expect(created.id == existing.id)
            await #expect(throws: EaselError.self) { try await store.push(f.newJob(key: "k1", hash: "different")) }
            // Keys are per user.
            let other = try await store.push(f.newJob(user: "u2", key: "k1", hash: "same")).job
            #expect(other.id != created.id)
            #expect(try await store.jobs(userID: nil, status: nil, groupID: nil, before: nil, limit: 10).items.count == 2)
        }
    }

    @Test func releaseHandsTheJobBackWithoutCountingTheAttempt() async throws {
        try await QueueFixture.run { f in
            let store = f.store
            let clock = f.clock
            let database = f.database
            let ids = f.ids
            _ = (store, clock, database, ids)
            let job = try await store.push(f.newJob()).job
            _ = try await store.claim(queue: "default", worker: "w", limit: 1, leaseMs: 1000)
            #expect(try await store.release(jobID: job.id, worker: "w"))
            let back = try #require(await store.job(id: job.id))
            #expect(back.status == .queued && back.attempts == 0)
        }
    }

    @Test func releaseAllHandsBackOnlyThatWorkersRunningJobs() async throws {
        try await QueueFixture.run { f in
            let store = f.store
            _ = try await store.push(f.newJob(key: "a", hash: "a"))
            _ = try await store.push(f.newJob(key: "b", hash: "b"))
            let mine = try #require(await store.claim(queue: "default", worker: "me", limit: 1, leaseMs: 1000).first)
            let theirs = try #require(await store.claim(queue: "default", worker: "other", limit: 1, leaseMs: 1000).first)
            #expect(try await store.releaseAll(worker: "me") == [mine.id])
            #expect(try await store.releaseAll(worker: "me") == [])
            let back = try #require(await store.job(id: mine.id))
            #expect(back.status == .queued && back.attempts == 0 && back.workerID == nil)
            let kept = try #require(await store.job(id: theirs.id))
            #expect(kept.status == .running && kept.workerID == "other")
        }
    }

    @Test func completionStoresAssetsOnceEvenIfRunTwice() async throws {
        try await QueueFixture.run { f in
            let store = f.store
            let clock = f.clock
            let database = f.database
            let ids = f.ids
            _ = (store, clock, database, ids)
            let job = try await store.push(f.newJob()).job
            _ = try await store.claim(queue: "default", worker: "w", limit: 1, leaseMs: 1000)
            let asset = AssetRecord(
                id: ids.make(prefix: "img", millis: 1),
                jobID: job.id,
                userID: "u1",
                parentAssetID: nil,
                index: 0,
                blobKey: String(repeating: "a", count: 64) + ".png",
                thumbKey: nil,
                format: .png,
                width: 64,
                height: 64,
                bytes: 10,
                sha256: String(repeating: "a", count: 64),
                model: "easel-draft",
                provider: "draft",
                isDraft: true,
                role: .generated,
                prompt: "p",
                createdAt: 1
            )
            let result = JobResult(assetIDs: [asset.id], usage: .zero, provider: "draft", isDraft: true)
            #expect(try await store.complete(jobID: job.id, worker: "w", result: result, assets: [asset]) != nil)
            let assets = SQLAssetStore(database: database)
            try await assets.insert([
                AssetRecord(
                    id: ids.make(prefix: "img", millis: 2),
                    jobID: job.id,
                    userID: "u1",
                    parentAssetID: nil,
                    index: 0,
                    blobKey: asset.blobKey,
                    thumbKey: nil,
                    format: .png,
                    width: 64,
                    height: 64,
                    bytes: 10,
                    sha256: asset.sha256,
                    model: "easel-draft",
                    provider: "draft",
                    isDraft: true,
                    role: .generated,
                    prompt: "p",
                    createdAt: 2
                )
            ])
            let page = try await assets.assets(userID: "u1", before: nil, limit: 10)
            #expect(page.items.map(\.id) == [asset.id])
        }
    }

    @Test func listingPagesNewestFirst() async throws {
        try await QueueFixture.run { f in
            let store = f.store
            let clock = f.clock
            let database = f.database
            let ids = f.ids
            _ = (store, clock, database, ids)
            var made: [String] = []
            for _ in 0..<5 {
                made.append(try await store.push(f.newJob()).job.id)
                clock.advance(byMillis: 1)
            }
            let first = try await store.jobs(userID: "u1", status: nil, groupID: nil, before: nil, limit: 2)
            #expect(first.items.map(\.id) == [made[4], made[3]])
            #expect(first.hasMore)
            let rest = try await store.jobs(userID: "u1", status: .queued, groupID: nil, before: first.items.last?.id, limit: 10)
            #expect(rest.items.map(\.id) == [made[2], made[1], made[0]])
            #expect(!rest.hasMore)
            #expect(try await store.countsByStatus()[.queued] == 5)
        }
    }
}
