import SQLKit

/// What several processes on one database must share: the images-per-minute window of each user (so the
/// limit holds across `serve` processes), and partial images of running jobs (so a client streaming from one
/// process sees the partials of a job a worker in another process runs), and on PostgreSQL the deployment's
/// signing secret, so stateless processes sign and check cookies and file links alike.
struct CreateSharedState: Migration {
    let name = "CreateSharedState"

    func apply(on db: any SQLDatabase, engine: SQLEngine) async throws {
        try await db.raw(
            "CREATE TABLE minute_images (user_id TEXT NOT NULL, at BIGINT NOT NULL, images INTEGER NOT NULL, job_id TEXT NOT NULL, PRIMARY KEY (user_id, job_id))"
        ).run()
        try await db.raw("CREATE INDEX minute_images_by_time ON minute_images (user_id, at)").run()
        try await db.raw("CREATE TABLE deployment_secrets (name TEXT PRIMARY KEY, secret TEXT NOT NULL, created_at BIGINT NOT NULL)").run()
        // Partial images as base64 text (the same column type on both engines); removed when the job ends.
        try await db.raw(
            """
            CREATE TABLE job_partials (job_id TEXT NOT NULL, attempt INTEGER NOT NULL, image_index INTEGER NOT NULL,
                partial_index INTEGER NOT NULL, format TEXT NOT NULL, data TEXT NOT NULL, created_at BIGINT NOT NULL,
                PRIMARY KEY (job_id, attempt, image_index, partial_index))
            """
        ).run()
    }

    func revert(on db: any SQLDatabase, engine: SQLEngine) async throws {
        for table in ["job_partials", "minute_images", "deployment_secrets"] {
            try await db.raw("DROP TABLE IF EXISTS \(ident: table)").run()
        }
    }
}
