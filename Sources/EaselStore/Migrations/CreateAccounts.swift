import SQLKit

/// Users, API keys, the money ledger, daily image counts, moderation events, and hidden/deleted assets.
struct CreateAccounts: Migration {
    let name = "CreateAccounts"

    func apply(on db: any SQLDatabase, engine: SQLEngine) async throws {
        try await db.raw(
            """
            CREATE TABLE users (
                id TEXT PRIMARY KEY,
                name TEXT NOT NULL UNIQUE,
                role TEXT NOT NULL,
                plan TEXT NOT NULL,
                password_hash TEXT,
                balance_micros BIGINT NOT NULL DEFAULT 0,
                budget_period TEXT,
                active_jobs INTEGER NOT NULL DEFAULT 0,
                disabled INTEGER NOT NULL DEFAULT 0,
                created_at BIGINT NOT NULL
            )
            """
        ).run()
        try await db.raw(
            """
            CREATE TABLE api_keys (
                id TEXT PRIMARY KEY,
                user_id TEXT NOT NULL,
                prefix TEXT NOT NULL,
                hash TEXT NOT NULL UNIQUE,
                name TEXT,
                created_at BIGINT NOT NULL,
                last_used_at BIGINT,
                revoked_at BIGINT
            )
            """
        ).run()
        try await db.raw("CREATE INDEX api_keys_by_user ON api_keys (user_id)").run()
        // Every change to a balance is a row here. `amount_micros` is the change to the balance; `cost_micros`
        // is what a finished job cost. One reserve and one final (settle or refund) per job, enforced by the
        // unique index, so a replayed settlement or refund changes nothing.
        try await db.raw(
            """
            CREATE TABLE ledger (
                id TEXT PRIMARY KEY,
                user_id TEXT NOT NULL,
                job_id TEXT,
                phase TEXT NOT NULL,
                kind TEXT NOT NULL,
                amount_micros BIGINT NOT NULL,
                cost_micros BIGINT NOT NULL DEFAULT 0,
                images INTEGER NOT NULL DEFAULT 0,
                model TEXT,
                day TEXT NOT NULL,
                note TEXT,
                created_at BIGINT NOT NULL
            )
            """
        ).run()
        try await db.raw("CREATE UNIQUE INDEX ledger_job_phase ON ledger (job_id, phase) WHERE job_id IS NOT NULL").run()
        try await db.raw("CREATE INDEX ledger_by_user_day ON ledger (user_id, day)").run()
        try await db.raw("CREATE INDEX ledger_open_reserves ON ledger (created_at) WHERE phase = 'reserve'").run()
        try await db.raw(
            """
            CREATE TABLE daily_images (
                user_id TEXT NOT NULL,
                day TEXT NOT NULL,
                images INTEGER NOT NULL,
                PRIMARY KEY (user_id, day)
            )
            """
        ).run()
        try await db.raw(
            """
            CREATE TABLE moderation_events (
                id TEXT PRIMARY KEY,
                user_id TEXT,
                kind TEXT NOT NULL,
                category TEXT,
                asset_id TEXT,
                job_id TEXT,
                detail TEXT,
                status TEXT NOT NULL,
                created_at BIGINT NOT NULL
            )
            """
        ).run()
        try await db.raw("CREATE INDEX moderation_by_status ON moderation_events (status, id)").run()
        try await db.raw("ALTER TABLE assets ADD COLUMN hidden_at BIGINT").run()
    }

    func revert(on db: any SQLDatabase, engine: SQLEngine) async throws {
        for table in ["moderation_events", "daily_images", "ledger", "api_keys", "users"] {
            try await db.raw("DROP TABLE IF EXISTS \(ident: table)").run()
        }
    }
}
