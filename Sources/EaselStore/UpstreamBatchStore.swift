import EaselCore
import SQLKit

/// Economy jobs waiting for one model.
public struct EconomyBacklog: Sendable, Equatable {
    public var model: String
    public var count: Int
    /// When the longest-waiting one was queued.
    public var oldest: Int64
}

/// Provider batches and the economy jobs they hold. A batch's row is leased to one process at a time while it
/// works on it (sending, polling, reading results), so many processes can share the work and a process that
/// stops mid-way leaves a row another one picks up when the lease runs out.
public protocol UpstreamBatchStore: Sendable {
    /// Models with economy jobs waiting in `queue`, and since when.
    func backlog(queue: String, now: Int64) async throws -> [EconomyBacklog]
    /// Takes up to `limit` waiting economy jobs of `batch.model` into the new batch, leased to `owner`, in one
    /// transaction: the jobs become running under the batch (no lease of their own: the batch holds them).
    /// Nil, and nothing stored, when none were waiting.
    func collect(_ batch: UpstreamBatch, queue: String, limit: Int, owner: String, leaseMs: Int64) async throws -> (UpstreamBatch, [JobRecord])?
    /// Leases up to `limit` unfinished batches that are due (their next poll time has come) and that no
    /// other process holds.
    func leaseDue(owner: String, leaseMs: Int64, now: Int64, limit: Int) async throws -> [UpstreamBatch]
    /// Writes the batch's state while `owner` holds it; `release` ends the lease. False if the lease was lost.
    func save(_ batch: UpstreamBatch, owner: String, release: Bool, leaseMs: Int64, now: Int64) async throws -> Bool
    /// The jobs still waiting on the batch (running under it).
    func heldJobs(batchID: String) async throws -> [JobRecord]
    /// Batches sent upstream none of whose jobs is wanted any more (all cancelled): marked for an upstream
    /// cancel and made due now. Returns their ids.
    func markAbandoned(now: Int64) async throws -> [String]
    /// When the earliest unfinished batch is next due (its poll time, or the end of another process's lease);
    /// nil when none is unfinished.
    func nextDue() async throws -> Int64?
    func batch(id: String) async throws -> UpstreamBatch?
    func batches(ids: [String]) async throws -> [UpstreamBatch]
    /// Newest first.
    func recent(limit: Int) async throws -> [UpstreamBatch]
}

public struct SQLUpstreamBatchStore: UpstreamBatchStore {
    let database: any EaselDatabase

    public init(database: any EaselDatabase) {
        self.database = database
    }

    static let columns = """
        id, provider, model, upstream_model, endpoint, phase, upstream_id, input_file_id, output_file_id, error_file_id, \
        upstream_status, total, completed, failed, note, created_at, submitted_at, expires_at, finished_at, next_poll_at, polls, \
        cancel_requested_at
        """

    static func decode(_ row: any SQLRow) throws -> UpstreamBatch {
        var batch = UpstreamBatch(
            id: try row.string("id"),
            provider: try row.string("provider"),
            model: try row.string("model"),
            upstreamModel: try row.string("upstream_model"),
            endpoint: try row.string("endpoint"),
            createdAt: try row.int64("created_at")
        )
        batch.phase = try row.value("phase", as: UpstreamBatch.Phase.self)
        batch.upstreamID = try row.optionalString("upstream_id")
        batch.inputFileID = try row.optionalString("input_file_id")
        batch.outputFileID = try row.optionalString("output_file_id")
        batch.errorFileID = try row.optionalString("error_file_id")
        batch.upstreamStatus = try row.optionalString("upstream_status")
        batch.total = try row.int("total")
        batch.completed = try row.int("completed")
        batch.failed = try row.int("failed")
        batch.note = try row.optionalString("note")
        batch.submittedAt = try row.optionalInt64("submitted_at")
        batch.expiresAt = try row.optionalInt64("expires_at")
        batch.finishedAt = try row.optionalInt64("finished_at")
        batch.nextPollAt = try row.int64("next_poll_at")
        batch.polls = try row.int("polls")
        batch.cancelRequestedAt = try row.optionalInt64("cancel_requested_at")
        return batch
    }

    public func backlog(queue: String, now: Int64) async throws -> [EconomyBacklog] {
        try await database.reader.rows(
            """
            SELECT model, COUNT(*) AS waiting, MIN(created_at) AS oldest FROM jobs
            WHERE queue = \(bind: queue) AND status IN ('queued', 'retry_wait') AND run_at <= \(bind: now)
            GROUP BY model ORDER BY oldest
            """
        ) { EconomyBacklog(model: try $0.string("model"), count: try $0.int("waiting"), oldest: try $0.int64("oldest")) }
    }

    public func collect(
        _ batch: UpstreamBatch,
        queue: String,
        limit: Int,
        owner: String,
        leaseMs: Int64
    ) async throws -> (UpstreamBatch, [JobRecord])? {
        let now = batch.createdAt
        let worker = UpstreamBatch.worker(batch.id)
        let lock: SQLQueryString = database.engine == .postgres ? " FOR UPDATE SKIP LOCKED" : ""
        return try await database.write { db -> (UpstreamBatch, [JobRecord])? in
            // No lease on the jobs: the reaper leaves them alone; the batch's own lease says who works on it.
            let jobs = try await db.rows(
                """
                UPDATE jobs SET status = 'running', attempts = attempts + 1, worker_id = \(bind: worker), lease_until = NULL,
                    upstream_batch_id = \(bind: batch.id), started_at = COALESCE(started_at, \(bind: now)), updated_at = \(bind: now)
                WHERE id IN (
                    SELECT id FROM jobs
                    WHERE queue = \(bind: queue) AND model = \(bind: batch.model) AND status IN ('queued', 'retry_wait') AND run_at <= \(bind: now)
                    ORDER BY priority DESC, run_at, id LIMIT \(bind: limit)\(lock))
                RETURNING \(unsafeRaw: SQLJobStore.columns)
                """,
                SQLJobStore.decodeJob
            ).sorted { $0.id < $1.id }
            guard !jobs.isEmpty else { return nil }
            var stored = batch
            stored.total = jobs.count
            try await db.raw(
                """
                INSERT INTO upstream_batches (id, provider, model, upstream_model, endpoint, phase, total, created_at, next_poll_at, polls,
                    lease_owner, lease_until)
                VALUES (\(bind: stored.id), \(bind: stored.provider), \(bind: stored.model), \(bind: stored.upstreamModel), \(bind: stored.endpoint), \
                \(bind: stored.phase.rawValue), \(bind: stored.total), \(bind: now), \(bind: stored.nextPollAt), 0, \(bind: owner), \(bind: now + leaseMs))
                """
            ).run()
            return (stored, jobs)
        }
    }

    public func leaseDue(owner: String, leaseMs: Int64, now: Int64, limit: Int) async throws -> [UpstreamBatch] {
        // Looked for first on a reader: an idle batcher asks often and must not queue behind, or hold, the writer.
        let due = try await database.reader.rows(
            """
            SELECT id FROM upstream_batches
            WHERE phase <> 'finished' AND next_poll_at <= \(bind: now) AND (lease_until IS NULL OR lease_until < \(bind: now)) LIMIT 1
            """
        ) { try $0.string("id") }
        guard !due.isEmpty else { return [] }
        return try await database.write { db in
            try await db.rows(
                """
                UPDATE upstream_batches SET lease_owner = \(bind: owner), lease_until = \(bind: now + leaseMs)
                WHERE id IN (
                    SELECT id FROM upstream_batches
                    WHERE phase <> 'finished' AND next_poll_at <= \(bind: now) AND (lease_until IS NULL OR lease_until < \(bind: now))
                    ORDER BY next_poll_at LIMIT \(bind: limit))
                RETURNING \(unsafeRaw: Self.columns)
                """,
                Self.decode
            )
        }
    }

    public func save(_ batch: UpstreamBatch, owner: String, release: Bool, leaseMs: Int64, now: Int64) async throws -> Bool {
        let leaseUntil: Int64? = release ? nil : now + leaseMs
        let ownerValue: String? = release ? nil : owner
        return try await database.write { db in
            !(try await db.raw(
                """
                UPDATE upstream_batches SET phase = \(bind: batch.phase.rawValue), upstream_id = \(bind: batch.upstreamID),
                    input_file_id = \(bind: batch.inputFileID), output_file_id = \(bind: batch.outputFileID), error_file_id = \(bind: batch.errorFileID),
                    upstream_status = \(bind: batch.upstreamStatus), total = \(bind: batch.total), completed = \(bind: batch.completed),
                    failed = \(bind: batch.failed), note = \(bind: batch.note), submitted_at = \(bind: batch.submittedAt),
                    expires_at = \(bind: batch.expiresAt), finished_at = \(bind: batch.finishedAt), next_poll_at = \(bind: batch.nextPollAt),
                    polls = \(bind: batch.polls), cancel_requested_at = COALESCE(cancel_requested_at, \(bind: batch.cancelRequestedAt)),
                    lease_owner = \(bind: ownerValue), lease_until = \(bind: leaseUntil)
                WHERE id = \(bind: batch.id) AND lease_owner = \(bind: owner)
                RETURNING id
                """
            ).all().isEmpty)
        }
    }

    public func heldJobs(batchID: String) async throws -> [JobRecord] {
        try await database.reader.rows(
            """
            SELECT \(unsafeRaw: SQLJobStore.columns) FROM jobs
            WHERE upstream_batch_id = \(bind: batchID) AND status = 'running' AND worker_id = \(bind: UpstreamBatch.worker(batchID))
            ORDER BY id
            """,
            SQLJobStore.decodeJob
        )
    }

    public func markAbandoned(now: Int64) async throws -> [String] {
        let abandoned: SQLQueryString = """
            phase IN ('preparing', 'submitted') AND cancel_requested_at IS NULL
            AND NOT EXISTS (SELECT 1 FROM jobs j WHERE j.upstream_batch_id = upstream_batches.id AND j.status = 'running')
            """
        let candidates = try await database.reader.rows("SELECT id FROM upstream_batches WHERE \(abandoned) LIMIT 1") { try $0.string("id") }
        guard !candidates.isEmpty else { return [] }
        return try await database.write { db in
            try await db.rows(
                """
                UPDATE upstream_batches SET cancel_requested_at = \(bind: now), next_poll_at = \(bind: now)
                WHERE \(abandoned)
                RETURNING id
                """
            ) { try $0.string("id") }
        }
    }

    public func nextDue() async throws -> Int64? {
        try await database.reader.rows(
            """
            SELECT MIN(CASE WHEN lease_until > next_poll_at THEN lease_until ELSE next_poll_at END) AS due
            FROM upstream_batches WHERE phase <> 'finished'
            """
        ) { try $0.optionalInt64("due") }.first ?? nil
    }

    public func batch(id: String) async throws -> UpstreamBatch? {
        try await batches(ids: [id]).first
    }

    public func batches(ids: [String]) async throws -> [UpstreamBatch] {
        guard !ids.isEmpty else { return [] }
        return try await database.reader.rows(
            "SELECT \(unsafeRaw: Self.columns) FROM upstream_batches WHERE id IN (\(binds: ids)) ORDER BY id",
            Self.decode
        )
    }

    public func recent(limit: Int) async throws -> [UpstreamBatch] {
        try await database.reader.rows(
            "SELECT \(unsafeRaw: Self.columns) FROM upstream_batches ORDER BY id DESC LIMIT \(bind: limit)",
            Self.decode
        )
    }
}
