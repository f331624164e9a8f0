import EaselCore
import EaselStore
import Foundation
import Logging
import ServiceLifecycle

/// Claims jobs and runs up to `concurrency` at once, each in a slot of one task group (as swift-jobs'
/// `JobQueueProcessor` does). On graceful shutdown it stops claiming, lets running jobs finish for
/// `drainSeconds`, then hands the rest back to the queue.
public struct WorkerService: Service {
    let runner: JobRunner
    let jobs: any JobStore
    let signal: WorkSignal
    let running: RunningJobs
    let dispatch: LocalDispatch
    let localDispatch: Bool
    let concurrency: Int
    let leaseMs: Int64
    let heartbeatMs: Int64
    let pollIntervalMs: Int64
    let drainSeconds: Int
    let logger: Logger
    /// Whether the queue may hold jobs waiting for a slot: the last claim filled every free slot, or found
    /// none free. Only then does a slot given back wake the claim loop; otherwise every finished job would
    /// cost an empty claim (a write transaction) for nothing. Work queued later wakes the loop itself.
    private let queueMayWait = Locked(true)

    public func run() async throws {
        guard concurrency > 0 else { return try await gracefulShutdown() }
        logger.info("worker started", metadata: ["worker": "\(runner.workerID)", "concurrency": "\(concurrency)"])
        // Jobs reach the slots two ways, claimed from the queue here or handed over by a submission in this
        // process (`LocalDispatch`); both arrive through this stream, and each runs as a child of one group.
        let (launches, input) = AsyncStream<JobRecord>.makeStream()
        let running = self.running
        // Registered as it is handed over, so a cancel that comes before its slot starts still stops it.
        let launch: @Sendable (JobRecord) -> Void = { job in
            _ = running.register(job.id)
            input.yield(job)
        }
        dispatch.open(capacity: concurrency, worker: runner.workerID, leaseMs: leaseMs, acceptSubmissions: localDispatch, launch: launch)
        let stopping = Locked(false)
        await withDiscardingTaskGroup { group in
            group.addTask { await self.heartbeatLoop() }
            group.addTask {
                await withGracefulShutdownHandler {
                    await self.claimUntilStopped(launch: launch, stopping: stopping)
                } onGracefulShutdown: {
                    self.dispatch.stopAccepting()
                    stopping.withLock { $0 = true }
                    self.signal.wake()
                }
                await self.drain()
                input.finish()
            }
            for await job in launches {
                let latch = running.latch(for: job.id) ?? running.register(job.id)
                group.addTask { await self.work(job, latch: latch) }
            }
            // Every slot is back, so every job has ended: stop the heartbeat.
            group.cancelAll()
        }
        dispatch.close()
        // A job still marked running under this worker was not handed back (its release failed, say). Hand
        // it back now rather than leave it until its lease expires.
        await handBackLeftovers()
        logger.info("worker stopped", metadata: ["worker": "\(runner.workerID)"])
    }

    /// Claims as many ready jobs as there are free slots, until shutdown begins.
    private func claimUntilStopped(launch: @Sendable (JobRecord) -> Void, stopping: Locked<Bool>) async {
        while !stopping.current && !Task.isCancelled {
            let free = dispatch.reserve(upTo: concurrency)
            if free == 0 {
                queueMayWait.withLock { $0 = true }
                await signal.wait(timeoutMs: pollIntervalMs)
                continue
            }
            let claimed: [JobRecord]
            do {
                claimed = try await jobs.claim(queue: "default", worker: runner.workerID, limit: free, leaseMs: leaseMs)
            } catch {
                dispatch.release(free)
                logger.error("claim failed", metadata: ["error": "\(error)"])
                await signal.wait(timeoutMs: 1000)
                continue
            }
            dispatch.release(free - claimed.count)
            queueMayWait.withLock { $0 = claimed.count == free }
            for job in claimed { launch(job) }
            if claimed.isEmpty { await signal.wait(timeoutMs: pollIntervalMs) }
        }
    }

    /// Running jobs get until the deadline, then are stopped and handed back to the queue. A submission that
    /// reserved a slot just before the drain began still starts its job, so the stop is repeated.
    private func drain() async {
        let start = ContinuousClock.now
        while dispatch.inFlight > 0 {
            if Task.isCancelled || ContinuousClock.now - start >= .seconds(drainSeconds) { running.stopAll(reason: .shutdown) }
            try? await Task.sleep(for: .milliseconds(20))
            await Task.yield()
        }
    }

    /// One job in its slot: runs until it ends or its stop button is pressed, then gives the slot back.
    private func work(_ job: JobRecord, latch: StopLatch) async {
        let runner = self.runner
        let running = self.running
        await withTaskCancellationHandler {
            await withTaskGroup(of: Void.self) { slot in
                slot.addTask { await runner.run(job) }
                slot.addTask { await latch.wait() }
                await slot.next()
                slot.cancelAll()
            }
        } onCancel: {
            // The worker itself is being cancelled: treat it as a shutdown, so the job is handed back.
            running.stop(job.id, reason: .shutdown)
        }
        running.remove(job.id)
        dispatch.release()
        if queueMayWait.current { signal.wake() }
    }

    private func handBackLeftovers() async {
        for attempt in 1...3 {
            do {
                let ids = try await jobs.releaseAll(worker: runner.workerID)
                if !ids.isEmpty {
                    logger.warning("handed back jobs still held at shutdown", metadata: ["jobs": "\(ids)"])
                }
                return
            } catch {
                logger.error("handing jobs back at shutdown failed", metadata: ["error": "\(error)", "attempt": "\(attempt)"])
                try? await Task.sleep(for: .milliseconds(100))
            }
        }
    }

    /// Extends the leases of every job this worker runs in one statement; stops any it no longer holds.
    private func heartbeatLoop() async {
        while !Task.isCancelled {
            try? await Task.sleep(for: .milliseconds(heartbeatMs))
            let ids = running.ids
            guard !ids.isEmpty else { continue }
            do {
                let held = try await jobs.heartbeat(worker: runner.workerID, jobIDs: ids, leaseMs: leaseMs)
                for id in ids where !held.contains(id) {
                    running.stop(id, reason: .leaseLost)
                }
            } catch {
                logger.error("heartbeat failed", metadata: ["error": "\(error)"])
            }
        }
    }
}
