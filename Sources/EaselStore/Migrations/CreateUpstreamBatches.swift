import SQLKit

/// Economy batches: the provider batches economy jobs were sent in (durable across restarts, so any process
/// resumes polling where another stopped), each job's batch, and what the batch price saved in the ledger.
struct CreateUpstreamBatches: Migration {
    let name = "CreateUpstreamBatches"

    func apply(on db: any SQLDatabase, engine: SQLEngine) async throws {
        try await db.raw(
            """
            CREATE TABLE upstream_batches (
                id TEXT PRIMARY KEY,
                provider TEXT NOT NULL,
                model TEXT NOT NULL,
                upstream_model TEXT NOT NULL,
                endpoint TEXT NOT NULL,
                phase TEXT NOT NULL,
                upstream_id TEXT,
                input_file_id TEXT,
                output_file_id TEXT,
                error_file_id TEXT,
                upstream_status TEXT,
                total INTEGER NOT NULL DEFAULT 0,
                completed INTEGER NOT NULL DEFAULT 0,
                failed INTEGER NOT NULL DEFAULT 0,
                note TEXT,
                created_at BIGINT NOT NULL,
                submitted_at BIGINT,
                expires_at BIGINT,
                finished_at BIGINT,
                next_poll_at BIGINT NOT NULL,
                polls INTEGER NOT NULL DEFAULT 0,
                cancel_requested_at BIGINT,
                lease_owner TEXT,
                lease_until BIGINT
            )
            """
        ).run()
        try await db.raw("CREATE INDEX upstream_batches_due ON upstream_batches (next_poll_at) WHERE phase <> 'finished'").run()
        try await db.raw("ALTER TABLE jobs ADD COLUMN upstream_batch_id TEXT").run()
        try await db.raw("CREATE INDEX jobs_by_upstream_batch ON jobs (upstream_batch_id, status) WHERE upstream_batch_id IS NOT NULL").run()
        try await db.raw("ALTER TABLE ledger ADD COLUMN saved_micros BIGINT NOT NULL DEFAULT 0").run()
    }

    func revert(on db: any SQLDatabase, engine: SQLEngine) async throws {
        try await db.raw("DROP INDEX IF EXISTS jobs_by_upstream_batch").run()
        try await db.raw("DROP TABLE IF EXISTS upstream_batches").run()
        try await db.raw("ALTER TABLE jobs DROP COLUMN upstream_batch_id").run()
        try await db.raw("ALTER TABLE ledger DROP COLUMN saved_micros").run()
    }
}
