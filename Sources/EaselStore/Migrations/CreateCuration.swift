import EaselCore
import SQLKit

/// Curation: stars, ratings, tags, alt text and review state on assets; collections; review events; share
/// links (token hashes only); the full-text index of the gallery, filled for the assets already stored.
struct CreateCuration: Migration {
    let name = "CreateCuration"

    func apply(on db: any SQLDatabase, engine: SQLEngine) async throws {
        for column in [
            "favorite INTEGER NOT NULL DEFAULT 0", "rating INTEGER", "alt_text TEXT", "alt_source TEXT",
            "review_status TEXT NOT NULL DEFAULT 'unreviewed'",
        ] {
            try await db.raw("ALTER TABLE assets ADD COLUMN \(unsafeRaw: column)").run()
        }
        let statements =
            [
                "CREATE TABLE asset_tags (asset_id TEXT NOT NULL, user_id TEXT NOT NULL, tag TEXT NOT NULL, PRIMARY KEY (asset_id, tag))",
                "CREATE INDEX asset_tags_by_tag ON asset_tags (user_id, tag, asset_id)",
                """
                CREATE TABLE collections (id TEXT PRIMARY KEY, user_id TEXT NOT NULL, name TEXT NOT NULL,
                    approval_required INTEGER NOT NULL DEFAULT 0, created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL)
                """,
                "CREATE INDEX collections_by_user ON collections (user_id, id)",
                "CREATE TABLE collection_assets (collection_id TEXT NOT NULL, asset_id TEXT NOT NULL, added_at BIGINT NOT NULL, PRIMARY KEY (collection_id, asset_id))",
                "CREATE INDEX collection_assets_by_asset ON collection_assets (asset_id)",
                """
                CREATE TABLE review_events (id TEXT PRIMARY KEY, asset_id TEXT NOT NULL, user_id TEXT NOT NULL, actor_id TEXT NOT NULL,
                    status TEXT NOT NULL, checklist TEXT NOT NULL, alt_text TEXT, note TEXT, created_at BIGINT NOT NULL)
                """,
                "CREATE INDEX review_events_by_asset ON review_events (asset_id, id)",
                """
                CREATE TABLE share_links (id TEXT PRIMARY KEY, token_hash TEXT NOT NULL UNIQUE, user_id TEXT NOT NULL, asset_id TEXT,
                    collection_id TEXT, allow_download INTEGER NOT NULL, show_prompt INTEGER NOT NULL, expires_at BIGINT NOT NULL,
                    revoked_at BIGINT, created_at BIGINT NOT NULL)
                """,
                "CREATE INDEX share_links_by_user ON share_links (user_id, id)",
                // One index per gallery filter, each ending in id so a filtered page is read in order.
                "CREATE INDEX assets_by_model ON assets (user_id, model, id)",
                "CREATE INDEX assets_by_review ON assets (user_id, review_status, id)",
                "CREATE INDEX assets_by_favorite ON assets (user_id, id) WHERE favorite = 1",
                "CREATE INDEX assets_by_format ON assets (user_id, format, id)",
                "CREATE INDEX assets_by_created ON assets (user_id, created_at)",
            ]
            + (engine == .postgres
                ? [
                    // A template's images of every version, in id order: the id part of `id@version`.
                    "CREATE INDEX assets_by_user_template ON assets (user_id, split_part(template_ref, '@', 1), id) WHERE template_ref IS NOT NULL",
                    // The same words as FTS5 reads them (SearchText.folded), in a GIN index.
                    "CREATE TABLE asset_search (asset_id TEXT NOT NULL, body TSVECTOR NOT NULL)",
                    "CREATE INDEX asset_search_by_asset ON asset_search (asset_id)",
                    "CREATE INDEX asset_search_words ON asset_search USING GIN (body)",
                ]
                : [
                    "CREATE INDEX assets_by_user_template ON assets (user_id, substr(template_ref, 1, instr(template_ref, '@') - 1), id) WHERE template_ref IS NOT NULL",
                    "CREATE VIRTUAL TABLE asset_search USING fts5(asset_id UNINDEXED, body, tokenize = 'unicode61 remove_diacritics 2')",
                ])
        for statement in statements { try await db.raw(SQLQueryString(statement)).run() }
        // The assets stored before this migration, indexed in pages.
        var after = ""
        while true {
            let page = try await db.rows(
                "SELECT \(unsafeRaw: SQLAssetStore.selectColumns) FROM assets WHERE id > \(bind: after) AND role = 'generated' ORDER BY id LIMIT 500",
                SQLAssetStore.decode
            )
            guard let last = page.last else { break }
            try await SQLCurationStore.index(page, on: db)
            after = last.id
        }
    }

    func revert(on db: any SQLDatabase, engine: SQLEngine) async throws {
        for table in ["asset_search", "share_links", "review_events", "collection_assets", "collections", "asset_tags"] {
            try await db.raw("DROP TABLE IF EXISTS \(unsafeRaw: table)").run()
        }
        for index in [
            "assets_by_model", "assets_by_review", "assets_by_favorite", "assets_by_format", "assets_by_created", "assets_by_user_template",
        ] {
            try await db.raw("DROP INDEX IF EXISTS \(unsafeRaw: index)").run()
        }
        for column in ["favorite", "rating", "alt_text", "alt_source", "review_status"] {
            try await db.raw("ALTER TABLE assets DROP COLUMN \(unsafeRaw: column)").run()
        }
    }
}
