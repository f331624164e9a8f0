import EaselCore
import SQLKit

/// Moderation events: blocked prompts, upstream blocks, reports and admins' actions.
public protocol ModerationStore: Sendable {
    /// Records an event; one with an id already stored is left alone.
    func record(_ event: ModerationEvent) async throws
    /// Newest first: at most `limit` events older than the event `before`.
    func moderationEvents(status: ModerationEvent.Status?, kind: ModerationEvent.Kind?, before: String?, limit: Int) async throws -> [ModerationEvent]
    /// Closes the open reports of an asset (an admin acted on it).
    func closeModerationEvents(assetID: String) async throws
}

extension ModerationStore {
    /// The newest `limit` events.
    public func moderationEvents(status: ModerationEvent.Status?, kind: ModerationEvent.Kind?, limit: Int) async throws -> [ModerationEvent] {
        try await moderationEvents(status: status, kind: kind, before: nil, limit: limit)
    }
}

public struct SQLModerationStore: ModerationStore {
    let database: any EaselDatabase

    public init(database: any EaselDatabase) {
        self.database = database
    }

    public func record(_ event: ModerationEvent) async throws {
        try await database.write { db in
            try await db.raw(
                """
                INSERT INTO moderation_events (id, user_id, kind, category, asset_id, job_id, detail, status, created_at)
                VALUES (\(bind: event.id), \(bind: event.userID), \(bind: event.kind.rawValue), \(bind: event.category), \(bind: event.assetID), \
                \(bind: event.jobID), \(bind: event.detail), \(bind: event.status.rawValue), \(bind: event.createdAt))
                ON CONFLICT DO NOTHING
                """
            ).run()
        }
    }

    public func moderationEvents(
        status: ModerationEvent.Status?,
        kind: ModerationEvent.Kind?,
        before: String?,
        limit: Int
    ) async throws -> [ModerationEvent] {
        var query: SQLQueryString =
            "SELECT id, user_id, kind, category, asset_id, job_id, detail, status, created_at FROM moderation_events WHERE 1 = 1"
        if let status { query += " AND status = \(bind: status.rawValue)" }
        if let kind { query += " AND kind = \(bind: kind.rawValue)" }
        if let before { query += " AND id < \(bind: before)" }
        query += " ORDER BY id DESC LIMIT \(bind: limit)"
        return try await database.reader.rows(query) { row in
            ModerationEvent(
                id: try row.string("id"),
                userID: try row.optionalString("user_id"),
                kind: try row.value("kind", as: ModerationEvent.Kind.self),
                category: try row.optionalString("category"),
                assetID: try row.optionalString("asset_id"),
                jobID: try row.optionalString("job_id"),
                detail: try row.optionalString("detail"),
                status: try row.value("status", as: ModerationEvent.Status.self),
                createdAt: try row.int64("created_at")
            )
        }
    }

    public func closeModerationEvents(assetID: String) async throws {
        try await database.write { db in
            try await db.raw(
                "UPDATE moderation_events SET status = \(literal: ModerationEvent.Status.closed.rawValue) WHERE asset_id = \(bind: assetID) AND status = \(literal: ModerationEvent.Status.open.rawValue)"
            ).run()
        }
    }
}
