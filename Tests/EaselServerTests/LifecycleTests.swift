import EaselCore
import EaselProviders
import EaselServer
import EaselStore
import EaselTesting
import Foundation
import Testing

/// Worker life: restarts, crashed workers, and draining on shutdown.
@Suite("Worker lifecycle")
struct LifecycleTests {
    @Test func aJobQueuedBeforeACrashCompletesAfterRestart() async throws {
        let data = try TemporaryDirectory()
        let first = try await TestSupport.runtime(data: data, workers: 0)
        let outcome = try await first.jobService.submit(
            .init(payload: JobPayload(request: TestSupport.generateRequest(prompt: "survive")), userID: "local", rawRequest: "x"),
            delivery: .stream
        )
        try await first.close()

        let second = try await TestSupport.runtime(data: data, workers: 2)
        let runner = ServiceGroupRunner(services: second.workerServices())
        let finished = try await eventually { try await second.jobStore.job(id: outcome.job.id)?.status == .succeeded }
        await runner.stop()
        #expect(finished)
        try await second.close()
    }

    @Test func aJobHeldByADeadWorkerIsTakenOver() async throws {
        let data = try TemporaryDirectory()
        // The dead worker's lease is short (1 s); the live worker's own is the tests' usual 2 s with a heartbeat
        // every 0.5 s, so a loaded machine does not make it lose the job a second time.
        let runtime = try await TestSupport.runtime(data: data, workers: 2)
        let outcome = try await runtime.jobService.submit(
            .init(payload: JobPayload(request: TestSupport.generateRequest(prompt: "orphan")), userID: "local", rawRequest: "y"),
            delivery: .stream
        )
        // A worker process claims it and is killed with -9: nothing but its lease remains.
        let stolen = try await runtime.jobStore.claim(queue: "default", worker: "killed-worker", limit: 1, leaseMs: 1000)
        #expect(stolen.map(\.id) == [outcome.job.id])
        let runner = ServiceGroupRunner(services: runtime.workerServices())
        let finished = try await eventually { try await runtime.jobStore.job(id: outcome.job.id)?.status == .succeeded }
        await runner.stop()
        #expect(finished)
        let attempts = try await runtime.jobStore.attempts(jobID: outcome.job.id)
        #expect(attempts.map(\.error.code) == ["worker_lost"])
        try await runtime.close()
    }

    @Test func shutdownHandsUnfinishedJobsBack() async throws {
        let data = try TemporaryDirectory()
        let provider = ScriptedProvider([.hang])
        let runtime = try await TestSupport.runtime(data: data, workers: 2, routes: [.init(model: .easelDraft, providers: [provider])]) {
            $0.drainSeconds = 0
            // This test is about shutdown: a lease long enough that a loaded machine cannot expire it first.
            $0.leaseMs = 20_000
            $0.heartbeatMs = 5_000
        }
        let outcome = try await runtime.jobService.submit(
            .init(payload: JobPayload(request: TestSupport.generateRequest(prompt: "long")), userID: "local", rawRequest: "z"),
            delivery: .stream
        )
        let runner = ServiceGroupRunner(services: runtime.workerServices())
        #expect(try await eventually { try await runtime.jobStore.job(id: outcome.job.id)?.status == .running })
        await runner.stop()
        let job = try #require(await runtime.jobStore.job(id: outcome.job.id))
        #expect(job.status == .queued)
        #expect(job.attempts == 0)
        try await runtime.close()
    }

    @Test func shutdownHandsBackAJobItHoldsWithoutATask() async throws {
        let data = try TemporaryDirectory()
        let runtime = try await TestSupport.runtime(data: data, workers: 1) {
            $0.leaseMs = 20_000
            $0.heartbeatMs = 5_000
        }
        let outcome = try await runtime.jobService.submit(
            .init(payload: JobPayload(request: TestSupport.generateRequest(prompt: "lost")), userID: "local", rawRequest: "lost"),
            delivery: .stream
        )
        // Held under this worker's id but run by no task here: what a failed hand-back leaves behind.
        let held = try await runtime.jobStore.claim(queue: "default", worker: runtime.workerID, limit: 1, leaseMs: 20_000)
        #expect(held.map(\.id) == [outcome.job.id])
        let runner = ServiceGroupRunner(services: runtime.workerServices())
        #expect(try await eventually { runtime.dispatch.isAccepting })
        await runner.stop()
        let job = try #require(await runtime.jobStore.job(id: outcome.job.id))
        #expect(job.status == .queued)
        #expect(job.attempts == 0)
        try await runtime.close()
    }

    @Test func shutdownLetsRunningJobsFinishWithinTheDrainTime() async throws {
        let data = try TemporaryDirectory()
        let provider = ScriptedProvider([.delay(milliseconds: 400)])
        let runtime = try await TestSupport.runtime(data: data, workers: 2, routes: [.init(model: .easelDraft, providers: [provider])]) {
            $0.drainSeconds = 10
        }
        let outcome = try await runtime.jobService.submit(
            .init(payload: JobPayload(request: TestSupport.generateRequest(prompt: "finish me")), userID: "local", rawRequest: "w"),
            delivery: .stream
        )
        let runner = ServiceGroupRunner(services: runtime.workerServices())
        #expect(try await eventually { try await runtime.jobStore.job(id: outcome.job.id)?.status == .running })
        await runner.stop()
        #expect(try await runtime.jobStore.job(id: outcome.job.id)?.status == .succeeded)
        try await runtime.close()
    }
}

@Suite("Waiting across processes")
struct CrossProcessWaitTests {
    @Test func theDoorLearnsOfWorkFinishedByAnotherProcess() async throws {
        let data = try TemporaryDirectory()
        // Two runtimes on one data directory stand for `easel serve --workers 0` and `easel worker`:
        // they share the database and files but not the in-process event hub.
        let api = try await TestSupport.runtime(data: data, workers: 0)
        let worker = try await TestSupport.runtime(data: data, workers: 2)
        let waiter = Task {
            try await api.jobService.submit(
                .init(payload: JobPayload(request: TestSupport.generateRequest(prompt: "elsewhere")), userID: "local", rawRequest: "q"),
                delivery: .wait(seconds: 20)
            )
        }
        try await Task.sleep(for: .milliseconds(50))
        let runner = ServiceGroupRunner(services: worker.workerServices())
        let submitted = try await waiter.value
        await runner.stop()
        let (job, _) = try #require(submitted.finished)
        #expect(job.id == submitted.job.id)
        #expect(job.status == .succeeded)
        let outputs = try await api.jobService.outputs(of: job)
        #expect(outputs.count == 1)
        #expect(outputs.first?.data.map { ImageFormat.sniff($0) } == .png)
        try await api.close()
        try await worker.close()
    }

    @Test func aWaiterGivesUpAtItsDeadline() async throws {
        let data = try TemporaryDirectory()
        let api = try await TestSupport.runtime(data: data, workers: 0)
        let start = ContinuousClock.now
        let submitted = try await api.jobService.submit(
            .init(payload: JobPayload(request: TestSupport.generateRequest()), userID: "local", rawRequest: "r"),
            delivery: .wait(seconds: 1)
        )
        #expect(submitted.finished == nil)
        #expect(ContinuousClock.now - start >= .seconds(1))
        #expect(ContinuousClock.now - start < .seconds(3))
        try await api.close()
    }
}
