import EaselCore
import EaselProviders
import EaselServer
import EaselStore
import EaselTesting
import Foundation
import Testing

/// Jobs submitted in a process whose worker has a free slot start there at once, inserted already claimed.
@Suite("Local dispatch")
struct LocalDispatchTests {
    @Test func aFreeSlotTakesTheJobWithoutAQueueTrip() async throws {
        let data = try TemporaryDirectory()
        let provider = ScriptedProvider([.hang])
        let runtime = try await TestSupport.runtime(data: data, workers: 1, routes: [.init(model: .easelDraft, providers: [provider])]) {
            $0.leaseMs = 20_000
            $0.heartbeatMs = 5_000
            $0.drainSeconds = 0
            // Claims come only from the poll, rarely: what starts at once came through the dispatch.
            $0.pollIntervalMs = 60_000
        }
        let runner = ServiceGroupRunner(services: runtime.workerServices())
        #expect(try await eventually { runtime.dispatch.isAccepting })
        // The worker's first claim (of nothing) has given its slots back.
        #expect(try await eventually { runtime.dispatch.inFlight == 0 })

        let first = try await runtime.jobService.submit(
            .init(payload: JobPayload(request: TestSupport.generateRequest(prompt: "first")), userID: "local", rawRequest: "first"),
            delivery: .stream
        )
        // Inserted claimed by this worker: running, attempt 1, leased.
        #expect(first.job.status == .running)
        #expect(first.job.attempts == 1)
        #expect(first.job.workerID == runtime.workerID)
        #expect(first.job.leaseUntil != nil)
        // Watchers see it running from the first state on.
        var statuses: [JobStatus] = []
        for await event in runtime.jobService.events(of: try #require(first.watch)) {
            if let job = event.job { statuses.append(job.status) }
            if statuses.count == 2 { break }
        }
        #expect(statuses == [.running, .running])
        #expect(try await eventually { provider.startedJobs == [first.job.id] })

        // The only slot is taken: the next job waits in the queue.
        let second = try await runtime.jobService.submit(
            .init(payload: JobPayload(request: TestSupport.generateRequest(prompt: "second")), userID: "local", rawRequest: "second"),
            delivery: .stream
        )
        #expect(second.job.status == .queued)
        #expect(second.job.workerID == nil)
        #expect(runtime.dispatch.inFlight == 1)

        // Shutdown hands the dispatched job back like a claimed one.
        await runner.stop()
        let back = try #require(await runtime.jobStore.job(id: first.job.id))
        #expect(back.status == .queued && back.attempts == 0)
        #expect(runtime.dispatch.inFlight == 0)
        try await runtime.close()
    }

    @Test func anIdempotentRepeatGivesItsSlotBack() async throws {
        let data = try TemporaryDirectory()
        let runtime = try await TestSupport.runtime(data: data, workers: 2)
        let runner = ServiceGroupRunner(services: runtime.workerServices())
        #expect(try await eventually { runtime.dispatch.isAccepting })
        let submission = JobService.Submission(
            payload: JobPayload(request: TestSupport.generateRequest(prompt: "once")),
            userID: "local",
            rawRequest: "once",
            idempotencyKey: "k-1"
        )
        let first = try await runtime.jobService.submit(submission, delivery: .wait(seconds: 20))
        #expect(first.finished?.job.status == .succeeded)
        let again = try await runtime.jobService.submit(submission, delivery: .wait(seconds: 20))
        #expect(again.job.id == first.job.id)
        #expect(try await eventually { runtime.dispatch.inFlight == 0 })
        await runner.stop()
        try await runtime.close()
    }

    @Test func switchedOffEveryJobGoesThroughTheQueue() async throws {
        let data = try TemporaryDirectory()
        let runtime = try await TestSupport.runtime(data: data, workers: 2) { $0.localDispatch = false }
        let runner = ServiceGroupRunner(services: runtime.workerServices())
        // A first job proves the worker runs (and leaves it idle with free slots).
        let first = try await runtime.jobService.submit(
            .init(payload: JobPayload(request: TestSupport.generateRequest(prompt: "first")), userID: "local", rawRequest: "first"),
            delivery: .stream
        )
        #expect(try await eventually { try await runtime.jobStore.job(id: first.job.id)?.status == .succeeded })
        #expect(!runtime.dispatch.isAccepting)
        let outcome = try await runtime.jobService.submit(
            .init(payload: JobPayload(request: TestSupport.generateRequest(prompt: "queued")), userID: "local", rawRequest: "queued"),
            delivery: .stream
        )
        #expect(outcome.job.status == .queued)
        #expect(try await eventually { try await runtime.jobStore.job(id: outcome.job.id)?.status == .succeeded })
        await runner.stop()
        try await runtime.close()
    }

    @Test func theSwitchIsReadFromTheEnvironment() throws {
        #expect(try EaselConfig.fromEnvironment(["EASEL_LOCAL_DISPATCH": "off"]).localDispatch == false)
        #expect(try EaselConfig.fromEnvironment([:]).localDispatch == true)
        #expect(throws: (any Error).self) { try EaselConfig.fromEnvironment(["EASEL_LOCAL_DISPATCH": "maybe"]) }
    }
}
