import EaselCore
import SQLKit

/// Asset metadata. Bytes live in a `BlobStore`.
public protocol AssetStore: Sendable {
    func insert(_ assets: [AssetRecord]) async throws
    func asset(id: String) async throws -> AssetRecord?
    func assets(ids: [String]) async throws -> [AssetRecord]
    func assets(userID: String?, before: String?, limit: Int) async throws -> Page<AssetRecord>
    func setThumbnail(assetID: String, thumbKey: String) async throws
}

public struct SQLAssetStore: AssetStore {
    let database: any EaselDatabase

    public init(database: any EaselDatabase) {
        self.database = database
    }

    static let columns = """
        id, job_id, user_id, parent_asset_id, idx, blob_key, thumb_key, format, width, height, bytes, sha256, model, \
        provider, is_draft, role, prompt, created_at
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
                \(bind: asset.role), \(bind: asset.prompt), \(bind: asset.createdAt))
                """
            }
            try await db.raw("INSERT INTO assets (\(unsafeRaw: columns)) VALUES \(rows.joined(separator: ", ")) ON CONFLICT DO NOTHING").run()
        }
    }

    public func asset(id: String) async throws -> AssetRecord? {
        try await database.reader.rows("SELECT \(unsafeRaw: Self.columns) FROM assets WHERE id = \(bind: id)", Self.decode).first
    }

    public func assets(ids: [String]) async throws -> [AssetRecord] {
        guard !ids.isEmpty else { return [] }
        let rows = try await database.reader.rows(
            "SELECT \(unsafeRaw: Self.columns) FROM assets WHERE id IN (\(binds: ids))", Self.decode)
        let byID = Dictionary(rows.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        return ids.compactMap { byID[$0] }
    }

    public func assets(userID: String?, before: String?, limit: Int) async throws -> Page<AssetRecord> {
        var query: SQLQueryString = "SELECT \(unsafeRaw: Self.columns) FROM assets WHERE role = 'generated'"
        if let userID { query += " AND user_id = \(bind: userID)" }
        if let before { query += " AND id < \(bind: before)" }
        query += " ORDER BY id DESC LIMIT \(bind: limit + 1)"
        let rows = try await database.reader.rows(query, Self.decode)
        return Page(items: Array(rows.prefix(limit)), hasMore: rows.count > limit)
    }

    public func setThumbnail(assetID: String, thumbKey: String) async throws {
        try await database.write { db in
            try await db.raw("UPDATE assets SET thumb_key = \(bind: thumbKey) WHERE id = \(bind: assetID)").run()
        }
    }

    static func decode(_ row: any SQLRow) throws -> AssetRecord {
        AssetRecord(
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
            role: try row.string("role"),
            prompt: try row.string("prompt"),
            createdAt: try row.int64("created_at"))
    }
}
