import EaselCore
import Foundation
import SQLKit

/// Group commit for the queue's hottest writes: enqueues and completions that arrive while a write is in
/// flight are gathered and written together, one multi-row statement per kind, in one transaction. Each
/// statement costs a thread hop and a commit regardless of its size, so under load this is what lets the
/// queue scale; alone, a write goes out at once with no added wait.
final class JobWriteBatcher: Sendable {
    enum Operation: Sendable {
        case push(NewJob, payload: String, now: Int64)
        case complete(jobID: String, worker: String, result: String, assets: [AssetRecord], now: Int64)
    }

    private struct Pending: Sendable {
        let operation: Operation
        let continuation: CheckedContinuation<Bool, any Error>
    }

    private struct State {
        var pending: [Pending] = []
        var flushing = false
    }

    private let database: any EaselDatabase
    private let state = Locked(State())
    /// Rows per statement: stays well inside SQLite's 32,766 bound parameters.
    private let chunk = 400

    init(database: any EaselDatabase) {
        self.database = database
    }

    /// Queues the write; returns whether it took effect (inserted, or completed by this worker).
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

    private func write(_ operations: [Operation]) async throws -> [Bool] {
        var pushes: [(NewJob, String, Int64)] = []
        var completions: [(String, String, String, [AssetRecord], Int64)] = []
        for operation in operations {
            switch operation {
            case .push(let job, let payload, let now): pushes.append((job, payload, now))
            case .complete(let id, let worker, let result, let assets, let now): completions.append((id, worker, result, assets, now))
            }
        }
        let chunk = self.chunk
        let pushRows = pushes, completionRows = completions
        let (inserted, completed) = try await database.write { db -> (Set<String>, Set<String>) in
            var inserted = Set<String>()
            for part in pushRows.chunked(chunk) {
                let rows = part.map { job, payload, now -> SQLQueryString in
                    "(\(bind: job.id), \(bind: job.userID), \(bind: job.queue), \(bind: job.kind.rawValue), \(bind: job.payload.request.model), \(bind: payload), \(bind: job.requestHash), 'queued', \(bind: job.priority), 0, \(bind: job.maxAttempts), \(bind: now), \(bind: job.idempotencyKey), \(bind: job.groupID), \(bind: now), \(bind: now))"
                }
                let ids = try await db.rows("""
                    INSERT INTO jobs (id, user_id, queue, kind, model, payload, request_hash, status, priority, attempts,
                        max_attempts, run_at, idempotency_key, group_id, created_at, updated_at)
                    VALUES \(rows.joined(separator: ", "))
                    ON CONFLICT DO NOTHING RETURNING id
                    """) { try $0.string("id") }
                inserted.formUnion(ids)
            }
            var completed = Set<String>()
            for part in completionRows.chunked(chunk) {
                let rows = part.map { id, worker, result, _, now -> SQLQueryString in
                    "(\(bind: id), \(bind: worker), \(bind: result), \(bind: now))"
                }
                let ids = try await db.rows("""
                    WITH done (id, worker, result, finished) AS (VALUES \(rows.joined(separator: ", ")))
                    UPDATE jobs SET status = 'succeeded', result = done.result, finished_at = done.finished,
                        lease_until = NULL, updated_at = done.finished
                    FROM done
                    WHERE jobs.id = done.id AND jobs.worker_id = done.worker AND jobs.status = 'running'
                    RETURNING jobs.id
                    """) { try $0.string("id") }
                completed.formUnion(ids)
            }
            // Outputs are stored only for completions that took effect.
            let assets = completionRows.filter { completed.contains($0.0) }.flatMap(\.3)
            try await SQLAssetStore.insert(assets, on: db, chunk: chunk / 2)
            return (inserted, completed)
        }
        return operations.map { operation in
            switch operation {
            case .push(let job, _, _): inserted.contains(job.id)
            case .complete(let id, _, _, _, _): completed.contains(id)
            }
        }
    }
}

extension Array {
    func chunked(_ size: Int) -> [ArraySlice<Element>] {
        stride(from: 0, to: count, by: size).map { self[$0..<Swift.min($0 + size, count)] }
    }
}
