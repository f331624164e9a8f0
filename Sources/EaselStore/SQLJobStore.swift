import EaselCore
import Foundation
import SQLKit

/// The job queue over SQL. Each state change is one statement (or one short transaction); no transaction
/// stays open while a job runs.
public struct SQLJobStore: JobStore {
    let database: any EaselDatabase
    let clock: any EaselClock
    private let batcher: JobWriteBatcher

    public init(database: any EaselDatabase, clock: any EaselClock) {
        self.database = database
        self.clock = clock
        self.batcher = JobWriteBatcher(database: database)
    }

    static let columns = """
        id, user_id, queue, kind, model, payload, status, priority, attempts, max_attempts, run_at, lease_until, \
        worker_id, last_error, idempotency_key, group_id, result, created_at, started_at, finished_at, updated_at, upstream_batch_id
        """

    public func push(_ job: NewJob) async throws -> PushOutcome {
        let now = clock.nowMillis()
        let payload = JSONText.encode(job.payload.json)
        let inserted = try await batcher.submit(.push(job, payload: payload, now: now))
        if inserted {
            return .created(
                JobRecord(
                    id: job.id,
                    userID: job.userID,
                    queue: job.queue,
                    kind: job.kind,
                    model: job.payload.request.model,
                    payload: job.payload,
                    status: job.claim == nil ? .queued : .running,
                    priority: job.priority,
                    attempts: job.claim == nil ? 0 : 1,
                    maxAttempts: job.maxAttempts,
                    runAt: now,
                    leaseUntil: job.claim.map { now + $0.leaseMs },
                    workerID: job.claim?.worker,
                    lastError: nil,
                    idempotencyKey: job.idempotencyKey,
                    groupID: job.groupID,
                    result: nil,
                    createdAt: now,
                    startedAt: job.claim == nil ? nil : now,
                    finishedAt: nil,
                    updatedAt: now
                )
            )
        }
        // A fresh id collides only on (user, idempotency key) or on an identical cached request in flight.
        if let key = job.idempotencyKey, let earlier = try await idempotent(job, key: key) { return earlier }
        guard let cacheKey = job.cacheKey else { throw EaselError.server("job id collision") }
        let joined = try await database.reader.rows(
            """
            SELECT \(unsafeRaw: Self.columns) FROM jobs WHERE user_id = \(bind: job.userID) AND cache_key = \(bind: cacheKey)
            AND status IN ('queued', 'running', 'retry_wait')
            """,
            Self.decodeJob
        ).first
        // It finished between the insert and this read: the caller asks again and finds it cached.
        guard let joined else { throw CacheRace() }
        return .existing(joined)
    }

    /// The job an earlier request made with the same idempotency key; 409 if that request was another one.
    private func idempotent(_ job: NewJob, key: String) async throws -> PushOutcome? {
        let rows = try await database.reader.raw(
            """
            SELECT \(unsafeRaw: Self.columns), request_hash FROM jobs
            WHERE user_id = \(bind: job.userID) AND idempotency_key = \(bind: key)
            """
        ).all()
        guard let row = rows.first else { return nil }
        guard try row.string("request_hash") == job.requestHash else {
            throw EaselError.conflict(
                "The Idempotency-Key '\(key)' was already used for a different request. Use a new key for a new request.",
                code: "idempotency_key_reused"
            )
        }
        return .existing(try Self.decodeJob(row))
    }

    public func claim(queue: String, worker: String, limit: Int, leaseMs: Int64) async throws -> [JobRecord] {
        let now = clock.nowMillis()
        let set: SQLQueryString = """
            UPDATE jobs SET status = 'running', attempts = attempts + 1, worker_id = \(bind: worker),
                lease_until = \(bind: now + leaseMs), started_at = COALESCE(started_at, \(bind: now)),
                updated_at = \(bind: now)
            """
        let ready: SQLQueryString = """
            SELECT id AS picked_id FROM jobs
            WHERE queue = \(bind: queue) AND status IN ('queued', 'retry_wait') AND run_at <= \(bind: now)
            ORDER BY priority DESC, run_at, id LIMIT \(bind: limit)
            """
        // PostgreSQL: the pick runs once (a materialized CTE; a LIMIT subquery in the UPDATE may be run again by
        // a nested loop and take more rows) and skips rows another worker is claiming. SQLite has one writer.
        let statement: SQLQueryString =
            database.engine == .postgres
            ? "WITH picked AS MATERIALIZED (\(ready) FOR UPDATE SKIP LOCKED) \(set) FROM picked WHERE jobs.id = picked.picked_id"
            : "\(set) WHERE id IN (\(ready))"
        // No notice for a claim: `running` is not worth serialising commits for; watchers see it by polling,
        // and every ending is announced.
        let claimed: [JobRecord] = try await database.write(isolation: .singleStatement) { db in
            try await db.rows("\(statement) RETURNING \(unsafeRaw: Self.columns)", Self.decodeJob)
        }
        return claimed.sorted { a, b in
            a.priority != b.priority ? a.priority > b.priority : a.runAt != b.runAt ? a.runAt < b.runAt : a.id < b.id
        }
    }

    public func heartbeat(worker: String, jobIDs: [String], leaseMs: Int64) async throws -> Set<String> {
        guard !jobIDs.isEmpty else { return [] }
        let now = clock.nowMillis()
        let held = try await database.write(isolation: .singleStatement) { db in
            try await db.rows(
                """
                UPDATE jobs SET lease_until = \(bind: now + leaseMs), updated_at = \(bind: now)
                WHERE worker_id = \(bind: worker) AND status = 'running' AND id IN (\(binds: jobIDs))
                RETURNING id
                """
            ) { try $0.string("id") }
        }
        return Set(held)
    }

    public func complete(jobID: String, worker: String, attempt: Int?, result: JobResult, assets: [AssetRecord]) async throws -> Int64? {
        let now = clock.nowMillis()
        let resultText = JSONText.encode(result.json)
        let done = try await batcher.submit(
            .complete(jobID: jobID, worker: worker, attempt: attempt ?? -1, result: resultText, assets: assets, now: now)
        )
        return done ? now : nil
    }

    public func retry(jobID: String, worker: String, attempt: Int?, errors: [JobError], delayMs: Int64) async throws -> Bool {
        try await finishAttempt(jobID: jobID, worker: worker, attempt: attempt, errors: errors, status: .retryWait, delayMs: delayMs)
    }

    public func fail(jobID: String, worker: String, attempt: Int?, errors: [JobError]) async throws -> Bool {
        try await finishAttempt(jobID: jobID, worker: worker, attempt: attempt, errors: errors, status: .failed, delayMs: 0)
    }

    private func finishAttempt(
        jobID: String,
        worker: String,
        attempt: Int?,
        errors: [JobError],
        status: JobStatus,
        delayMs: Int64
    ) async throws -> Bool {
        guard let last = errors.last else { throw EaselError.server("an attempt failed without an error") }
        let now = clock.nowMillis()
        let errorText = JSONText.encode(last.json)
        let texts = errors.map { JSONText.encode($0.json) }
        let finishedAt: Int64? = status == .failed ? now : nil
        return try await database.write(isolation: .statementGuarded) { db in
            let rows = try await db.rows(
                """
                UPDATE jobs SET status = \(bind: status.rawValue), run_at = \(bind: now + delayMs),
                    last_error = \(bind: errorText), lease_until = NULL, worker_id = NULL,
                    finished_at = \(bind: finishedAt), updated_at = \(bind: now)
                WHERE id = \(bind: jobID) AND status = 'running' AND worker_id = \(bind: worker)
                    AND (\(bind: attempt ?? -1) < 0 OR attempts = \(bind: attempt ?? -1))
                RETURNING attempts
                """
            ) { try $0.int("attempts") }
            guard let attempt = rows.first else { return false }
            try await Self.recordAttempt(jobID: jobID, attempt: attempt, errorTexts: texts, at: now, on: db)
            try await ChangeNotices.jobsChanged([jobID], on: db)
            if status == .failed {
                try await Self.forgetPartials([jobID], on: db)
                try await WebhookOutbox.jobsEnded([jobID], now: now, on: db)
            }
            return true
        }
    }

    public func recordErrors(jobID: String, attempt: Int, errors: [JobError]) async throws {
        guard !errors.isEmpty else { return }
        let now = clock.nowMillis()
        let texts = errors.map { JSONText.encode($0.json) }
        try await database.write { db in
            try await Self.recordAttempt(jobID: jobID, attempt: attempt, errorTexts: texts, at: now, on: db)
        }
    }

    static func recordAttempt(jobID: String, attempt: Int, errorTexts: [String], at now: Int64, on db: any SQLDatabase) async throws {
        guard !errorTexts.isEmpty else { return }
        let rows = errorTexts.enumerated().map { seq, text -> SQLQueryString in
            "(\(bind: jobID), \(bind: attempt), \(bind: seq), \(bind: text), \(bind: now))"
        }
        try await db.raw(
            """
            INSERT INTO job_attempts (job_id, attempt, seq, error, at) VALUES \(rows.joined(separator: ", "))
            ON CONFLICT DO NOTHING
            """
        ).run()
    }

    public func release(jobID: String, worker: String, afterMs: Int64) async throws -> Bool {
        let now = clock.nowMillis()
        // A release at shutdown keeps the job's place in the queue; a delayed one waits its turn again.
        let later: SQLQueryString = afterMs > 0 ? ", run_at = \(bind: now + afterMs)" : ""
        return try await database.write(isolation: .statementGuarded) { db in
            let queues = try await db.rows(
                """
                UPDATE jobs SET status = 'queued', attempts = attempts - 1, lease_until = NULL, worker_id = NULL,
                    updated_at = \(bind: now)\(later)
                WHERE id = \(bind: jobID) AND status = 'running' AND worker_id = \(bind: worker)
                RETURNING queue
                """
            ) { try $0.string("queue") }
            try await ChangeNotices.workQueued(queues: queues, on: db)
            return queues.count == 1
        }
    }

    public func releaseAll(worker: String) async throws -> [String] {
        let now = clock.nowMillis()
        return try await database.write(isolation: .statementGuarded) { db in
            let released = try await db.rows(
                """
                UPDATE jobs SET status = 'queued', attempts = attempts - 1, lease_until = NULL, worker_id = NULL,
                    updated_at = \(bind: now)
                WHERE status = 'running' AND worker_id = \(bind: worker)
                RETURNING id, queue
                """
            ) { (try $0.string("id"), try $0.string("queue")) }
            try await ChangeNotices.workQueued(queues: released.map(\.1), on: db)
            return released.map(\.0)
        }
    }

    public func cancel(jobID: String, userID: String?) async throws -> CancelOutcome {
        let now = clock.nowMillis()
        return try await database.write { db in
            let rows = try await db.rows("SELECT \(unsafeRaw: Self.columns) FROM jobs WHERE id = \(bind: jobID)", Self.decodeJob)
            guard var job = rows.first, userID == nil || job.userID == userID else { return .notFound }
            if job.status.isTerminal { return .alreadyFinished(job) }
            let wasRunning = job.status == .running
            try await db.raw(
                """
                UPDATE jobs SET status = 'cancelled', lease_until = NULL, finished_at = \(bind: now), updated_at = \(bind: now)
                WHERE id = \(bind: jobID)
                """
            ).run()
            try await ChangeNotices.jobsChanged([jobID], on: db)
            try await Self.forgetPartials([jobID], on: db)
            try await WebhookOutbox.jobsEnded([jobID], now: now, on: db)
            job.status = .cancelled
            job.leaseUntil = nil
            job.finishedAt = now
            job.updatedAt = now
            return .cancelled(job, wasRunning: wasRunning)
        }
    }

    public func requeueExpiredLeases() async throws -> [String] {
        let now = clock.nowMillis()
        let lost = JobError(
            status: 500,
            type: "server_error",
            code: "worker_lost",
            message: "The worker running this attempt stopped answering (its lease expired).",
            retryable: true
        )
        let errorText = JSONText.encode(lost.json)
        return try await database.write(isolation: .statementGuarded) { db in
            let rows = try await db.rows(
                """
                UPDATE jobs SET
                    status = CASE WHEN attempts >= max_attempts THEN 'failed' ELSE 'queued' END,
                    finished_at = CASE WHEN attempts >= max_attempts THEN \(bind: now) ELSE NULL END,
                    last_error = \(bind: errorText), worker_id = NULL, lease_until = NULL, updated_at = \(bind: now)
                WHERE status = 'running' AND lease_until < \(bind: now)
                RETURNING id, attempts, queue, status
                """
            ) { (try $0.string("id"), try $0.int("attempts"), try $0.string("queue"), try $0.string("status")) }
            for (id, attempt, _, _) in rows {
                try await Self.recordAttempt(jobID: id, attempt: attempt, errorTexts: [errorText], at: now, on: db)
            }
            try await WebhookOutbox.jobsEnded(rows.filter { $0.3 == "failed" }.map(\.0), now: now, on: db)
            try await ChangeNotices.jobsChanged(rows.map(\.0), on: db)
            try await ChangeNotices.workQueued(queues: rows.map(\.2), on: db)
            return rows.map(\.0)
        }
    }

    public func cachedJobs(userID: String, cacheKey: String, limit: Int) async throws -> [JobRecord] {
        try await database.reader.rows(
            """
            SELECT \(unsafeRaw: Self.columns) FROM jobs WHERE user_id = \(bind: userID) AND cache_key = \(bind: cacheKey) AND status = 'succeeded'
            ORDER BY finished_at DESC LIMIT \(bind: limit)
            """,
            Self.decodeJob
        )
    }

    public func insertFinished(_ job: NewJob, result: JobResult) async throws -> PushOutcome {
        let now = clock.nowMillis()
        let payload = JSONText.encode(job.payload.json)
        let resultText = JSONText.encode(result.json)
        let inserted: JobRecord? = try await database.write { db in
            guard
                let row = try await db.rows(
                    """
                    INSERT INTO jobs (id, user_id, queue, kind, model, payload, request_hash, status, priority, attempts, max_attempts,
                        run_at, idempotency_key, group_id, webhook_endpoint_id, result, created_at, started_at, finished_at, updated_at)
                    VALUES (\(bind: job.id), \(bind: job.userID), \(bind: job.queue), \(bind: job.kind.rawValue), \(bind: job.payload.request.model),
                        \(bind: payload), \(bind: job.requestHash), 'succeeded', \(bind: job.priority), 0, \(bind: job.maxAttempts), \(bind: now),
                        \(bind: job.idempotencyKey), \(bind: job.groupID), \(bind: job.payload.webhookEndpointID), \(bind: resultText),
                        \(bind: now), \(bind: now), \(bind: now), \(bind: now))
                    ON CONFLICT DO NOTHING RETURNING \(unsafeRaw: Self.columns)
                    """,
                    Self.decodeJob
                ).first
            else { return nil }
            try await WebhookOutbox.jobsEnded([row.id], now: now, on: db)
            return row
        }
        if let inserted { return .created(inserted) }
        guard let key = job.idempotencyKey, let earlier = try await idempotent(job, key: key) else { throw EaselError.server("job id collision") }
        return earlier
    }

    public func savePartial(jobID: String, attempt: Int, partial: PartialImage) async throws {
        let now = clock.nowMillis()
        try await database.write(isolation: .statementGuarded) { db in
            try await db.raw(
                """
                INSERT INTO job_partials (job_id, attempt, image_index, partial_index, format, data, created_at)
                VALUES (\(bind: jobID), \(bind: attempt), \(bind: partial.imageIndex), \(bind: partial.partialIndex), \(bind: partial.format.rawValue),
                    \(bind: partial.data.base64EncodedString()), \(bind: now))
                ON CONFLICT DO NOTHING
                """
            ).run()
            try await ChangeNotices.jobsChanged([jobID], on: db)
        }
    }

    public func partials(jobID: String) async throws -> [PartialImage] {
        try await database.reader.rows(
            """
            SELECT image_index, partial_index, format, data FROM job_partials WHERE job_id = \(bind: jobID)
            AND attempt = (SELECT MAX(attempt) FROM job_partials WHERE job_id = \(bind: jobID))
            ORDER BY image_index, partial_index
            """
        ) { row in
            PartialImage(
                imageIndex: try row.int("image_index"),
                partialIndex: try row.int("partial_index"),
                data: Data(base64Encoded: try row.string("data")) ?? Data(),
                format: try row.value("format", as: ImageFormat.self)
            )
        }
    }

    /// Partials are only for watchers of a running job: gone when it ends.
    static func forgetPartials(_ jobIDs: [String], on db: any SQLDatabase) async throws {
        guard db.isPostgres else { return }
        try await db.raw("DELETE FROM job_partials WHERE job_id IN (\(binds: jobIDs))").run()
    }

    public func jobs(ids: [String]) async throws -> [JobRecord] {
        guard !ids.isEmpty else { return [] }
        return try await database.reader.rows("SELECT \(unsafeRaw: Self.columns) FROM jobs WHERE id IN (\(binds: ids))", Self.decodeJob)
    }

    public func job(id: String) async throws -> JobRecord? {
        try await database.reader.rows("SELECT \(unsafeRaw: Self.columns) FROM jobs WHERE id = \(bind: id)", Self.decodeJob).first
    }

    public func terminalJobs(ids: [String]) async throws -> [JobRecord] {
        guard !ids.isEmpty else { return [] }
        return try await database.reader.rows(
            """
            SELECT \(unsafeRaw: Self.columns) FROM jobs
            WHERE id IN (\(binds: ids)) AND status IN ('succeeded', 'failed', 'cancelled')
            """,
            Self.decodeJob
        )
    }

    public func jobs(userID: String?, status: JobStatus?, groupID: String?, before: String?, limit: Int) async throws -> Page<JobRecord> {
        var query: SQLQueryString = "SELECT \(unsafeRaw: Self.columns) FROM jobs WHERE 1 = 1"
        if let userID { query += " AND user_id = \(bind: userID)" }
        if let status { query += " AND status = \(bind: status.rawValue)" }
        if let groupID { query += " AND group_id = \(bind: groupID)" }
        if let before { query += " AND id < \(bind: before)" }
        query += " ORDER BY id DESC LIMIT \(bind: limit + 1)"
        let rows = try await database.reader.rows(query, Self.decodeJob)
        return Page(fetched: rows, limit: limit)
    }

    public func queuePosition(of job: JobRecord) async throws -> Int? {
        guard job.status.isReady else { return nil }
        let ahead =
            try await database.reader.rows(
                """
                SELECT COUNT(*) AS ahead FROM jobs
                WHERE queue = \(bind: job.queue) AND status IN ('queued', 'retry_wait') AND (
                    priority > \(bind: job.priority)
                    OR (priority = \(bind: job.priority) AND (run_at < \(bind: job.runAt)
                        OR (run_at = \(bind: job.runAt) AND id < \(bind: job.id)))))
                """
            ) { try $0.int("ahead") }.first ?? 0
        return ahead + 1
    }

    public func attempts(jobID: String) async throws -> [JobAttempt] {
        try await database.reader.rows(
            """
            SELECT job_id, attempt, seq, error, at FROM job_attempts WHERE job_id = \(bind: jobID) ORDER BY attempt, seq
            """
        ) { row in
            JobAttempt(
                jobID: try row.string("job_id"),
                attempt: try row.int("attempt"),
                seq: try row.int("seq"),
                error: try JobError(json: try JSONText.parse(try row.string("error"))),
                at: try row.int64("at")
            )
        }
    }

    public func countsByStatus() async throws -> [JobStatus: Int] {
        let rows = try await database.reader.rows("SELECT status, COUNT(*) AS n FROM jobs GROUP BY status") {
            (try $0.string("status"), try $0.int("n"))
        }
        var counts: [JobStatus: Int] = [:]
        for (status, n) in rows { if let status = JobStatus(rawValue: status) { counts[status] = n } }
        return counts
    }

    static func decodeJob(_ row: any SQLRow) throws -> JobRecord {
        JobRecord(
            id: try row.string("id"),
            userID: try row.string("user_id"),
            queue: try row.string("queue"),
            kind: JobKind(rawValue: try row.string("kind")) ?? .generate,
            model: try row.string("model"),
            payload: try JobPayload(json: try JSONText.parse(try row.string("payload"))),
            status: JobStatus(rawValue: try row.string("status")) ?? .failed,
            priority: try row.int("priority"),
            attempts: try row.int("attempts"),
            maxAttempts: try row.int("max_attempts"),
            runAt: try row.int64("run_at"),
            leaseUntil: try row.optionalInt64("lease_until"),
            workerID: try row.optionalString("worker_id"),
            lastError: try row.optionalString("last_error").map { try JobError(json: try JSONText.parse($0)) },
            idempotencyKey: try row.optionalString("idempotency_key"),
            groupID: try row.optionalString("group_id"),
            result: try row.optionalString("result").map { try JobResult(json: try JSONText.parse($0)) },
            createdAt: try row.int64("created_at"),
            startedAt: try row.optionalInt64("started_at"),
            finishedAt: try row.optionalInt64("finished_at"),
            updatedAt: try row.int64("updated_at"),
            upstreamBatchID: try row.optionalString("upstream_batch_id")
        )
    }
}

/// An identical cached request finished while this one was being inserted; asking again finds its result.
public struct CacheRace: Error {}
