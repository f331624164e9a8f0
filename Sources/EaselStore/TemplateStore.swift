import EaselCore
import SQLKit

/// A stored template: its current version's body plus who owns it.
public struct StoredTemplate: Sendable, Equatable {
    public var id: String
    /// nil: shared with everyone (made by an admin).
    public var ownerID: String?
    public var version: Int
    public var body: JSONValue
    public var createdAt: Int64
    public var updatedAt: Int64
}

public struct TemplateVersion: Sendable, Equatable {
    public var version: Int
    public var body: JSONValue
    public var authorID: String?
    public var note: String?
    public var createdAt: Int64

    public init(version: Int, body: JSONValue, authorID: String?, note: String?, createdAt: Int64) {
        self.version = version
        self.body = body
        self.authorID = authorID
        self.note = note
        self.createdAt = createdAt
    }
}

/// Templates made by users, each change an immutable version (built-in templates live in code).
public protocol TemplateStore: Sendable {
    func create(
        id: String,
        ownerID: String?,
        name: String,
        jobType: String,
        body: JSONValue,
        authorID: String,
        note: String?,
        now: Int64
    ) async throws
    /// Adds version `expected + 1`; false if another change took that number first.
    func addVersion(
        id: String,
        expected: Int,
        name: String,
        jobType: String,
        body: JSONValue,
        authorID: String,
        note: String?,
        now: Int64
    )
        async throws -> Bool
    func template(id: String) async throws -> StoredTemplate?
    func version(id: String, version: Int) async throws -> TemplateVersion?
    /// The newest `limit` versions older than `before` (all when nil), listed oldest first.
    func versions(id: String, before: Int?, limit: Int) async throws -> Page<TemplateVersion>
    /// Templates `userID` may see: their own and the shared ones, newest first, made before the template `before`.
    func templates(visibleTo userID: String, before: String?, limit: Int) async throws -> [StoredTemplate]
    func delete(id: String, now: Int64) async throws -> Bool
}

extension TemplateStore {
    /// The newest `limit` templates `userID` may see.
    public func templates(visibleTo userID: String, limit: Int) async throws -> [StoredTemplate] {
        try await templates(visibleTo: userID, before: nil, limit: limit)
    }
}

public struct SQLTemplateStore: TemplateStore {
    let database: any EaselDatabase

    public init(database: any EaselDatabase) {
        self.database = database
    }

    public func create(
        id: String,
        ownerID: String?,
        name: String,
        jobType: String,
        body: JSONValue,
        authorID: String,
        note: String?,
        now: Int64
    )
        async throws
    {
        let text = JSONText.encode(body)
        try await database.write { db in
            try await db.raw(
                """
                INSERT INTO templates (id, owner_id, name, job_type, current_version, created_at, updated_at)
                VALUES (\(bind: id), \(bind: ownerID), \(bind: name), \(bind: jobType), 1, \(bind: now), \(bind: now))
                """
            ).run()
            try await db.raw(
                """
                INSERT INTO template_versions (template_id, version, body, author_id, note, created_at)
                VALUES (\(bind: id), 1, \(bind: text), \(bind: authorID), \(bind: note), \(bind: now))
                """
            ).run()
        }
    }

    public func addVersion(
        id: String,
        expected: Int,
        name: String,
        jobType: String,
        body: JSONValue,
        authorID: String,
        note: String?,
        now: Int64
    ) async throws -> Bool {
        let text = JSONText.encode(body)
        return try await database.write { db in
            let moved = try await db.raw(
                """
                UPDATE templates SET current_version = \(bind: expected + 1), name = \(bind: name), job_type = \(bind: jobType), updated_at = \(bind: now)
                WHERE id = \(bind: id) AND current_version = \(bind: expected) AND deleted_at IS NULL RETURNING id
                """
            ).all()
            guard !moved.isEmpty else { return false }
            try await db.raw(
                """
                INSERT INTO template_versions (template_id, version, body, author_id, note, created_at)
                VALUES (\(bind: id), \(bind: expected + 1), \(bind: text), \(bind: authorID), \(bind: note), \(bind: now))
                """
            ).run()
            return true
        }
    }

    static let selectTemplate = """
        SELECT t.id, t.owner_id, t.current_version, t.created_at, t.updated_at, v.body FROM templates t
        JOIN template_versions v ON v.template_id = t.id AND v.version = t.current_version
        """

    static func decode(_ row: any SQLRow) throws -> StoredTemplate {
        StoredTemplate(
            id: try row.string("id"),
            ownerID: try row.optionalString("owner_id"),
            version: try row.int("current_version"),
            body: try JSONText.parse(try row.string("body")),
            createdAt: try row.int64("created_at"),
            updatedAt: try row.int64("updated_at")
        )
    }

    public func template(id: String) async throws -> StoredTemplate? {
        try await database.reader.rows("\(unsafeRaw: Self.selectTemplate) WHERE t.id = \(bind: id) AND t.deleted_at IS NULL", Self.decode).first
    }

    static func decodeVersion(_ row: any SQLRow) throws -> TemplateVersion {
        TemplateVersion(
            version: try row.int("version"),
            body: try JSONText.parse(try row.string("body")),
            authorID: try row.optionalString("author_id"),
            note: try row.optionalString("note"),
            createdAt: try row.int64("created_at")
        )
    }

    public func version(id: String, version: Int) async throws -> TemplateVersion? {
        try await database.reader.rows(
            """
            SELECT version, body, author_id, note, created_at FROM template_versions
            WHERE template_id = \(bind: id) AND version = \(bind: version)
            """,
            Self.decodeVersion
        ).first
    }

    public func versions(id: String, before: Int?, limit: Int) async throws -> Page<TemplateVersion> {
        var query: SQLQueryString = "SELECT version, body, author_id, note, created_at FROM template_versions WHERE template_id = \(bind: id)"
        if let before { query += " AND version < \(bind: before)" }
        query += " ORDER BY version DESC LIMIT \(bind: limit + 1)"
        let rows = try await database.reader.rows(query, Self.decodeVersion)
        return Page(items: rows.prefix(limit).reversed(), hasMore: rows.count > limit)
    }

    public func templates(visibleTo userID: String, before: String?, limit: Int) async throws -> [StoredTemplate] {
        var query: SQLQueryString = """
            \(unsafeRaw: Self.selectTemplate)
            WHERE t.deleted_at IS NULL AND (t.owner_id = \(bind: userID) OR t.owner_id IS NULL)
            """
        if let before { query += " AND t.id < \(bind: before)" }
        query += " ORDER BY t.id DESC LIMIT \(bind: limit)"
        return try await database.reader.rows(query, Self.decode)
    }

    public func delete(id: String, now: Int64) async throws -> Bool {
        try await database.write { db in
            !(try await db.raw("UPDATE templates SET deleted_at = \(bind: now) WHERE id = \(bind: id) AND deleted_at IS NULL RETURNING id").all())
                .isEmpty
        }
    }
}
