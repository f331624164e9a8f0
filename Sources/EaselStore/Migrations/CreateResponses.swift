import SQLKit

/// Responses API turns (`resp_…`) and the partial images their streams sent, so a stream can be resumed.
struct CreateResponses: Migration {
    let name = "CreateResponses"

    func apply(on db: any SQLDatabase, engine: SQLEngine) async throws {
        try await db.raw(
            """
            CREATE TABLE responses (id TEXT PRIMARY KEY, user_id TEXT NOT NULL, job_id TEXT NOT NULL, previous_response_id TEXT,
                created_at BIGINT NOT NULL, echo TEXT NOT NULL, input_items TEXT NOT NULL, turn_text TEXT NOT NULL,
                action TEXT NOT NULL, prompt TEXT NOT NULL)
            """
        ).run()
        try await db.raw("CREATE INDEX responses_by_user ON responses (user_id, id)").run()
        try await db.raw(
            """
            CREATE TABLE response_partials (response_id TEXT NOT NULL, partial_index INTEGER NOT NULL, data TEXT NOT NULL,
                PRIMARY KEY (response_id, partial_index))
            """
        ).run()
    }

    func revert(on db: any SQLDatabase, engine: SQLEngine) async throws {
        for table in ["response_partials", "responses"] {
            try await db.raw("DROP TABLE IF EXISTS \(ident: table)").run()
        }
    }
}

/// The studio finds the turn behind an image by its job.
struct IndexResponsesByJob: Migration {
    let name = "IndexResponsesByJob"

    func apply(on db: any SQLDatabase, engine: SQLEngine) async throws {
        try await db.raw("CREATE INDEX responses_by_job ON responses (job_id)").run()
    }

    func revert(on db: any SQLDatabase, engine: SQLEngine) async throws {
        try await db.raw("DROP INDEX IF EXISTS responses_by_job").run()
    }
}
