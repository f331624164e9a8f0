import SQLKit

/// Jobs, their failed attempts, and assets. Times are milliseconds since 1970 (BIGINT on both engines);
/// JSON is stored as TEXT so SQLite and PostgreSQL share one schema.
struct CreateCoreTables: Migration {
    let name = "CreateCoreTables"

    func apply(on db: any SQLDatabase, engine: SQLEngine) async throws {
        try await db.raw(
            """
            CREATE TABLE jobs (
                id TEXT PRIMARY KEY,
                user_id TEXT NOT NULL,
                queue TEXT NOT NULL,
                kind TEXT NOT NULL,
                model TEXT NOT NULL,
                payload TEXT NOT NULL,
                request_hash TEXT NOT NULL,
                status TEXT NOT NULL,
                priority INTEGER NOT NULL DEFAULT 0,
                attempts INTEGER NOT NULL DEFAULT 0,
                max_attempts INTEGER NOT NULL,
                run_at BIGINT NOT NULL,
                lease_until BIGINT,
                worker_id TEXT,
                last_error TEXT,
                idempotency_key TEXT,
                group_id TEXT,
                result TEXT,
                created_at BIGINT NOT NULL,
                started_at BIGINT,
                finished_at BIGINT,
                updated_at BIGINT NOT NULL
            )
            """
        ).run()
        // The ready set stays small: only waiting jobs are in this index.
        try await db.raw("CREATE INDEX jobs_ready ON jobs (queue, priority DESC, run_at, id) WHERE status IN ('queued', 'retry_wait')").run()
        try await db.raw("CREATE INDEX jobs_leases ON jobs (lease_until) WHERE status = 'running'").run()
        try await db.raw("CREATE INDEX jobs_by_user ON jobs (user_id, id)").run()
        try await db.raw("CREATE INDEX jobs_by_group ON jobs (group_id) WHERE group_id IS NOT NULL").run()
        try await db.raw("CREATE UNIQUE INDEX jobs_idempotency ON jobs (user_id, idempotency_key) WHERE idempotency_key IS NOT NULL").run()

        try await db.raw(
            """
            CREATE TABLE job_attempts (
                job_id TEXT NOT NULL,
                attempt INTEGER NOT NULL,
                seq INTEGER NOT NULL,
                error TEXT NOT NULL,
                at BIGINT NOT NULL,
                PRIMARY KEY (job_id, attempt, seq)
            )
            """
        ).run()

        try await db.raw(
            """
            CREATE TABLE assets (
                id TEXT PRIMARY KEY,
                job_id TEXT,
                user_id TEXT NOT NULL,
                parent_asset_id TEXT,
                idx INTEGER NOT NULL,
                blob_key TEXT NOT NULL,
                thumb_key TEXT,
                format TEXT NOT NULL,
                width INTEGER NOT NULL,
                height INTEGER NOT NULL,
                bytes BIGINT NOT NULL,
                sha256 TEXT NOT NULL,
                model TEXT NOT NULL,
                provider TEXT NOT NULL,
                is_draft INTEGER NOT NULL,
                role TEXT NOT NULL,
                prompt TEXT NOT NULL,
                created_at BIGINT NOT NULL
            )
            """
        ).run()
        // A job run twice (an expired lease) must not store its outputs twice.
        try await db.raw("CREATE UNIQUE INDEX assets_job_output ON assets (job_id, role, idx) WHERE job_id IS NOT NULL").run()
        try await db.raw("CREATE INDEX assets_by_user ON assets (user_id, id)").run()
        try await db.raw("CREATE INDEX assets_by_parent ON assets (parent_asset_id) WHERE parent_asset_id IS NOT NULL").run()
        try await db.raw("CREATE INDEX assets_by_blob ON assets (blob_key)").run()
    }

    func revert(on db: any SQLDatabase, engine: SQLEngine) async throws {
        for table in ["assets", "job_attempts", "jobs"] {
            try await db.raw("DROP TABLE IF EXISTS \(ident: table)").run()
        }
    }
}
