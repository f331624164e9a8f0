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
    /// The job as its submitter just stored it: the first state to send, without reading it back.
    let known = Locked<JobRecord?>(nil)

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
        let known = self.known.current
        return AsyncStream<JobEvent>(bufferingPolicy: .unbounded) { continuation in
            let lastSeen = Locked<(rank: Int, attempts: Int, updatedAt: Int64)?>(nil)
            /// Yields an event unless it is older than what the consumer already knows; finishes on a
            /// terminal one. Polled states are fresh if the row changed; live events are ordered by
            /// (attempt, stage), so one that was buffered while the first state was read cannot go backwards.
            @Sendable func offer(_ event: JobEvent) -> Bool {
                if let job = event.job {
                    let rank = Self.rank(job.status)
                    let isNew = lastSeen.withLock { seen -> Bool in
                        if let current = seen {
                            if case .state = event {
                                if job.updatedAt <= current.updatedAt && rank == current.rank && job.attempts == current.attempts { return false }
                            } else if (job.attempts, rank) < (current.attempts, current.rank) {
                                return false
                            }
                            if current.rank == 3 { return false }
                        }
                        seen = (rank, job.attempts, max(seen?.updatedAt ?? 0, job.updatedAt))
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
            // The stored state goes out first; live events (buffered since the subscription) follow.
            let firstRead = Task { () -> Bool in
                if let known { return offer(.state(known)) }
                guard let job = try? await store.job(id: jobID) else {
                    continuation.finish()
                    return true
                }
                return offer(.state(job))
            }
            let liveTask = Task {
                if await firstRead.value { return }
                for await event in live {
                    if offer(event) { return }
                }
                continuation.finish()
            }
            let pollTask = Task {
                if await firstRead.value { return }
                // Poll fast at first, then back off while nothing changes: live events cover this process,
                // polling only has to catch other processes, and thousands of waiters must not flood the store.
                var interval = pollIntervalMs
                try? await Task.sleep(for: .milliseconds(interval))
                while !Task.isCancelled {
                    if let deadline, ContinuousClock.now >= deadline {
                        continuation.finish()
                        return
                    }
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
                firstRead.cancel()
                liveTask.cancel()
                pollTask.cancel()
            }
        }
    }

    /// Stage of a status within one attempt: waiting, running, waiting to retry, finished.
    static func rank(_ status: JobStatus) -> Int {
        switch status {
        case .queued: 0
        case .running: 1
        case .retryWait: 2
        case .succeeded, .failed, .cancelled: 3
        }
    }
}
