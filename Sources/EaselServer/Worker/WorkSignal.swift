import EaselCore
import Foundation

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
