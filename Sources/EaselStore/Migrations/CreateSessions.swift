import SQLKit

/// Editing sessions: a chain of turns, each an edit job on the latest image of the session.
struct CreateSessions: Migration {
    let name = "CreateSessions"

    func apply(on db: any SQLDatabase, engine: SQLEngine) async throws {
        try await db.raw(
            """
            CREATE TABLE sessions (
                id TEXT PRIMARY KEY,
                user_id TEXT NOT NULL,
                title TEXT,
                model TEXT NOT NULL,
                base_asset_id TEXT,
                created_at BIGINT NOT NULL,
                updated_at BIGINT NOT NULL
            )
            """
        ).run()
        try await db.raw("CREATE INDEX sessions_by_user ON sessions (user_id, id)").run()
        // The primary key is what stops two turns claiming the same place in a session.
        try await db.raw(
            """
            CREATE TABLE session_turns (
                session_id TEXT NOT NULL,
                turn INTEGER NOT NULL,
                job_id TEXT NOT NULL,
                prompt TEXT NOT NULL,
                input_asset_id TEXT,
                created_at BIGINT NOT NULL,
                PRIMARY KEY (session_id, turn)
            )
            """
        ).run()
    }

    func revert(on db: any SQLDatabase, engine: SQLEngine) async throws {
        try await db.raw("DROP TABLE IF EXISTS session_turns").run()
        try await db.raw("DROP TABLE IF EXISTS sessions").run()
    }
}
