import EaselCore
import EaselStore
import Foundation
import Logging
import ServiceLifecycle

/// Claims jobs and runs up to `concurrency` at once. On graceful shutdown it stops claiming, lets running
/// jobs finish for `drainSeconds`, then hands the rest back to the queue.
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

    public func run() async throws {
        guard concurrency > 0 else { return try await gracefulShutdown() }
        let stopping = Locked(false)
        let heartbeat = Task { await heartbeatLoop() }
        defer { heartbeat.cancel() }
        logger.info("worker started", metadata: ["worker": "\(runner.workerID)", "concurrency": "\(concurrency)"])

        let runner = self.runner, running = self.running, dispatch = self.dispatch, signal = self.signal
        // One task per job, kept in `running` so a cancel or a lost lease can stop exactly it. The job's slot
        // was taken before it was claimed (here or by a submission) and is given back when it ends.
        let launch: @Sendable (JobRecord) -> Void = { job in
            running.register(job.id)
            let task = Task {
                await runner.run(job)
                running.remove(job.id)
                dispatch.release()
                signal.wake()
            }
            running.attach(job.id, task: task)
        }
        dispatch.open(capacity: concurrency, worker: runner.workerID, leaseMs: leaseMs, acceptSubmissions: localDispatch, launch: launch)
        await withGracefulShutdownHandler {
            while !stopping.current {
                let free = dispatch.reserve(upTo: concurrency)
                if free == 0 {
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
                for job in claimed { launch(job) }
                if claimed.isEmpty {
                    await signal.wait(timeoutMs: pollIntervalMs)
                }
            }
            // Draining: running jobs get until the deadline, then are handed back to the queue. A submission
            // that reserved a slot just before the drain began still starts its job, so the stop is repeated.
            let start = ContinuousClock.now
            while dispatch.inFlight > 0 {
                if ContinuousClock.now - start >= .seconds(drainSeconds) {
                    running.stopAll(reason: .shutdown)
                }
                try? await Task.sleep(for: .milliseconds(20))
            }
            // Every task has ended; a job still marked running under this worker was not handed back (its
            // release failed, say). Hand it back now rather than leave it until its lease expires.
            await handBackLeftovers()
        } onGracefulShutdown: {
            dispatch.stopAccepting()
            stopping.withLock { $0 = true }
            signal.wake()
        }
        logger.info("worker stopped", metadata: ["worker": "\(runner.workerID)"])
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

/// Returns jobs whose worker died (lease expired) to the queue.
public struct LeaseReaperService: Service {
    let jobs: any JobStore
    let signal: WorkSignal
    let intervalMs: Int64
    let logger: Logger
    /// Settles or refunds reservations whose job ended without it (a crash between the two writes).
    var reconcile: @Sendable () async -> Void = {}

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    let requeued = try await jobs.requeueExpiredLeases()
                    if !requeued.isEmpty {
                        logger.notice("requeued jobs whose worker stopped", metadata: ["jobs": "\(requeued)"])
                        signal.wake()
                    }
                } catch {
                    logger.error("lease reaper failed", metadata: ["error": "\(error)"])
                }
                await reconcile()
                try? await Task.sleep(for: .milliseconds(intervalMs))
            }
        }
    }
}
