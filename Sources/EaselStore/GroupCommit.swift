import EaselCore

/// Group commit: operations that arrive while a write is in flight are gathered and written together by
/// one call of `write` (one transaction). Each SQLite statement costs a thread hop and each transaction a
/// commit regardless of size, so under load this is what lets hot writes scale; alone, a write goes out at
/// once with no added wait.
final class GroupCommit<Operation: Sendable>: Sendable {
    private struct Pending: Sendable {
        let operation: Operation
        let continuation: CheckedContinuation<Bool, any Error>
    }

    private struct State {
        var pending: [Pending] = []
        var flushing = false
    }

    private let state = Locked(State())
    /// Writes a batch in one transaction and says, per operation, whether it took effect.
    private let write: @Sendable ([Operation]) async throws -> [Bool]

    init(write: @escaping @Sendable ([Operation]) async throws -> [Bool]) {
        self.write = write
    }

    /// Queues the operation; returns whether it took effect.
    func submit(_ operation: Operation) async throws -> Bool {
        try await withCheckedThrowingContinuation { continuation in
            let startFlush = state.withLock { state -> Bool in
                state.pending.append(Pending(operation: operation, continuation: continuation))
                if state.flushing { return false }
                state.flushing = true
                return true
            }
            // The flush runs in its own task: a caller being cancelled must not cancel other callers' writes.
            if startFlush { Task { await self.drain() } }
        }
    }

    private func drain() async {
        while true {
            let batch = state.withLock { state -> [Pending] in
                let taken = state.pending
                state.pending.removeAll(keepingCapacity: true)
                if taken.isEmpty { state.flushing = false }
                return taken
            }
            if batch.isEmpty { return }
            do {
                let results = try await write(batch.map(\.operation))
                for (pending, result) in zip(batch, results) { pending.continuation.resume(returning: result) }
            } catch {
                // One bad write must not fail its neighbours: retry them one by one.
                for pending in batch {
                    do {
                        let result = try await write([pending.operation])
                        pending.continuation.resume(returning: result[0])
                    } catch {
                        pending.continuation.resume(throwing: error)
                    }
                }
            }
        }
    }
}
