import EaselCore

/// Why a running job's task was cancelled, so it knows what to leave behind.
public enum StopReason: Sendable {
    /// The user cancelled: the store already says so.
    case cancelledByUser
    /// The lease was lost (reaped or taken over): another worker owns the job now.
    case leaseLost
    /// This process is shutting down: hand the job back to the queue.
    case shutdown
}

/// The jobs this process is running, with the tasks running them, so a cancel or a lost lease can stop
/// exactly that work.
public final class RunningJobs: Sendable {
    private struct Entry {
        var task: Task<Void, Never>?
        var reason: StopReason?
    }

    private let entries = Locked<[String: Entry]>([:])

    public init() {}

    func register(_ jobID: String) {
        entries.withLock { $0[jobID] = Entry(task: nil, reason: nil) }
    }

    func attach(_ jobID: String, task: Task<Void, Never>) {
        let reason = entries.withLock { table -> StopReason? in
            table[jobID]?.task = task
            return table[jobID]?.reason
        }
        if reason != nil { task.cancel() }
    }

    func remove(_ jobID: String) {
        entries.withLock { $0[jobID] = nil }
    }

    /// Cancels the job's task if it runs here. Returns whether it did.
    @discardableResult
    public func stop(_ jobID: String, reason: StopReason) -> Bool {
        let task = entries.withLock { table -> Task<Void, Never>?? in
            guard table[jobID] != nil else { return nil }
            if table[jobID]?.reason == nil { table[jobID]?.reason = reason }
            return .some(table[jobID]?.task)
        }
        guard let task else { return false }
        task?.cancel()
        return true
    }

    public func stopAll(reason: StopReason) {
        for id in ids { stop(id, reason: reason) }
    }

    func reason(_ jobID: String) -> StopReason? { entries.withLock { $0[jobID]?.reason } }

    public var ids: [String] { entries.withLock { Array($0.keys) } }
    public var count: Int { entries.withLock { $0.count } }
}
