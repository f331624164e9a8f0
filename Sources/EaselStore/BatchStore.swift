import EaselCore
import SQLKit

/// A batch as stored: its spec as the user sent it (template, rows, axes), how many items it made. Its items
/// are jobs in the group of the batch's id.
public struct StoredBatch: Sendable, Equatable {
    public var id: String
    public var userID: String
    public var spec: JSONValue
    public var itemCount: Int
    public var templateRef: String?
    public var createdAt: Int64
    /// The endpoint the request's `webhook_url` stands for: it hears `batch.completed`.
    public var webhookEndpointID: String?

    public init(id: String, userID: String, spec: JSONValue, itemCount: Int, templateRef: String?, createdAt: Int64) {
        self.id = id
        self.userID = userID
        self.spec = spec
        self.itemCount = itemCount
        self.templateRef = templateRef
        self.createdAt = createdAt
    }
}

public protocol BatchStore: Sendable {
    func create(_ batch: StoredBatch) async throws
    func batch(id: String) async throws -> StoredBatch?
    func batches(userID: String, before: String?, limit: Int) async throws -> Page<StoredBatch>
}

public struct SQLBatchStore: BatchStore {
    let database: any EaselDatabase

    public init(database: any EaselDatabase) {
        self.database = database
    }

    static func decode(_ row: any SQLRow) throws -> StoredBatch {
        StoredBatch(
            id: try row.string("id"),
            userID: try row.string("user_id"),
            spec: try JSONText.parse(try row.string("spec")),
            itemCount: try row.int("item_count"),
            templateRef: try row.optionalString("template_ref"),
            createdAt: try row.int64("created_at")
        )
    }

    public func create(_ batch: StoredBatch) async throws {
        let spec = JSONText.encode(batch.spec)
        try await database.write { db in
            try await db.raw(
                """
                INSERT INTO batches (id, user_id, spec, item_count, template_ref, created_at, webhook_endpoint_id)
                VALUES (\(bind: batch.id), \(bind: batch.userID), \(bind: spec), \(bind: batch.itemCount), \(bind: batch.templateRef), \(bind: batch.createdAt),
                    \(bind: batch.webhookEndpointID))
                """
            ).run()
        }
    }

    public func batch(id: String) async throws -> StoredBatch? {
        try await database.reader.rows(
            "SELECT id, user_id, spec, item_count, template_ref, created_at FROM batches WHERE id = \(bind: id)",
            Self.decode
        ).first
    }

    public func batches(userID: String, before: String?, limit: Int) async throws -> Page<StoredBatch> {
        var query: SQLQueryString = "SELECT id, user_id, spec, item_count, template_ref, created_at FROM batches WHERE user_id = \(bind: userID)"
        if let before { query += " AND id < \(bind: before)" }
        query += " ORDER BY id DESC LIMIT \(bind: limit + 1)"
        let rows = try await database.reader.rows(query, Self.decode)
        return Page(fetched: rows, limit: limit)
    }
}
