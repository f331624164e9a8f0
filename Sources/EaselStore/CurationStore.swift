import EaselCore
import Foundation
import SQLKit

/// The gallery's own state: search over assets, stars, ratings, tags, collections, review events and share
/// links. Full-text search is FTS5 on SQLite; callers hand over an `AssetQuery` and never see the SQL.
public protocol CurationStore: Sendable {
    /// Generated, unhidden assets matching `query`, in its order, with their tags.
    func search(_ query: AssetQuery) async throws -> Page<AssetRecord>
    func tags(assetIDs: [String]) async throws -> [String: [String]]
    /// Stars or unstars those of `assetIDs` that `userID` owns; returns how many changed.
    func setFavorite(assetIDs: [String], userID: String, favorite: Bool) async throws -> Int
    func setRating(assetID: String, rating: Int?) async throws
    /// Adds `add` and removes `remove` from each asset's tags (those `userID` owns), re-indexing them.
    func changeTags(assetIDs: [String], userID: String, add: [String], remove: [String]) async throws
    /// Sets the alt text; a suggestion never replaces a person's. Returns whether it was written.
    func setAltText(assetID: String, text: String?, source: AltTextSource) async throws -> Bool

    func createCollection(_ collection: AssetCollection) async throws
    func collection(id: String) async throws -> AssetCollection?
    /// Newest first: at most `limit` collections made before the collection `before`.
    func collections(userID: String, before: String?, limit: Int) async throws -> [AssetCollection]
    func updateCollection(id: String, name: String?, approvalRequired: Bool?, now: Int64) async throws
    func deleteCollection(id: String) async throws
    /// Adds the assets (all the collection owner's) not there yet; returns those added.
    func addToCollection(id: String, assetIDs: [String], now: Int64) async throws -> [String]
    /// Returns those that were there.
    func removeFromCollection(id: String, assetIDs: [String]) async throws -> [String]

    /// Appends the event and moves the asset to its status (and alt text, when given) in one transaction.
    func recordReview(_ event: ReviewEvent, ownerID: String, altText: String?, altSource: AltTextSource?) async throws
    /// The newest `limit` events, listed oldest first.
    func reviewEvents(assetID: String, limit: Int) async throws -> [ReviewEvent]
    /// Approved and all reviewed (not `unreviewed`) assets made from `templateRef` (`id@version`).
    func reviewTally(templateRef: String) async throws -> (approved: Int, reviewed: Int)

    func createShare(_ link: ShareLink, tokenHash: String) async throws
    func share(tokenHash: String) async throws -> ShareLink?
    func share(id: String) async throws -> ShareLink?
    /// Newest first: at most `limit` links made before the link `before`.
    func shares(userID: String, before: String?, limit: Int) async throws -> [ShareLink]
    func revokeShare(id: String, at: Int64) async throws -> Bool
}

extension CurationStore {
    /// Every asset `query` matches, page after page, until at least `limit` are read (a page may overshoot).
    public func searchAll(_ query: AssetQuery, limit: Int) async throws -> [AssetRecord] {
        var query = query
        query.limit = 200
        var out: [AssetRecord] = []
        while out.count < limit {
            let page = try await search(query)
            out += page.items
            guard page.hasMore, let last = page.items.last else { break }
            query.after = last.id
        }
        return out
    }
}

public struct SQLCurationStore: CurationStore {
    let database: any EaselDatabase

    public init(database: any EaselDatabase) {
        self.database = database
    }

    // MARK: Search

    /// What full-text search reads for an asset: its prompt, brief, template, variables, alt text and tags.
    static func document(_ asset: AssetRecord, tags: [String]) -> String {
        var parts = [asset.prompt]
        if let origin = asset.origin {
            parts += origin.brief?.textFields.map(\.value) ?? []
            parts += origin.variables.values.sorted()
            if let template = origin.template { parts.append(template) }
        }
        if let alt = asset.altText { parts.append(alt) }
        parts += tags
        return SearchText.indexForm(parts.joined(separator: "\n"))
    }

    /// Writes the search rows of freshly stored assets inside the caller's transaction, in one statement
    /// (this runs in every job's completion, where each statement costs more than its rows).
    static func index(_ assets: [AssetRecord], on db: any SQLDatabase) async throws {
        try await insertSearchRows(assets.map { ($0, $0.tags) }, on: db)
    }

    private static func insertSearchRows(_ assets: [(AssetRecord, tags: [String])], on db: any SQLDatabase) async throws {
        guard !assets.isEmpty else { return }
        let postgres = db.isPostgres
        let rows = assets.map { asset, tags -> SQLQueryString in
            let body = document(asset, tags: tags)
            return postgres
                ? "(\(bind: asset.id), to_tsvector('simple', \(bind: SearchText.folded(body))))"
                : "(\(bind: asset.id), \(bind: body))"
        }
        try await db.raw("INSERT INTO asset_search (asset_id, body) VALUES \(rows.joined(separator: ", "))").run()
    }

    static func reindex(assetIDs: [String], on db: any SQLDatabase) async throws {
        guard !assetIDs.isEmpty else { return }
        let assets = try await db.rows(
            "SELECT \(unsafeRaw: SQLAssetStore.selectColumns) FROM assets WHERE id IN (\(binds: assetIDs))",
            SQLAssetStore.decode
        )
        let tags = try await tags(assetIDs: assetIDs, on: db)
        try await db.raw("DELETE FROM asset_search WHERE asset_id IN (\(binds: assetIDs))").run()
        try await insertSearchRows(assets.filter { $0.role == .generated }.map { ($0, tags[$0.id] ?? []) }, on: db)
    }

    /// Removes everything kept about a deleted asset, inside the caller's transaction.
    static func forget(assetID: String, on db: any SQLDatabase) async throws {
        for table in ["asset_search", "asset_tags", "collection_assets", "review_events"] {
            try await db.raw("DELETE FROM \(unsafeRaw: table) WHERE asset_id = \(bind: assetID)").run()
        }
        try await db.raw("DELETE FROM share_links WHERE asset_id = \(bind: assetID)").run()
    }

    public func search(_ query: AssetQuery) async throws -> Page<AssetRecord> {
        var sql: SQLQueryString = "SELECT \(unsafeRaw: SQLAssetStore.selectColumns) FROM assets WHERE role = 'generated' AND hidden_at IS NULL"
        if let user = query.userID { sql += " AND user_id = \(bind: user)" }
        if let words = query.search {
            sql +=
                database.engine == .postgres
                ? " AND id IN (SELECT asset_id FROM asset_search WHERE body @@ to_tsquery('simple', \(bind: words.tsQuery)))"
                : " AND id IN (SELECT asset_id FROM asset_search WHERE asset_search MATCH \(bind: words.fts5))"
        }
        if let model = query.model { sql += " AND model = \(bind: model)" }
        if let template = query.template {
            if template.contains("@") {
                sql += " AND template_ref = \(bind: template)"
            } else {
                // Any version: the expression `assets_by_user_template` indexes.
                sql +=
                    database.engine == .postgres
                    ? " AND template_ref IS NOT NULL AND split_part(template_ref, '@', 1) = \(bind: template)"
                    : " AND template_ref IS NOT NULL AND substr(template_ref, 1, instr(template_ref, '@') - 1) = \(bind: template)"
            }
        }
        if let batch = query.batchID { sql += " AND batch_id = \(bind: batch)" }
        if let collection = query.collectionID {
            sql += " AND id IN (SELECT asset_id FROM collection_assets WHERE collection_id = \(bind: collection))"
        }
        if let favorite = query.favorite { sql += " AND favorite = \(bind: favorite ? 1 : 0)" }
        if let rating = query.minRating { sql += " AND rating >= \(bind: rating)" }
        if let tag = query.tag {
            sql += " AND id IN (SELECT asset_id FROM asset_tags WHERE tag = \(bind: tag)"
            if let user = query.userID { sql += " AND user_id = \(bind: user)" }
            sql += ")"
        }
        if let review = query.review { sql += " AND review_status = \(bind: review.rawValue)" }
        if let format = query.format { sql += " AND format = \(bind: format.rawValue)" }
        if let width = query.width { sql += " AND width = \(bind: width)" }
        if let height = query.height { sql += " AND height = \(bind: height)" }
        if let aspect = query.aspect { sql += " AND abs(width * 1.0 / height - \(bind: aspect)) <= \(bind: aspect * 0.01)" }
        if let from = query.createdFrom { sql += " AND created_at >= \(bind: from)" }
        if let to = query.createdTo { sql += " AND created_at < \(bind: to)" }
        if let draft = query.draft { sql += " AND is_draft = \(bind: draft ? 1 : 0)" }
        switch query.order {
        case .newest:
            if let after = query.after { sql += " AND id < \(bind: after)" }
            sql += " ORDER BY id DESC"
        case .oldest:
            if let after = query.after { sql += " AND id > \(bind: after)" }
            sql += " ORDER BY id"
        }
        sql += " LIMIT \(bind: query.limit + 1)"
        var rows = try await database.reader.rows(sql, SQLAssetStore.decode)
        let hasMore = rows.count > query.limit
        rows = Array(rows.prefix(query.limit))
        let tags = try await tags(assetIDs: rows.map(\.id))
        for index in rows.indices { rows[index].tags = tags[rows[index].id] ?? [] }
        return Page(items: rows, hasMore: hasMore)
    }

    public func tags(assetIDs: [String]) async throws -> [String: [String]] {
        try await Self.tags(assetIDs: assetIDs, on: database.reader)
    }

    static func tags(assetIDs: [String], on db: any SQLDatabase) async throws -> [String: [String]] {
        guard !assetIDs.isEmpty else { return [:] }
        var tags: [String: [String]] = [:]
        for part in assetIDs.chunked(500) {
            let rows = try await db.rows("SELECT asset_id, tag FROM asset_tags WHERE asset_id IN (\(binds: Array(part))) ORDER BY tag") {
                (try $0.string("asset_id"), try $0.string("tag"))
            }
            for (id, tag) in rows { tags[id, default: []].append(tag) }
        }
        return tags
    }

    // MARK: Flags

    public func setFavorite(assetIDs: [String], userID: String, favorite: Bool) async throws -> Int {
        guard !assetIDs.isEmpty else { return 0 }
        return try await database.write { db in
            try await db.rows(
                """
                UPDATE assets SET favorite = \(bind: favorite ? 1 : 0)
                WHERE id IN (\(binds: assetIDs)) AND user_id = \(bind: userID) AND favorite <> \(bind: favorite ? 1 : 0) RETURNING id
                """
            ) { try $0.string("id") }.count
        }
    }

    public func setRating(assetID: String, rating: Int?) async throws {
        try await database.write { db in
            try await db.raw("UPDATE assets SET rating = \(bind: rating) WHERE id = \(bind: assetID)").run()
        }
    }

    public func changeTags(assetIDs: [String], userID: String, add: [String], remove: [String]) async throws {
        guard !assetIDs.isEmpty else { return }
        try await database.write { db in
            let owned = try await db.rows("SELECT id FROM assets WHERE id IN (\(binds: assetIDs)) AND user_id = \(bind: userID)") {
                try $0.string("id")
            }
            guard !owned.isEmpty else { return }
            if !remove.isEmpty {
                try await db.raw("DELETE FROM asset_tags WHERE asset_id IN (\(binds: owned)) AND tag IN (\(binds: remove))").run()
            }
            for id in owned {
                for tag in add {
                    try await db.raw(
                        "INSERT INTO asset_tags (asset_id, user_id, tag) VALUES (\(bind: id), \(bind: userID), \(bind: tag)) ON CONFLICT DO NOTHING"
                    ).run()
                }
                let count = try await db.rows("SELECT COUNT(*) AS n FROM asset_tags WHERE asset_id = \(bind: id)") { try $0.int("n") }.first ?? 0
                if count > Tags.maxPerAsset {
                    throw EaselError.invalidRequest("An asset may have at most \(Tags.maxPerAsset) tags.", param: "tags", code: "too_many_tags")
                }
            }
            try await Self.reindex(assetIDs: owned, on: db)
        }
    }

    public func setAltText(assetID: String, text: String?, source: AltTextSource) async throws -> Bool {
        try await database.write { db in
            var sql: SQLQueryString =
                "UPDATE assets SET alt_text = \(bind: text), alt_source = \(bind: text == nil ? nil : source.rawValue) WHERE id = \(bind: assetID)"
            if source == .suggested { sql += " AND (alt_source IS NULL OR alt_source = 'suggested')" }
            let written = try await db.rows(sql + " RETURNING id") { try $0.string("id") }
            if !written.isEmpty { try await Self.reindex(assetIDs: [assetID], on: db) }
            return !written.isEmpty
        }
    }

    // MARK: Collections

    static let collectionColumns = """
        c.id, c.user_id, c.name, c.approval_required, c.created_at, c.updated_at,
        (SELECT COUNT(*) FROM collection_assets m JOIN assets a ON a.id = m.asset_id WHERE m.collection_id = c.id AND a.hidden_at IS NULL) AS n,
        (SELECT m.asset_id FROM collection_assets m JOIN assets a ON a.id = m.asset_id WHERE m.collection_id = c.id AND a.hidden_at IS NULL
            ORDER BY m.added_at DESC, m.asset_id DESC LIMIT 1) AS cover
        """

    static func decodeCollection(_ row: any SQLRow) throws -> AssetCollection {
        var collection = AssetCollection(
            id: try row.string("id"),
            userID: try row.string("user_id"),
            name: try row.string("name"),
            createdAt: try row.int64("created_at")
        )
        collection.approvalRequired = try row.bool("approval_required")
        collection.updatedAt = try row.int64("updated_at")
        collection.count = try row.int("n")
        collection.coverAssetID = try row.optionalString("cover")
        return collection
    }

    public func createCollection(_ collection: AssetCollection) async throws {
        try await database.write { db in
            try await db.raw(
                """
                INSERT INTO collections (id, user_id, name, approval_required, created_at, updated_at)
                VALUES (\(bind: collection.id), \(bind: collection.userID), \(bind: collection.name), \(bind: collection.approvalRequired ? 1 : 0),
                \(bind: collection.createdAt), \(bind: collection.updatedAt))
                """
            ).run()
        }
    }

    public func collection(id: String) async throws -> AssetCollection? {
        try await database.reader.rows(
            "SELECT \(unsafeRaw: Self.collectionColumns) FROM collections c WHERE c.id = \(bind: id)",
            Self.decodeCollection
        )
        .first
    }

    public func collections(userID: String, before: String?, limit: Int) async throws -> [AssetCollection] {
        var query: SQLQueryString = "SELECT \(unsafeRaw: Self.collectionColumns) FROM collections c WHERE c.user_id = \(bind: userID)"
        if let before { query += " AND c.id < \(bind: before)" }
        query += " ORDER BY c.id DESC LIMIT \(bind: limit)"
        return try await database.reader.rows(query, Self.decodeCollection)
    }

    public func updateCollection(id: String, name: String?, approvalRequired: Bool?, now: Int64) async throws {
        try await database.write { db in
            try await db.raw(
                """
                UPDATE collections SET name = COALESCE(\(bind: name), name),
                    approval_required = COALESCE(\(bind: approvalRequired.map { $0 ? 1 : 0 }), approval_required), updated_at = \(bind: now)
                WHERE id = \(bind: id)
                """
            ).run()
        }
    }

    public func deleteCollection(id: String) async throws {
        try await database.write { db in
            try await db.raw("DELETE FROM collection_assets WHERE collection_id = \(bind: id)").run()
            try await db.raw("DELETE FROM share_links WHERE collection_id = \(bind: id)").run()
            try await db.raw("DELETE FROM collections WHERE id = \(bind: id)").run()
        }
    }

    public func addToCollection(id: String, assetIDs: [String], now: Int64) async throws -> [String] {
        guard !assetIDs.isEmpty else { return [] }
        return try await database.write { db in
            var added: [String] = []
            for part in assetIDs.chunked(400) {
                added += try await db.rows(
                    """
                    INSERT INTO collection_assets (collection_id, asset_id, added_at)
                    SELECT \(bind: id), a.id, \(bind: now) FROM assets a JOIN collections c ON c.id = \(bind: id) AND c.user_id = a.user_id
                    WHERE a.id IN (\(binds: Array(part))) ON CONFLICT DO NOTHING RETURNING asset_id
                    """
                ) { try $0.string("asset_id") }
            }
            try await db.raw("UPDATE collections SET updated_at = \(bind: now) WHERE id = \(bind: id)").run()
            return added
        }
    }

    public func removeFromCollection(id: String, assetIDs: [String]) async throws -> [String] {
        guard !assetIDs.isEmpty else { return [] }
        return try await database.write { db in
            try await db.rows(
                "DELETE FROM collection_assets WHERE collection_id = \(bind: id) AND asset_id IN (\(binds: assetIDs)) RETURNING asset_id"
            ) { try $0.string("asset_id") }
        }
    }

    // MARK: Review

    public func recordReview(_ event: ReviewEvent, ownerID: String, altText: String?, altSource: AltTextSource?) async throws {
        let checklist = JSONText.encode(.array(event.checklist.map(\.json)))
        try await database.write { db in
            try await db.raw(
                """
                INSERT INTO review_events (id, asset_id, user_id, actor_id, status, checklist, alt_text, note, created_at)
                VALUES (\(bind: event.id), \(bind: event.assetID), \(bind: ownerID), \(bind: event.actorID), \(bind: event.status.rawValue),
                \(bind: checklist), \(bind: event.altText), \(bind: event.note), \(bind: event.createdAt))
                """
            ).run()
            try await db.raw("UPDATE assets SET review_status = \(bind: event.status.rawValue) WHERE id = \(bind: event.assetID)").run()
            try await WebhookOutbox.reviewed(
                assetID: event.assetID,
                ownerID: ownerID,
                status: event.status.rawValue,
                eventID: event.id,
                now: event.createdAt,
                on: db
            )
            if let altText, let altSource {
                try await db.raw(
                    "UPDATE assets SET alt_text = \(bind: altText), alt_source = \(bind: altSource.rawValue) WHERE id = \(bind: event.assetID)"
                )
                .run()
                try await Self.reindex(assetIDs: [event.assetID], on: db)
            }
        }
    }

    public func reviewEvents(assetID: String, limit: Int) async throws -> [ReviewEvent] {
        try await database.reader.rows(
            """
            SELECT id, asset_id, actor_id, status, checklist, alt_text, note, created_at FROM review_events WHERE asset_id = \(bind: assetID)
            ORDER BY id DESC LIMIT \(bind: limit)
            """
        ) { row in
            let checklist = try JSONText.parse(try row.string("checklist")).arrayValue ?? []
            return ReviewEvent(
                id: try row.string("id"),
                assetID: try row.string("asset_id"),
                actorID: try row.string("actor_id"),
                status: try row.value("status", as: ReviewStatus.self),
                checklist: checklist.compactMap { item in
                    guard let key = item["key"]?.stringValue, let result = item["result"]?.stringValue.flatMap(ChecklistEntry.Result.init) else {
                        return nil
                    }
                    return ChecklistEntry(key: key, result: result, note: item["note"]?.stringValue)
                },
                altText: try row.optionalString("alt_text"),
                note: try row.optionalString("note"),
                createdAt: try row.int64("created_at")
            )
        }
        .reversed()
    }

    public func reviewTally(templateRef: String) async throws -> (approved: Int, reviewed: Int) {
        let row = try await database.reader.raw(
            """
            SELECT COALESCE(SUM(CASE WHEN review_status = 'approved' THEN 1 ELSE 0 END), 0) AS approved,
                COALESCE(SUM(CASE WHEN review_status <> 'unreviewed' THEN 1 ELSE 0 END), 0) AS reviewed
            FROM assets WHERE template_ref = \(bind: templateRef) AND hidden_at IS NULL
            """
        ).first()
        return (try row?.int("approved") ?? 0, try row?.int("reviewed") ?? 0)
    }

    // MARK: Share links

    static let shareColumns = "id, user_id, asset_id, collection_id, allow_download, show_prompt, expires_at, revoked_at, created_at"

    static func decodeShare(_ row: any SQLRow) throws -> ShareLink {
        var link = ShareLink(
            id: try row.string("id"),
            userID: try row.string("user_id"),
            assetID: try row.optionalString("asset_id"),
            collectionID: try row.optionalString("collection_id"),
            allowDownload: try row.bool("allow_download"),
            showPrompt: try row.bool("show_prompt"),
            expiresAt: try row.int64("expires_at"),
            createdAt: try row.int64("created_at")
        )
        link.revokedAt = try row.optionalInt64("revoked_at")
        return link
    }

    public func createShare(_ link: ShareLink, tokenHash: String) async throws {
        try await database.write { db in
            try await db.raw(
                """
                INSERT INTO share_links (id, token_hash, user_id, asset_id, collection_id, allow_download, show_prompt, expires_at, created_at)
                VALUES (\(bind: link.id), \(bind: tokenHash), \(bind: link.userID), \(bind: link.assetID), \(bind: link.collectionID),
                \(bind: link.allowDownload ? 1 : 0), \(bind: link.showPrompt ? 1 : 0), \(bind: link.expiresAt), \(bind: link.createdAt))
                """
            ).run()
        }
    }

    public func share(tokenHash: String) async throws -> ShareLink? {
        try await database.reader.rows(
            "SELECT \(unsafeRaw: Self.shareColumns) FROM share_links WHERE token_hash = \(bind: tokenHash)",
            Self.decodeShare
        ).first
    }

    public func share(id: String) async throws -> ShareLink? {
        try await database.reader.rows("SELECT \(unsafeRaw: Self.shareColumns) FROM share_links WHERE id = \(bind: id)", Self.decodeShare).first
    }

    public func shares(userID: String, before: String?, limit: Int) async throws -> [ShareLink] {
        var query: SQLQueryString = "SELECT \(unsafeRaw: Self.shareColumns) FROM share_links WHERE user_id = \(bind: userID)"
        if let before { query += " AND id < \(bind: before)" }
        query += " ORDER BY id DESC LIMIT \(bind: limit)"
        return try await database.reader.rows(query, Self.decodeShare)
    }

    public func revokeShare(id: String, at: Int64) async throws -> Bool {
        try await database.write { db in
            !(try await db.rows("UPDATE share_links SET revoked_at = \(bind: at) WHERE id = \(bind: id) AND revoked_at IS NULL RETURNING id") {
                try $0.string("id")
            }).isEmpty
        }
    }
}
