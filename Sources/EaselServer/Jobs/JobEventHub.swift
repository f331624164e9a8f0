import EaselCore
import Foundation

/// In-process fan-out of job events to whoever watches a job (SSE streams, the synchronous door).
/// Publishing never blocks: each subscriber has its own buffered stream.
public final class JobEventHub: Sendable {
    private struct Subscriber {
        let continuation: AsyncStream<JobEvent>.Continuation
    }

    private let subscribers = Locked<[String: [UUID: Subscriber]]>([:])
    /// Waiters for jobs' ends (the synchronous door).
    public let completions = JobCompletions()

    public init() {}

    /// Events for `jobID` from now on. The stream ends when the job reaches a terminal state or the
    /// caller stops iterating.
    public func subscribe(jobID: String) -> (stream: AsyncStream<JobEvent>, token: UUID) {
        let token = UUID()
        let (stream, continuation) = AsyncStream<JobEvent>.makeStream(bufferingPolicy: .bufferingNewest(64))
        subscribers.withLock { $0[jobID, default: [:]][token] = Subscriber(continuation: continuation) }
        continuation.onTermination = { [weak self] _ in
            self?.subscribers.withLock { table in
                table[jobID]?[token] = nil
                if table[jobID]?.isEmpty == true { table[jobID] = nil }
            }
        }
        return (stream, token)
    }

    /// Ends one subscription.
    public func unsubscribe(jobID: String, token: UUID) {
        let subscriber = subscribers.withLock { table -> Subscriber? in
            let removed = table[jobID]?.removeValue(forKey: token)
            if table[jobID]?.isEmpty == true { table[jobID] = nil }
            return removed
        }
        subscriber?.continuation.finish()
    }

    public func publish(_ event: JobEvent) {
        completions.resolve(event)
        let targets = subscribers.withLock { $0[event.jobID].map { Array($0.values) } ?? [] }
        for subscriber in targets {
            subscriber.continuation.yield(event)
            if event.isTerminal { subscriber.continuation.finish() }
        }
    }

    public var subscriberCount: Int { subscribers.withLock { $0.values.reduce(0) { $0 + $1.count } } }
}

/// Wakes idle workers when work arrives, so a job queued in this process starts at once instead of at
/// the next poll.
public final class WorkSignal: Sendable {
    private let state = Locked<(pending: Bool, waiters: [UUID: CheckedContinuation<Void, Never>])>((false, [:]))

    public init() {}

    public func wake() {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            if state.waiters.isEmpty {
                state.pending = true
                return []
            }
            let list = Array(state.waiters.values)
            state.waiters.removeAll()
            return list
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Returns when woken, or after `timeoutMs`, whichever comes first.
    public func wait(timeoutMs: Int64) async {
        let consumed = state.withLock { state -> Bool in
            if state.pending {
                state.pending = false
                return true
            }
            return false
        }
        if consumed { return }
        let token = UUID()
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                await withCheckedContinuation { continuation in
                    let resumeNow = self.state.withLock { state -> Bool in
                        if state.pending {
                            state.pending = false
                            return true
                        }
                        state.waiters[token] = continuation
                        return false
                    }
                    if resumeNow { continuation.resume() }
                }
            }
            group.addTask {
                try? await Task.sleep(for: .milliseconds(timeoutMs))
                // Time is up: take our continuation back, if a wake did not already.
                let waiter = self.state.withLock { $0.waiters.removeValue(forKey: token) }
                waiter?.resume()
            }
            await group.next()
            group.cancelAll()
        }
    }
}
