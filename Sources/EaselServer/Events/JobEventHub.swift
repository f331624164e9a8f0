import EaselCore
import EaselProviders
import EaselStore
import Foundation

/// In-process fan-out of job events to whoever watches a job (SSE streams, the synchronous door).
/// Publishing never blocks: each subscriber has its own buffered stream.
public final class JobEventHub: Sendable {
    private struct Subscriber {
        let continuation: AsyncStream<JobEvent>.Continuation
    }

    private let subscribers = Locked<[String: [UUID: Subscriber]]>([:])
    /// Partials already sent per running job ((image, partial) pairs), so one read from the database does
    /// not send again what a local worker or an earlier read sent.
    private let partialsSent = Locked<[String: Set<[Int]>]>([:])
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
        switch event {
        case .partial(let jobID, let partial):
            let fresh = partialsSent.withLock { $0[jobID, default: []].insert([partial.imageIndex, partial.partialIndex]).inserted }
            if !fresh { return }
        default:
            if event.isTerminal { partialsSent.withLock { $0[event.jobID] = nil } }
        }
        completions.resolve(event)
        let targets = subscribers.withLock { $0[event.jobID].map { Array($0.values) } ?? [] }
        for subscriber in targets {
            subscriber.continuation.yield(event)
            if event.isTerminal { subscriber.continuation.finish() }
        }
    }

    /// Jobs someone in this process waits on or watches.
    public var watchedJobIDs: [String] {
        Array(Set(subscribers.withLock { Array($0.keys) }).union(completions.waitingJobIDs))
    }

    /// Reads again the jobs another process changed, for this process's waiters and watchers: their state
    /// (a terminal one resolves waiters) and, for running jobs someone streams, partials not yet sent.
    func refresh(jobIDs: [String], from store: any JobStore) async {
        let watched = Set(watchedJobIDs)
        let ids = Array(Set(jobIDs).intersection(watched))
        guard !ids.isEmpty, let records = try? await store.jobs(ids: ids) else { return }
        for job in records {
            if job.status == .running, subscribers.withLock({ $0[job.id] != nil }), let partials = try? await store.partials(jobID: job.id) {
                for partial in partials { publish(.partial(jobID: job.id, partial)) }
            }
            publish(.state(job))
        }
    }

    public var subscriberCount: Int { subscribers.withLock { $0.values.reduce(0) { $0 + $1.count } } }
}
