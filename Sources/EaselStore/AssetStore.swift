import EaselCore
import Foundation
import SQLKit

/// Asset metadata. Bytes live in a `BlobStore`.
public protocol AssetStore: Sendable {
    func insert(_ assets: [AssetRecord]) async throws
    func asset(id: String) async throws -> AssetRecord?
    func assets(ids: [String]) async throws -> [AssetRecord]
    func assets(userID: String?, before: String?, limit: Int) async throws -> Page<AssetRecord>
    func setThumbnail(assetID: String, thumbKey: String) async throws
    /// The asset's ancestors, root first, ending with its parent (at most `depth` steps up).
    func ancestors(of id: String, depth: Int) async throws -> [AssetRecord]
    /// Every asset derived from `id`, directly or not (at most `depth` generations, `limit` assets), oldest first.
    func descendants(of id: String, depth: Int, limit: Int) async throws -> [AssetRecord]
    func hide(assetID: String, at: Int64) async throws -> Bool
    /// Removes the asset's row; returns the blob keys no other asset uses any more (for the caller to delete).
    func delete(assetID: String) async throws -> [String]
}

public struct SQLAssetStore: AssetStore {
    let database: any EaselDatabase

    public init(database: any EaselDatabase) {
        self.database = database
    }

    static let columns = """
        id, job_id, user_id, parent_asset_id, idx, blob_key, thumb_key, format, width, height, bytes, sha256, model, \
        provider, is_draft, role, prompt, created_at, origin, template_ref, batch_id
        """

    public func insert(_ assets: [AssetRecord]) async throws {
        try await database.write { db in try await Self.insert(assets, on: db) }
    }

    /// Inserts inside the caller's transaction, many rows per statement. A job's outputs that are already
    /// stored are left alone.
    static func insert(_ assets: [AssetRecord], on db: any SQLDatabase, chunk: Int = 200) async throws {
        for part in assets.chunked(chunk) {
            let rows = part.map { asset -> SQLQueryString in
                """
                (\(bind: asset.id), \(bind: asset.jobID), \(bind: asset.userID), \(bind: asset.parentAssetID), \(bind: asset.index), \
                \(bind: asset.blobKey), \(bind: asset.thumbKey), \(bind: asset.format.rawValue), \(bind: asset.width), \(bind: asset.height), \
                \(bind: asset.bytes), \(bind: asset.sha256), \(bind: asset.model), \(bind: asset.provider), \(bind: asset.isDraft ? 1 : 0), \
                \(bind: asset.role.rawValue), \(bind: asset.prompt), \(bind: asset.createdAt), \(bind: asset.origin.map { JSONText.encode($0.json) }), \
                \(bind: asset.origin?.template), \(bind: asset.batchID))
                """
            }
            let inserted = try await db.rows(
                "INSERT INTO assets (\(unsafeRaw: columns)) VALUES \(rows.joined(separator: ", ")) ON CONFLICT DO NOTHING RETURNING id"
            ) { try $0.string("id") }
            let fresh = Set(inserted)
            try await SQLCurationStore.index(part.filter { fresh.contains($0.id) && $0.role == .generated }, on: db)
        }
    }

    public func asset(id: String) async throws -> AssetRecord? {
        try await database.reader.rows("SELECT \(unsafeRaw: Self.selectColumns) FROM assets WHERE id = \(bind: id)", Self.decode).first
    }

    public func assets(ids: [String]) async throws -> [AssetRecord] {
        guard !ids.isEmpty else { return [] }
        let rows = try await database.reader.rows(
            "SELECT \(unsafeRaw: Self.selectColumns) FROM assets WHERE id IN (\(binds: ids))",
            Self.decode
        )
        let byID = Dictionary(rows.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        return ids.compactMap { byID[$0] }
    }

    public func assets(userID: String?, before: String?, limit: Int) async throws -> Page<AssetRecord> {
        var query: SQLQueryString =
            "SELECT \(unsafeRaw: Self.selectColumns) FROM assets WHERE role = \(literal: AssetRole.generated.rawValue) AND hidden_at IS NULL"
        if let userID { query += " AND user_id = \(bind: userID)" }
        if let before { query += " AND id < \(bind: before)" }
        query += " ORDER BY id DESC LIMIT \(bind: limit + 1)"
        let rows = try await database.reader.rows(query, Self.decode)
        return Page(fetched: rows, limit: limit)
    }

    public func setThumbnail(assetID: String, thumbKey: String) async throws {
        try await database.write { db in
            try await db.raw("UPDATE assets SET thumb_key = \(bind: thumbKey) WHERE id = \(bind: assetID)").run()
        }
    }

    public func ancestors(of id: String, depth: Int) async throws -> [AssetRecord] {
        let query: SQLQueryString = """
            WITH RECURSIVE up(id, parent_asset_id, depth) AS (
                SELECT id, parent_asset_id, 0 FROM assets WHERE id = \(bind: id)
                UNION ALL
                SELECT a.id, a.parent_asset_id, up.depth + 1 FROM assets a JOIN up ON a.id = up.parent_asset_id
                WHERE up.depth < \(bind: depth)
            )
            SELECT \(unsafeRaw: Self.qualifiedColumns), up.depth FROM assets JOIN up ON assets.id = up.id
            WHERE up.depth > 0 ORDER BY up.depth DESC
            """
        return try await database.reader.rows(query, Self.decode)
    }

    public func descendants(of id: String, depth: Int, limit: Int) async throws -> [AssetRecord] {
        let query: SQLQueryString = """
            WITH RECURSIVE down(id, depth) AS (
                SELECT id, 0 FROM assets WHERE id = \(bind: id)
                UNION ALL
                SELECT a.id, down.depth + 1 FROM assets a JOIN down ON a.parent_asset_id = down.id
                WHERE down.depth < \(bind: depth)
            )
            SELECT \(unsafeRaw: Self.qualifiedColumns) FROM assets JOIN down ON assets.id = down.id
            WHERE down.depth > 0 ORDER BY assets.id LIMIT \(bind: limit)
            """
        return try await database.reader.rows(query, Self.decode)
    }

    static let selectColumns = columns + ", hidden_at, favorite, rating, alt_text, alt_source, review_status"

    public func hide(assetID: String, at: Int64) async throws -> Bool {
        try await database.write { db in
            !(try await db.raw("UPDATE assets SET hidden_at = \(bind: at) WHERE id = \(bind: assetID) RETURNING id").all()).isEmpty
        }
    }

    public func delete(assetID: String) async throws -> [String] {
        try await database.write { db in
            guard let row = try await db.raw("DELETE FROM assets WHERE id = \(bind: assetID) RETURNING blob_key, thumb_key").all().first else {
                return []
            }
            // Nothing about it stays behind: search, tags, boards, reviews, share links.
            try await SQLCurationStore.forget(assetID: assetID, on: db)
            var orphaned: [String] = []
            for key in [try row.string("blob_key"), try row.optionalString("thumb_key")].compactMap({ $0 }) {
                let users = try await db.raw("SELECT 1 FROM assets WHERE blob_key = \(bind: key) OR thumb_key = \(bind: key) LIMIT 1").all()
                if users.isEmpty { orphaned.append(key) }
            }
            return orphaned
        }
    }

    static let qualifiedColumns = selectColumns.split(separator: ",").map { "assets.\($0.trimmingCharacters(in: .whitespaces))" }
        .joined(separator: ", ")

    static func decode(_ row: any SQLRow) throws -> AssetRecord {
        var record = AssetRecord(
            id: try row.string("id"),
            jobID: try row.optionalString("job_id"),
            userID: try row.string("user_id"),
            parentAssetID: try row.optionalString("parent_asset_id"),
            index: try row.int("idx"),
            blobKey: try row.string("blob_key"),
            thumbKey: try row.optionalString("thumb_key"),
            format: ImageFormat(rawValue: try row.string("format")) ?? .png,
            width: try row.int("width"),
            height: try row.int("height"),
            bytes: try row.int("bytes"),
            sha256: try row.string("sha256"),
            model: try row.string("model"),
            provider: try row.string("provider"),
            isDraft: try row.bool("is_draft"),
            role: try row.value("role", as: AssetRole.self),
            prompt: try row.string("prompt"),
            createdAt: try row.int64("created_at")
        )
        record.hiddenAt = try row.optionalInt64("hidden_at")
        if let origin = try row.optionalString("origin") { record.origin = try CreativeOrigin(json: try JSONText.parse(origin)) }
        record.batchID = try row.optionalString("batch_id")
        record.favorite = try row.bool("favorite")
        record.rating = try row.decode(column: "rating", as: Int?.self)
        record.altText = try row.optionalString("alt_text")
        record.altSource = try row.optionalString("alt_source").flatMap(AltTextSource.init(rawValue:))
        record.reviewStatus = try row.value("review_status", as: ReviewStatus.self)
        return record
    }
}
