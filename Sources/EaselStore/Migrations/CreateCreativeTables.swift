import SQLKit

/// Templates and their versions, brand kits, batches; the request cache's key on jobs; and where an asset
/// came from (brief, template, batch).
struct CreateCreativeTables: Migration {
    let name = "CreateCreativeTables"

    func apply(on db: any SQLDatabase, engine: SQLEngine) async throws {
        try await db.raw(
            """
            CREATE TABLE templates (
                id TEXT PRIMARY KEY,
                owner_id TEXT,
                name TEXT NOT NULL,
                job_type TEXT NOT NULL,
                current_version INTEGER NOT NULL,
                created_at BIGINT NOT NULL,
                updated_at BIGINT NOT NULL,
                deleted_at BIGINT
            )
            """
        ).run()
        try await db.raw("CREATE INDEX templates_by_owner ON templates (owner_id, id)").run()
        // A version is never changed: the primary key is what stops two edits claiming one number.
        try await db.raw(
            """
            CREATE TABLE template_versions (
                template_id TEXT NOT NULL,
                version INTEGER NOT NULL,
                body TEXT NOT NULL,
                author_id TEXT,
                note TEXT,
                created_at BIGINT NOT NULL,
                PRIMARY KEY (template_id, version)
            )
            """
        ).run()
        try await db.raw(
            """
            CREATE TABLE brand_kits (
                id TEXT PRIMARY KEY,
                owner_id TEXT,
                name TEXT NOT NULL,
                body TEXT NOT NULL,
                created_at BIGINT NOT NULL,
                updated_at BIGINT NOT NULL,
                deleted_at BIGINT
            )
            """
        ).run()
        try await db.raw("CREATE INDEX brand_kits_by_owner ON brand_kits (owner_id, id)").run()
        try await db.raw(
            """
            CREATE TABLE batches (
                id TEXT PRIMARY KEY,
                user_id TEXT NOT NULL,
                spec TEXT NOT NULL,
                item_count INTEGER NOT NULL,
                template_ref TEXT,
                created_at BIGINT NOT NULL
            )
            """
        ).run()
        try await db.raw("CREATE INDEX batches_by_user ON batches (user_id, id)").run()
        try await db.raw("ALTER TABLE jobs ADD COLUMN cache_key TEXT").run()
        // Identical requests in flight together join one job; a finished one answers later ones.
        try await db.raw(
            """
            CREATE UNIQUE INDEX jobs_cache_in_flight ON jobs (user_id, cache_key)
            WHERE cache_key IS NOT NULL AND status IN ('queued', 'running', 'retry_wait')
            """
        ).run()
        try await db.raw(
            "CREATE INDEX jobs_cache_done ON jobs (user_id, cache_key, finished_at) WHERE cache_key IS NOT NULL AND status = 'succeeded'"
        ).run()
        for column in ["origin", "template_ref", "batch_id"] {
            try await db.raw("ALTER TABLE assets ADD COLUMN \(unsafeRaw: column) TEXT").run()
        }
        try await db.raw("CREATE INDEX assets_by_batch ON assets (batch_id, id) WHERE batch_id IS NOT NULL").run()
        try await db.raw("CREATE INDEX assets_by_template ON assets (template_ref) WHERE template_ref IS NOT NULL").run()
    }

    func revert(on db: any SQLDatabase, engine: SQLEngine) async throws {
        for index in ["assets_by_template", "assets_by_batch", "jobs_cache_done", "jobs_cache_in_flight"] {
            try await db.raw("DROP INDEX IF EXISTS \(unsafeRaw: index)").run()
        }
        for table in ["batches", "brand_kits", "template_versions", "templates"] {
            try await db.raw("DROP TABLE IF EXISTS \(unsafeRaw: table)").run()
        }
        for column in ["origin", "template_ref", "batch_id"] {
            try await db.raw("ALTER TABLE assets DROP COLUMN \(unsafeRaw: column)").run()
        }
        try await db.raw("ALTER TABLE jobs DROP COLUMN cache_key").run()
    }
}
