import EaselCore
import EaselStore
import Foundation

/// A subscription to one job's events, taken before the job can run. `events` first yields the stored
/// state, then live events from this process, and polls the store so changes made by another process
/// (a separate `easel worker`) are seen too.
public final class JobWatch: Sendable {
    public let jobID: String
    private let live: AsyncStream<JobEvent>
    private let token: UUID
    private let hub: JobEventHub

    init(jobID: String, hub: JobEventHub) {
        self.jobID = jobID
        self.hub = hub
        (live, token) = hub.subscribe(jobID: jobID)
    }

    deinit { cancel() }

    /// Ends the live subscription.
    func cancel() {
        hub.unsubscribe(jobID: jobID, token: token)
    }

    /// Events until the job is terminal, the deadline passes, or the consumer stops. `.state` events come
    /// first and whenever polling sees a change; a `nil`-job heartbeat is never sent.
    public func events(store: any JobStore, pollIntervalMs: Int64, deadline: ContinuousClock.Instant? = nil) -> AsyncStream<JobEvent> {
        let jobID = self.jobID
        let live = self.live
        return AsyncStream<JobEvent>(bufferingPolicy: .unbounded) { continuation in
            let lastSeen = Locked<(status: JobStatus?, attempts: Int, updatedAt: Int64)>((nil, -1, -1))
            /// Yields a job state unless it is what the consumer already knows; finishes on a terminal one.
            @Sendable func offer(_ event: JobEvent) -> Bool {
                if let job = event.job {
                    let isNew = lastSeen.withLock { seen -> Bool in
                        if case .state = event, seen.status == job.status, seen.attempts == job.attempts, seen.updatedAt >= job.updatedAt {
                            return false
                        }
                        seen = (job.status, job.attempts, max(seen.updatedAt, job.updatedAt))
                        return true
                    }
                    if !isNew { return false }
                }
                continuation.yield(event)
                if event.isTerminal {
                    continuation.finish()
                    return true
                }
                return false
            }
            let liveTask = Task {
                for await event in live {
                    if offer(event) { return }
                }
                continuation.finish()
            }
            let pollTask = Task {
                // Poll fast at first, then back off while nothing changes: live events cover this process,
                // polling only has to catch other processes, and thousands of waiters must not flood the store.
                var interval = pollIntervalMs
                while !Task.isCancelled {
                    if let deadline, ContinuousClock.now >= deadline { continuation.finish(); return }
                    if let job = try? await store.job(id: jobID) {
                        if offer(.state(job)) { return }
                    } else {
                        continuation.finish()
                        return
                    }
                    var sleep = interval
                    if let deadline {
                        let left = deadline - ContinuousClock.now
                        sleep = min(sleep, max(1, Int64(left.components.seconds * 1000 + left.components.attoseconds / 1_000_000_000_000_000)))
                    }
                    try? await Task.sleep(for: .milliseconds(sleep))
                    interval = min(interval * 2, max(pollIntervalMs, 2000))
                }
            }
            continuation.onTermination = { _ in
                liveTask.cancel()
                pollTask.cancel()
            }
        }
    }
}
