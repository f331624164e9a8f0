import EaselCore
import Foundation
import SQLKit

/// Group commit (`GroupCommit`) for the queue's hottest writes: enqueues and completions that arrive while
/// a write is in flight are written together, one multi-row statement per kind, in one transaction.
final class JobWriteBatcher: Sendable {
    enum Operation: Sendable {
        case push(NewJob, payload: String, now: Int64)
        /// `attempt` -1: any attempt of this worker's.
        case complete(jobID: String, worker: String, attempt: Int, result: String, assets: [AssetRecord], now: Int64)
    }

    private let database: any EaselDatabase
    /// Rows per statement: stays well inside SQLite's 32,766 bound parameters.
    private let chunk = 400
    private let group: GroupCommit<Operation>

    init(database: any EaselDatabase) {
        self.database = database
        let chunk = self.chunk
        let throttle = NoticeThrottle()
        group = GroupCommit { operations in try await Self.write(operations, database: database, chunk: chunk, throttle: throttle) }
    }

    /// Queues the write; returns whether it took effect (inserted, or completed by this worker).
    func submit(_ operation: Operation) async throws -> Bool {
        try await group.submit(operation)
    }

    private static func write(_ operations: [Operation], database: any EaselDatabase, chunk: Int, throttle: NoticeThrottle) async throws -> [Bool] {
        var pushes: [(NewJob, String, Int64)] = []
        var completions: [(String, String, Int, String, [AssetRecord], Int64)] = []
        for operation in operations {
            switch operation {
            case .push(let job, let payload, let now): pushes.append((job, payload, now))
            case .complete(let id, let worker, let attempt, let result, let assets, let now):
                completions.append((id, worker, attempt, result, assets, now))
            }
        }
        let pushRows = pushes
        let completionRows = completions
        let postgres = database.engine == .postgres
        // On PostgreSQL each kind is one statement that also sends its notices (and forgets finished jobs'
        // partials), so a batch of one kind without outputs runs alone: no BEGIN and COMMIT round trips.
        let queuesToWake = postgres ? throttle.due(pushRows.filter { $0.0.claim == nil }.map(\.0.queue)) : []
        let hasAssets = completionRows.contains { !$0.4.isEmpty }
        let oneStatement =
            postgres && !hasAssets
            && ((completionRows.isEmpty && pushRows.count <= chunk) || (pushRows.isEmpty && completionRows.count <= chunk))
        let (inserted, completed) = try await database.write(isolation: oneStatement ? .singleStatement : .statementGuarded) {
            db -> (Set<String>, Set<String>) in
            var inserted = Set<String>()
            for (index, part) in pushRows.chunked(chunk).enumerated() {
                let rows = part.map { job, payload, now -> SQLQueryString in
                    // A job claimed at submission starts as attempt 1 of its worker, like a claim would make it.
                    let status = job.claim == nil ? "queued" : "running"
                    let lease = job.claim.map { now + $0.leaseMs }
                    let started: Int64? = job.claim == nil ? nil : now
                    return
                        "(\(bind: job.id), \(bind: job.userID), \(bind: job.queue), \(bind: job.kind.rawValue), \(bind: job.payload.request.model), \(bind: payload), \(bind: job.requestHash), \(bind: status), \(bind: job.priority), \(bind: job.claim == nil ? 0 : 1), \(bind: job.maxAttempts), \(bind: now), \(bind: job.claim?.worker), \(bind: lease), \(bind: started), \(bind: job.idempotencyKey), \(bind: job.groupID), \(bind: job.cacheKey), \(bind: job.payload.webhookEndpointID), \(bind: now), \(bind: now))"
                }
                let insert: SQLQueryString = """
                    INSERT INTO jobs (id, user_id, queue, kind, model, payload, request_hash, status, priority, attempts,
                        max_attempts, run_at, worker_id, lease_until, started_at, idempotency_key, group_id, cache_key, webhook_endpoint_id,
                        created_at, updated_at)
                    VALUES \(rows.joined(separator: ", "))
                    ON CONFLICT DO NOTHING RETURNING id
                    """
                // The wake-up rides on the first part's statement, sent only if a queued job went in.
                let ids = try await db.rows(
                    postgres && index == 0 && !queuesToWake.isEmpty
                        ? """
                        WITH added AS (\(insert), queue, status),
                            told AS (SELECT pg_notify(\(bind: ChangeNotices.workChannel), queue)
                                FROM (SELECT DISTINCT queue FROM added WHERE status = 'queued' AND queue IN (\(binds: queuesToWake))) due)
                        SELECT id FROM added WHERE (SELECT count(*) FROM told) >= 0
                        """
                        : insert
                ) { try $0.string("id") }
                inserted.formUnion(ids)
            }
            var completed = Set<String>()
            for part in completionRows.chunked(chunk) {
                let rows = part.map { id, worker, attempt, result, _, now -> SQLQueryString in
                    "(\(bind: id), \(bind: worker), CAST(\(bind: attempt) AS BIGINT), \(bind: result), \(bind: now))"
                }
                // Fenced by worker and attempt: a worker that lost the job (or an older attempt of it) changes nothing.
                let update: SQLQueryString = """
                    UPDATE jobs SET status = 'succeeded', result = done.result, finished_at = done.finished,
                        lease_until = NULL, updated_at = done.finished
                    FROM done
                    WHERE jobs.id = done.id AND jobs.worker_id = done.worker AND jobs.status = 'running'
                        AND (done.attempt < 0 OR jobs.attempts = done.attempt)
                    RETURNING jobs.id, jobs.user_id, jobs.webhook_endpoint_id
                    """
                let values: SQLQueryString = "done (id, worker, attempt, result, finished) AS (VALUES \(rows.joined(separator: ", ")))"
                let ids = try await db.rows(
                    postgres
                        // Finished jobs' partials go, their webhooks are written, and waiting processes hear of them
                        // (ids in payloads under NOTIFY's limit), in the same statement.
                        ? """
                        WITH \(values), changed AS (\(update)),
                            forgot AS (DELETE FROM job_partials WHERE job_id IN (SELECT id FROM changed)),
                            \(WebhookOutbox.completedCTE(now: part[part.startIndex].5)),
                            told AS (SELECT pg_notify(\(bind: ChangeNotices.jobsChannel), string_agg(id, ','))
                                FROM (SELECT id, (row_number() OVER () - 1) / \(unsafeRaw: String(ChangeNotices.idsPerNotice)) AS part
                                    FROM changed) parts GROUP BY part)
                        SELECT id FROM changed WHERE (SELECT count(*) FROM told) >= 0
                        """
                        : "WITH \(values) \(update)"
                ) { try $0.string("id") }
                completed.formUnion(ids)
                if !postgres { try await WebhookOutbox.jobsEnded(ids, now: part[part.startIndex].5, on: db) }
            }
            // Outputs are stored only for completions that took effect.
            let assets = completionRows.filter { completed.contains($0.0) }.flatMap(\.4)
            try await SQLAssetStore.insert(assets, on: db, chunk: chunk / 2)
            return (inserted, completed)
        }
        return operations.map { operation in
            switch operation {
            case .push(let job, _, _): inserted.contains(job.id)
            case .complete(let id, _, _, _, _, _): completed.contains(id)
            }
        }
    }
}

extension Array {
    func chunked(_ size: Int) -> [ArraySlice<Element>] {
        stride(from: 0, to: count, by: size).map { self[$0..<Swift.min($0 + size, count)] }
    }
}
