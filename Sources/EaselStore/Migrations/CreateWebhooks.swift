import SQLKit

/// Webhook endpoints and their deliveries (the outbox: a job's events are written with its terminal state),
/// and the endpoint a job or batch named with `webhook_url`.
struct CreateWebhooks: Migration {
    let name = "CreateWebhooks"

    func apply(on db: any SQLDatabase, engine: SQLEngine) async throws {
        try await db.raw(
            """
            CREATE TABLE webhook_endpoints (id TEXT PRIMARY KEY, user_id TEXT NOT NULL, url TEXT NOT NULL, events TEXT NOT NULL,
                description TEXT, secret TEXT NOT NULL, ad_hoc INTEGER NOT NULL DEFAULT 0, created_at BIGINT NOT NULL,
                disabled_at BIGINT, disabled_reason TEXT, consecutive_failures INTEGER NOT NULL DEFAULT 0, deleted_at BIGINT)
            """
        ).run()
        try await db.raw("CREATE INDEX webhook_endpoints_by_user ON webhook_endpoints (user_id) WHERE deleted_at IS NULL").run()
        try await db.raw(
            """
            CREATE TABLE webhook_deliveries (id TEXT PRIMARY KEY, endpoint_id TEXT NOT NULL, user_id TEXT NOT NULL, event TEXT NOT NULL,
                subject_id TEXT NOT NULL, status TEXT NOT NULL, attempts INTEGER NOT NULL, next_attempt_at BIGINT,
                last_status INTEGER, last_error TEXT, last_latency_ms INTEGER, delivered_at BIGINT, created_at BIGINT NOT NULL,
                lease_owner TEXT, lease_until BIGINT)
            """
        ).run()
        try await db.raw("CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'pending'").run()
        try await db.raw("CREATE INDEX webhook_deliveries_by_endpoint ON webhook_deliveries (endpoint_id, created_at)").run()
        try await db.raw("ALTER TABLE jobs ADD COLUMN webhook_endpoint_id TEXT").run()
        try await db.raw("ALTER TABLE batches ADD COLUMN webhook_endpoint_id TEXT").run()
    }

    func revert(on db: any SQLDatabase, engine: SQLEngine) async throws {
        try await db.raw("ALTER TABLE batches DROP COLUMN webhook_endpoint_id").run()
        try await db.raw("ALTER TABLE jobs DROP COLUMN webhook_endpoint_id").run()
        for table in ["webhook_deliveries", "webhook_endpoints"] {
            try await db.raw("DROP TABLE IF EXISTS \(ident: table)").run()
        }
    }
}
