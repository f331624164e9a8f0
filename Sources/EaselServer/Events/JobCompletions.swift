import EaselCore
import EaselStore
import Foundation

/// Waiters for the end of a job, as the synchronous door needs: one continuation each, no streams and no
/// tasks per waiter. Live terminal events from this process resolve them at once; for work finished by
/// another process, one batched query per interval looks up every job still awaited.
public final class JobCompletions: Sendable {
    public struct Ticket: Sendable, Hashable {
        let id: UInt64
        public let jobID: String
    }

    private enum Slot {
        case pending
        case waiting(CheckedContinuation<JobEvent?, Never>)
        case done(JobEvent?)
    }

    private struct Entry {
        var slot: Slot
        var deadline: ContinuousClock.Instant
    }

    private struct State {
        var entries: [String: [UInt64: Entry]] = [:]
        var nextID: UInt64 = 0
        var polling = false
    }

    private let state = Locked(State())

    public init() {}

    /// Starts awaiting `jobID` (before the job can finish, so its end is never missed).
    public func register(jobID: String, deadline: ContinuousClock.Instant) -> Ticket {
        state.withLock { state in
            state.nextID += 1
            state.entries[jobID, default: [:]][state.nextID] = Entry(slot: .pending, deadline: deadline)
            return Ticket(id: state.nextID, jobID: jobID)
        }
    }

    /// The job's terminal event (a live one, or `.state` from the store), or nil at the deadline or when the
    /// caller is cancelled.
    public func wait(_ ticket: Ticket, store: any JobStore, pollIntervalMs: Int64) async -> JobEvent? {
        startPolling(store: store, intervalMs: pollIntervalMs)
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<JobEvent?, Never>) in
                let ready = state.withLock { state -> JobEvent?? in
                    guard var entry = state.entries[ticket.jobID]?[ticket.id] else { return .some(nil) }
                    if case .done(let event) = entry.slot {
                        state.entries[ticket.jobID]?[ticket.id] = nil
                        if state.entries[ticket.jobID]?.isEmpty == true { state.entries[ticket.jobID] = nil }
                        return .some(event)
                    }
                    entry.slot = .waiting(continuation)
                    state.entries[ticket.jobID]?[ticket.id] = entry
                    return nil
                }
                if let ready { continuation.resume(returning: ready) }
            }
        } onCancel: {
            self.finish(jobID: ticket.jobID, only: ticket.id, with: nil)
        }
    }

    /// Forgets a ticket that will not be waited on.
    public func cancel(_ ticket: Ticket) {
        finish(jobID: ticket.jobID, only: ticket.id, with: nil)
    }

    /// Resolves every waiter of the event's job if the event is terminal.
    func resolve(_ event: JobEvent) {
        guard event.isTerminal else { return }
        finish(jobID: event.jobID, only: nil, with: event)
    }

    private func finish(jobID: String, only ticketID: UInt64?, with event: JobEvent?) {
        let toResume = state.withLock { state -> [CheckedContinuation<JobEvent?, Never>] in
            guard var entries = state.entries[jobID] else { return [] }
            var resumed: [CheckedContinuation<JobEvent?, Never>] = []
            for (id, entry) in entries where ticketID == nil || id == ticketID {
                switch entry.slot {
                case .waiting(let continuation):
                    resumed.append(continuation)
                    entries[id] = nil
                case .pending:
                    entries[id] = Entry(slot: .done(event), deadline: entry.deadline)
                case .done:
                    if ticketID != nil { entries[id] = nil }
                }
            }
            state.entries[jobID] = entries.isEmpty ? nil : entries
            return resumed
        }
        for continuation in toResume { continuation.resume(returning: event) }
    }

    var waitingJobIDs: [String] { state.withLock { Array($0.entries.keys) } }

    /// One loop while anyone waits: expire deadlines, and ask the store about every awaited job at once.
    private func startPolling(store: any JobStore, intervalMs: Int64) {
        let start = state.withLock { state -> Bool in
            if state.polling { return false }
            state.polling = true
            return true
        }
        guard start else { return }
        Task {
            while true {
                try? await Task.sleep(for: .milliseconds(intervalMs))
                let now = ContinuousClock.now
                let (expired, ids) = state.withLock { state -> ([(String, UInt64)], [String]) in
                    var expired: [(String, UInt64)] = []
                    for (jobID, entries) in state.entries {
                        for (id, entry) in entries where entry.deadline <= now { expired.append((jobID, id)) }
                    }
                    let ids = Array(state.entries.keys)
                    if ids.isEmpty { state.polling = false }
                    return (expired, ids)
                }
                if ids.isEmpty { return }
                for (jobID, id) in expired { finish(jobID: jobID, only: id, with: nil) }
                for chunk in stride(from: 0, to: ids.count, by: 500).map({ Array(ids[$0..<min($0 + 500, ids.count)]) }) {
                    guard let finished = try? await store.terminalJobs(ids: chunk) else { continue }
                    for job in finished { finish(jobID: job.id, only: nil, with: .state(job)) }
                }
            }
        }
    }
}
