import EaselCore
import EaselStore

/// The gallery: search and filters over the caller's images, stars, ratings, tags, alt text, deletion, and
/// the same actions on a selection at once.
public struct GalleryService: Sendable {
    let curation: any CurationStore
    let assets: AssetService

    /// Most ids one bulk action takes.
    static let maxSelection = 1000

    public func search(_ query: AssetQuery) async throws -> Page<AssetRecord> {
        try await curation.search(query)
    }

    /// The asset as the owner sees it, with its tags.
    public func asset(id: String, userID: String) async throws -> AssetRecord {
        var asset = try await assets.asset(id: id, userID: userID)
        asset.tags = try await curation.tags(assetIDs: [id])[id] ?? []
        return asset
    }

    public func setFavorite(id: String, userID: String, favorite: Bool) async throws -> AssetRecord {
        _ = try await assets.asset(id: id, userID: userID)
        _ = try await curation.setFavorite(assetIDs: [id], userID: userID, favorite: favorite)
        return try await asset(id: id, userID: userID)
    }

    public func setRating(id: String, userID: String, rating: JSONValue?) async throws -> AssetRecord {
        _ = try await assets.asset(id: id, userID: userID)
        let value: Int?
        switch rating {
        case .null?: value = nil
        case .number(let number)? where number == number.rounded() && (1...5).contains(number): value = Int(number)
        case nil: throw EaselError.missing("rating")
        case let other?:
            throw EaselError.invalidRequest("Invalid 'rating': \(other.serializedString). Use 1 to 5, or null to clear it.", param: "rating")
        }
        try await curation.setRating(assetID: id, rating: value)
        return try await asset(id: id, userID: userID)
    }

    /// `tags` replaces the asset's tags; `add` and `remove` change them.
    public func changeTags(id: String, userID: String, body: [String: JSONValue]) async throws -> AssetRecord {
        let current = try await asset(id: id, userID: userID)
        let (add, remove) = try Self.tagChange(body, current: current.tags)
        try await curation.changeTags(assetIDs: [id], userID: userID, add: add, remove: remove)
        return try await asset(id: id, userID: userID)
    }

    static func tagChange(_ body: [String: JSONValue], current: [String]) throws -> (add: [String], remove: [String]) {
        _ = try JSONValue.object(body).members(known: ["tags", "add", "remove", "ids", "action", "collection_id"], param: nil)
        if let replace = body["tags"] {
            let tags = try Tags.normalize(try Brief.list(replace, param: "tags"), param: "tags")
            guard tags.count <= Tags.maxPerAsset else {
                throw EaselError.invalidRequest("An asset may have at most \(Tags.maxPerAsset) tags.", param: "tags", code: "too_many_tags")
            }
            return (tags, current.filter { !tags.contains($0) })
        }
        let add = try Tags.normalize(try Brief.list(body["add"], param: "add"), param: "add")
        let remove = try Tags.normalize(try Brief.list(body["remove"], param: "remove"), param: "remove")
        guard !add.isEmpty || !remove.isEmpty else { throw EaselError.missing("tags") }
        return (add, remove)
    }

    /// A person's alt text (never replaced by a suggestion), or with `suggest` the one built from the brief.
    public func setAltText(id: String, userID: String, text: String?, suggest: Bool) async throws -> AssetRecord {
        let asset = try await asset(id: id, userID: userID)
        if suggest {
            let suggestion = AltText.suggest(brief: asset.origin?.brief, variables: asset.origin?.variables ?? [:], prompt: asset.prompt)
            _ = try await curation.setAltText(assetID: id, text: suggestion, source: .suggested)
        } else {
            let cleaned = text?.trimmingWhitespace
            if let cleaned, cleaned.count > AltText.maxLength {
                throw EaselError.invalidRequest("Alt text is at most \(AltText.maxLength) characters.", param: "alt_text")
            }
            _ = try await curation.setAltText(assetID: id, text: cleaned?.isEmpty == true ? nil : cleaned, source: .human)
        }
        return try await self.asset(id: id, userID: userID)
    }

    /// Deletes the owner's asset: gone from every list and route at once; its file goes when no other asset
    /// shares it.
    public func delete(id: String, userID: String) async throws {
        let asset = try await assets.asset(id: id, userID: userID)
        try await assets.delete(assetID: asset.id)
    }

    /// The outcome of a bulk action for each id: `ok`, `unchanged` or `not_found` (never "someone else's").
    public func bulk(_ body: [String: JSONValue], userID: String, collections: CollectionService) async throws -> [(String, String)] {
        let ids = try Self.selection(body["ids"])
        guard let action = body["action"]?.stringValue else { throw EaselError.missing("action") }
        let owned = Set(try await assets.records(ids: ids).filter { $0.isVisible(to: userID) }.map(\.id))
        let mine = ids.filter { owned.contains($0) }
        var changed = Set(mine)
        switch action {
        case "favorite", "unfavorite":
            _ = try await curation.setFavorite(assetIDs: mine, userID: userID, favorite: action == "favorite")
        case "tag":
            let (add, remove) = try Self.tagChange(body, current: [])
            try await curation.changeTags(assetIDs: mine, userID: userID, add: add, remove: remove)
        case "add_to_collection", "remove_from_collection":
            guard let collectionID = body["collection_id"]?.stringValue else { throw EaselError.missing("collection_id") }
            let done =
                action == "add_to_collection"
                ? try await collections.add(collectionID, assetIDs: mine, userID: userID)
                : try await collections.remove(collectionID, assetIDs: mine, userID: userID)
            changed = Set(done)
        case "delete":
            for id in mine { try await assets.delete(assetID: id) }
        default:
            throw EaselError.invalidRequest(
                "Unknown action '\(action)'. Use favorite, unfavorite, tag, add_to_collection, remove_from_collection or delete "
                    + "(export: POST /api/exports; review: POST /api/reviews).",
                param: "action"
            )
        }
        return ids.map { id in (id, !owned.contains(id) ? "not_found" : changed.contains(id) ? "ok" : "unchanged") }
    }

    /// 1 to 1,000 asset ids, each once.
    static func selection(_ value: JSONValue?) throws -> [String] {
        let ids = try Brief.list(value, param: "ids")
        guard !ids.isEmpty else { throw EaselError.invalidRequest("Select at least one asset ('ids').", param: "ids", code: "empty_selection") }
        guard ids.count <= maxSelection else {
            throw EaselError.invalidRequest("At most \(maxSelection) ids at once.", param: "ids", code: "selection_too_large")
        }
        var seen: Set<String> = []
        return ids.filter { seen.insert($0).inserted }
    }
}
