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
