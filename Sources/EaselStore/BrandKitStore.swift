import EaselCore
import SQLKit

public struct StoredBrandKit: Sendable, Equatable {
    public var id: String
    /// nil: shared with everyone.
    public var ownerID: String?
    public var body: JSONValue

    public init(id: String, ownerID: String?, body: JSONValue) {
        self.id = id
        self.ownerID = ownerID
        self.body = body
    }
}

/// Brand kits: a team's palette, style, constraints and banned words.
public protocol BrandKitStore: Sendable {
    func create(_ kit: StoredBrandKit, name: String, now: Int64) async throws
    func update(_ kit: StoredBrandKit, name: String, now: Int64) async throws -> Bool
    func kit(id: String) async throws -> StoredBrandKit?
    /// Kits `userID` may see (their own and the shared ones), newest first, made before the kit `before`.
    func kits(visibleTo userID: String, before: String?, limit: Int) async throws -> [StoredBrandKit]
    func delete(id: String, now: Int64) async throws -> Bool
}

public struct SQLBrandKitStore: BrandKitStore {
    let database: any EaselDatabase

    public init(database: any EaselDatabase) {
        self.database = database
    }

    static func decode(_ row: any SQLRow) throws -> StoredBrandKit {
        StoredBrandKit(id: try row.string("id"), ownerID: try row.optionalString("owner_id"), body: try JSONText.parse(try row.string("body")))
    }

    public func create(_ kit: StoredBrandKit, name: String, now: Int64) async throws {
        let body = JSONText.encode(kit.body)
        try await database.write { db in
            try await db.raw(
                """
                INSERT INTO brand_kits (id, owner_id, name, body, created_at, updated_at)
                VALUES (\(bind: kit.id), \(bind: kit.ownerID), \(bind: name), \(bind: body), \(bind: now), \(bind: now))
                """
            ).run()
        }
    }

    public func update(_ kit: StoredBrandKit, name: String, now: Int64) async throws -> Bool {
        let body = JSONText.encode(kit.body)
        return try await database.write { db in
            !(try await db.raw(
                """
                UPDATE brand_kits SET name = \(bind: name), body = \(bind: body), updated_at = \(bind: now)
                WHERE id = \(bind: kit.id) AND deleted_at IS NULL RETURNING id
                """
            ).all()).isEmpty
        }
    }

    public func kit(id: String) async throws -> StoredBrandKit? {
        try await database.reader.rows("SELECT id, owner_id, body FROM brand_kits WHERE id = \(bind: id) AND deleted_at IS NULL", Self.decode).first
    }

    public func kits(visibleTo userID: String, before: String?, limit: Int) async throws -> [StoredBrandKit] {
        var query: SQLQueryString =
            "SELECT id, owner_id, body FROM brand_kits WHERE deleted_at IS NULL AND (owner_id = \(bind: userID) OR owner_id IS NULL)"
        if let before { query += " AND id < \(bind: before)" }
        query += " ORDER BY id DESC LIMIT \(bind: limit)"
        return try await database.reader.rows(query, Self.decode)
    }

    public func delete(id: String, now: Int64) async throws -> Bool {
        try await database.write { db in
            !(try await db.raw("UPDATE brand_kits SET deleted_at = \(bind: now) WHERE id = \(bind: id) AND deleted_at IS NULL RETURNING id").all())
                .isEmpty
        }
    }
}
