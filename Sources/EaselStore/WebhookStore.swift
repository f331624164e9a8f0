import EaselCore
import SQLKit

/// Webhook endpoints (with their sealed signing secrets) and the deliveries to them.
public protocol WebhookStore: Sendable {
    func create(_ endpoint: WebhookEndpoint, sealedSecret: String) async throws
    /// Newest first: at most `limit` live endpoints made before the endpoint `before`; `adHoc` picks the
    /// request-made ones (true), the registered ones (false), or both (nil).
    func endpoints(userID: String, adHoc: Bool?, before: String?, limit: Int) async throws -> [WebhookEndpoint]
    /// The endpoint and its sealed secret; deleted ones are gone.
    func endpoint(id: String) async throws -> (WebhookEndpoint, String)?
    /// The request-made endpoint of this user for `url`, if there is one.
    func adHocEndpoint(userID: String, url: String) async throws -> WebhookEndpoint?
    func delete(id: String, userID: String, now: Int64) async throws -> Bool
    /// Turns an endpoint on again (clearing its failures) or off with a reason.
    func setDisabled(id: String, reason: String?, now: Int64) async throws
    func enqueue(_ delivery: WebhookDelivery) async throws
    func delivery(id: String) async throws -> WebhookDelivery?
    /// Newest first, before `before` (a delivery id).
    func deliveries(endpointID: String, before: String?, limit: Int) async throws -> [WebhookDelivery]
    /// Leases up to `limit` deliveries that are due.
    func claimDue(owner: String, leaseMs: Int64, now: Int64, limit: Int) async throws -> [WebhookDelivery]
    /// Records an attempt; returns the endpoint's consecutive failures after it.
    func record(_ delivery: WebhookDelivery, owner: String, succeeded: Bool) async throws -> Int
    /// Writes deliveries for batches that have ended since they were last looked at.
    func sweepEndedBatches(now: Int64) async throws -> Int
}

public struct SQLWebhookStore: WebhookStore {
    let database: any EaselDatabase

    public init(database: any EaselDatabase) {
        self.database = database
    }

    static let endpointColumns =
        "id, user_id, url, events, description, secret, ad_hoc, created_at, disabled_at, disabled_reason, consecutive_failures"
    static let deliveryColumns = """
        id, endpoint_id, user_id, event, subject_id, status, attempts, next_attempt_at, last_status, last_error, last_latency_ms, \
        delivered_at, created_at
        """

    static func decodeEndpoint(_ row: any SQLRow) throws -> WebhookEndpoint {
        WebhookEndpoint(
            id: try row.string("id"),
            userID: try row.string("user_id"),
            url: try row.string("url"),
            events: WebhookEndpoint.events(stored: try row.string("events")),
            description: try row.optionalString("description"),
            createdAt: try row.int64("created_at"),
            disabledAt: try row.optionalInt64("disabled_at"),
            disabledReason: try row.optionalString("disabled_reason"),
            consecutiveFailures: try row.int("consecutive_failures"),
            adHoc: try row.int("ad_hoc") != 0
        )
    }

    static func decodeDelivery(_ row: any SQLRow) throws -> WebhookDelivery {
        WebhookDelivery(
            id: try row.string("id"),
            endpointID: try row.string("endpoint_id"),
            userID: try row.string("user_id"),
            event: try row.string("event"),
            subjectID: try row.string("subject_id"),
            status: WebhookDelivery.Status(rawValue: try row.string("status")) ?? .failed,
            attempts: try row.int("attempts"),
            nextAttemptAt: try row.optionalInt64("next_attempt_at"),
            lastStatus: try row.optionalInt64("last_status").map(Int.init),
            lastError: try row.optionalString("last_error"),
            lastLatencyMs: try row.optionalInt64("last_latency_ms").map(Int.init),
            deliveredAt: try row.optionalInt64("delivered_at"),
            createdAt: try row.int64("created_at")
        )
    }

    public func create(_ endpoint: WebhookEndpoint, sealedSecret: String) async throws {
        try await database.write { db in
            try await db.raw(
                """
                INSERT INTO webhook_endpoints (id, user_id, url, events, description, secret, ad_hoc, created_at)
                VALUES (\(bind: endpoint.id), \(bind: endpoint.userID), \(bind: endpoint.url), \(bind: WebhookEndpoint.storedEvents(endpoint.events)),
                    \(bind: endpoint.description), \(bind: sealedSecret), \(bind: endpoint.adHoc ? 1 : 0), \(bind: endpoint.createdAt))
                """
            ).run()
        }
    }

    public func endpoints(userID: String, adHoc: Bool?, before: String?, limit: Int) async throws -> [WebhookEndpoint] {
        var query: SQLQueryString =
            "SELECT \(unsafeRaw: Self.endpointColumns) FROM webhook_endpoints WHERE user_id = \(bind: userID) AND deleted_at IS NULL"
        if let adHoc { query += " AND ad_hoc = \(bind: adHoc ? 1 : 0)" }
        if let before { query += " AND id < \(bind: before)" }
        query += " ORDER BY id DESC LIMIT \(bind: limit)"
        return try await database.reader.rows(query, Self.decodeEndpoint)
    }

    public func endpoint(id: String) async throws -> (WebhookEndpoint, String)? {
        try await database.reader.rows(
            "SELECT \(unsafeRaw: Self.endpointColumns) FROM webhook_endpoints WHERE id = \(bind: id) AND deleted_at IS NULL"
        ) { (try Self.decodeEndpoint($0), try $0.string("secret")) }.first
    }

    public func adHocEndpoint(userID: String, url: String) async throws -> WebhookEndpoint? {
        try await database.reader.rows(
            """
            SELECT \(unsafeRaw: Self.endpointColumns) FROM webhook_endpoints
            WHERE user_id = \(bind: userID) AND url = \(bind: url) AND ad_hoc = 1 AND deleted_at IS NULL
            """,
            Self.decodeEndpoint
        ).first
    }

    public func delete(id: String, userID: String, now: Int64) async throws -> Bool {
        try await database.write { db in
            let deleted = try await db.rows(
                """
                UPDATE webhook_endpoints SET deleted_at = \(bind: now) WHERE id = \(bind: id) AND user_id = \(bind: userID) AND deleted_at IS NULL
                RETURNING id
                """
            ) { try $0.string("id") }
            // What was still to be sent to it is not sent.
            try await db.raw(
                "UPDATE webhook_deliveries SET status = 'failed', last_error = 'endpoint deleted', next_attempt_at = NULL WHERE endpoint_id = \(bind: id) AND status = 'pending'"
            ).run()
            return !deleted.isEmpty
        }
    }

    public func setDisabled(id: String, reason: String?, now: Int64) async throws {
        try await database.write(isolation: .singleStatement) { db in
            if let reason {
                try await db.raw(
                    "UPDATE webhook_endpoints SET disabled_at = \(bind: now), disabled_reason = \(bind: reason) WHERE id = \(bind: id) AND disabled_at IS NULL"
                ).run()
            } else {
                try await db.raw(
                    "UPDATE webhook_endpoints SET disabled_at = NULL, disabled_reason = NULL, consecutive_failures = 0 WHERE id = \(bind: id)"
                ).run()
            }
        }
    }

    public func enqueue(_ delivery: WebhookDelivery) async throws {
        try await database.write { db in
            try await db.raw(
                """
                INSERT INTO webhook_deliveries (id, endpoint_id, user_id, event, subject_id, status, attempts, next_attempt_at, created_at)
                VALUES (\(bind: delivery.id), \(bind: delivery.endpointID), \(bind: delivery.userID), \(bind: delivery.event),
                    \(bind: delivery.subjectID), 'pending', 0, \(bind: delivery.nextAttemptAt), \(bind: delivery.createdAt))
                """
            ).run()
        }
    }

    public func delivery(id: String) async throws -> WebhookDelivery? {
        try await database.reader.rows(
            "SELECT \(unsafeRaw: Self.deliveryColumns) FROM webhook_deliveries WHERE id = \(bind: id)",
            Self.decodeDelivery
        ).first
    }

    public func deliveries(endpointID: String, before: String?, limit: Int) async throws -> [WebhookDelivery] {
        let cursor: SQLQueryString =
            if let before {
                "AND (created_at, id) < (SELECT created_at, id FROM webhook_deliveries WHERE id = \(bind: before))"
            } else {
                ""
            }
        return try await database.reader.rows(
            """
            SELECT \(unsafeRaw: Self.deliveryColumns) FROM webhook_deliveries WHERE endpoint_id = \(bind: endpointID) \(cursor)
            ORDER BY created_at DESC, id DESC LIMIT \(bind: limit)
            """,
            Self.decodeDelivery
        )
    }

    public func claimDue(owner: String, leaseMs: Int64, now: Int64, limit: Int) async throws -> [WebhookDelivery] {
        try await database.write(isolation: .singleStatement) { db in
            try await db.rows(
                """
                UPDATE webhook_deliveries SET lease_owner = \(bind: owner), lease_until = \(bind: now + leaseMs)
                WHERE id IN (SELECT id FROM webhook_deliveries WHERE status = 'pending' AND next_attempt_at <= \(bind: now)
                    AND (lease_until IS NULL OR lease_until < \(bind: now)) ORDER BY next_attempt_at LIMIT \(bind: limit))
                    AND status = 'pending' AND (lease_until IS NULL OR lease_until < \(bind: now))
                RETURNING \(unsafeRaw: Self.deliveryColumns)
                """,
                Self.decodeDelivery
            )
        }
    }

    public func record(_ delivery: WebhookDelivery, owner: String, succeeded: Bool) async throws -> Int {
        // Both updates guard themselves (the lease's owner; an increment in place): no need to serialize.
        try await database.write(isolation: .statementGuarded) { db in
            let updated = try await db.rows(
                """
                UPDATE webhook_deliveries SET status = \(bind: delivery.status.rawValue), attempts = \(bind: delivery.attempts),
                    next_attempt_at = \(bind: delivery.nextAttemptAt), last_status = \(bind: delivery.lastStatus),
                    last_error = \(bind: delivery.lastError), last_latency_ms = \(bind: delivery.lastLatencyMs),
                    delivered_at = \(bind: delivery.deliveredAt), lease_owner = NULL, lease_until = NULL
                WHERE id = \(bind: delivery.id) AND lease_owner = \(bind: owner)
                RETURNING id
                """
            ) { try $0.string("id") }
            guard !updated.isEmpty else { return 0 }
            let failures = try await db.rows(
                """
                UPDATE webhook_endpoints SET consecutive_failures = \(unsafeRaw: succeeded ? "0" : "consecutive_failures + 1")
                WHERE id = \(bind: delivery.endpointID) RETURNING consecutive_failures
                """
            ) { try $0.int("consecutive_failures") }
            return failures.first ?? 0
        }
    }

    public func sweepEndedBatches(now: Int64) async throws -> Int {
        // One INSERT … ON CONFLICT DO NOTHING: a serializable read of every recent batch would only conflict.
        try await database.write(isolation: .singleStatement) { db in try await WebhookOutbox.batchesEnded(now: now, on: db) }
    }
}
