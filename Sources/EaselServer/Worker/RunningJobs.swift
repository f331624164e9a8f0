import EaselCore

/// Why a running job was stopped, so it knows what to leave behind.
public enum StopReason: Sendable {
    /// The user cancelled: the store already says so.
    case cancelledByUser
    /// The lease was lost (reaped or taken over): another worker owns the job now.
    case leaseLost
    /// This process is shutting down: hand the job back to the queue.
    case shutdown
}

/// A running job's stop button: `wait()` returns once it is pressed (or the waiting task is cancelled), and
/// the worker then cancels the job's task.
public final class StopLatch: Sendable {
    private let state = Locked<(pressed: Bool, waiter: CheckedContinuation<Void, Never>?)>((false, nil))

    func press() {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            state.pressed = true
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume()
    }

    func wait() async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let now = state.withLock { state -> Bool in
                    if state.pressed { return true }
                    state.waiter = continuation
                    return false
                }
                if now { continuation.resume() }
            }
        } onCancel: {
            press()
        }
    }
}

/// The jobs this process is running, each with its stop button, so a cancel or a lost lease can stop
/// exactly that work.
public final class RunningJobs: Sendable {
    private struct Entry {
        var latch: StopLatch
        var reason: StopReason?
    }

    private let entries = Locked<[String: Entry]>([:])

    public init() {}

    func register(_ jobID: String) -> StopLatch {
        let latch = StopLatch()
        entries.withLock { $0[jobID] = Entry(latch: latch, reason: nil) }
        return latch
    }

    func latch(for jobID: String) -> StopLatch? { entries.withLock { $0[jobID]?.latch } }

    func remove(_ jobID: String) {
        entries.withLock { $0[jobID] = nil }
    }

    /// Stops the job if it runs here (the first reason given is the one it keeps). Returns whether it did.
    @discardableResult
    public func stop(_ jobID: String, reason: StopReason) -> Bool {
        let latch = entries.withLock { table -> StopLatch? in
            guard table[jobID] != nil else { return nil }
            if table[jobID]?.reason == nil { table[jobID]?.reason = reason }
            return table[jobID]?.latch
        }
        latch?.press()
        return latch != nil
    }

    public func stopAll(reason: StopReason) {
        for id in ids { stop(id, reason: reason) }
    }

    func reason(_ jobID: String) -> StopReason? { entries.withLock { $0[jobID]?.reason } }

    public var ids: [String] { entries.withLock { Array($0.keys) } }
    public var count: Int { entries.withLock { $0.count } }
}
