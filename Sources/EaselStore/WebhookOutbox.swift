import EaselCore
import SQLKit

/// Webhook deliveries written inside the transaction that changes what they tell about, so a crash can
/// lose neither: a job's end goes to every endpoint of its owner that hears that event, and to the
/// endpoint the job itself named (`webhook_url`). A delivery's id is fixed by its event, subject and endpoint,
/// so writing it twice changes nothing.
enum WebhookOutbox {
    /// Endpoints that hear `event` (an SQL expression) for the subject owned by `owner`, or that the subject named.
    static func hears(_ event: String, owner: String, named: String) -> String {
        """
        e.user_id = \(owner) AND e.deleted_at IS NULL AND e.disabled_at IS NULL
            AND ((e.ad_hoc = 0 AND e.events LIKE '%,' || \(event) || ',%') OR e.id = \(named))
        """
    }

    static func jobsEnded(_ jobIDs: some Collection<String>, now: Int64, on db: any SQLDatabase) async throws {
        guard !jobIDs.isEmpty else { return }
        try await db.raw(
            """
            INSERT INTO webhook_deliveries (id, endpoint_id, user_id, event, subject_id, status, attempts, next_attempt_at, created_at)
            SELECT 'whd_' || j.id || '_' || e.id, e.id, j.user_id, 'job.' || j.status, j.id, 'pending', 0, \(bind: now), \(bind: now)
            FROM jobs j JOIN webhook_endpoints e ON \(unsafeRaw: hears("'job.' || j.status", owner: "j.user_id", named: "j.webhook_endpoint_id"))
            WHERE j.id IN (\(binds: Array(jobIDs))) AND j.status IN ('succeeded', 'failed', 'cancelled')
            ON CONFLICT DO NOTHING
            """
        ).run()
    }

    /// The same, for jobs a PostgreSQL statement has just completed (its `changed` CTE, which returns
    /// `id, user_id, webhook_endpoint_id`): another CTE of that statement, which still sees the jobs as
    /// they were before it.
    static func completedCTE(now: Int64) -> SQLQueryString {
        """
        hooked AS (INSERT INTO webhook_deliveries (id, endpoint_id, user_id, event, subject_id, status, attempts, next_attempt_at, created_at)
            SELECT 'whd_' || c.id || '_' || e.id, e.id, c.user_id, 'job.succeeded', c.id, 'pending', 0, \(bind: now), \(bind: now)
            FROM changed c JOIN webhook_endpoints e ON \(unsafeRaw: hears("'job.succeeded'", owner: "c.user_id", named: "c.webhook_endpoint_id"))
            WHERE true ON CONFLICT DO NOTHING)
        """
    }

    /// A review decision on an asset, to its owner's endpoints that hear it.
    static func reviewed(assetID: String, ownerID: String, status: String, eventID: String, now: Int64, on db: any SQLDatabase) async throws {
        let event = "review." + status
        guard WebhookEvent.all.contains(event) else { return }
        try await db.raw(
            """
            INSERT INTO webhook_deliveries (id, endpoint_id, user_id, event, subject_id, status, attempts, next_attempt_at, created_at)
            SELECT 'whd_' || \(bind: eventID) || '_' || e.id, e.id, e.user_id, \(bind: event), \(bind: assetID), 'pending', 0, \(bind: now), \(bind: now)
            FROM webhook_endpoints e
            WHERE e.user_id = \(bind: ownerID) AND e.deleted_at IS NULL AND e.disabled_at IS NULL AND e.ad_hoc = 0
                AND e.events LIKE \(bind: "%," + event + ",%")
            ON CONFLICT DO NOTHING
            """
        ).run()
    }

    /// Batches all of whose items have ended and that have not yet told their endpoints so: one delivery per
    /// batch, endpoint and number of items (a retry of failed items ends the batch again). Derived from the
    /// stored jobs, so a sweep after a crash finds what a crash interrupted.
    static func batchesEnded(now: Int64, on db: any SQLDatabase) async throws -> Int {
        let cutoff = now - WebhookRetry.giveUpAfterMs
        return try await db.rows(
            """
            INSERT INTO webhook_deliveries (id, endpoint_id, user_id, event, subject_id, status, attempts, next_attempt_at, created_at)
            SELECT 'whd_' || b.id || '_' || e.id || '_' || CAST(counts.n AS TEXT), e.id, b.user_id, 'batch.completed', b.id, 'pending', 0,
                \(bind: now), \(bind: now)
            FROM batches b
            JOIN webhook_endpoints e ON \(unsafeRaw: hears("'batch.completed'", owner: "b.user_id", named: "b.webhook_endpoint_id"))
            JOIN (SELECT group_id, COUNT(*) AS n, SUM(CASE WHEN status IN ('succeeded', 'failed', 'cancelled') THEN 1 ELSE 0 END) AS ended
                FROM jobs WHERE group_id IN (
                    SELECT b2.id FROM batches b2 WHERE b2.created_at > \(bind: cutoff) AND b2.user_id IN (
                        SELECT user_id FROM webhook_endpoints WHERE deleted_at IS NULL AND disabled_at IS NULL))
                GROUP BY group_id) counts ON counts.group_id = b.id
            WHERE b.created_at > \(bind: cutoff) AND counts.n >= b.item_count AND counts.ended = counts.n
            ON CONFLICT DO NOTHING
            RETURNING id
            """
        ) { try $0.string("id") }.count
    }
}
