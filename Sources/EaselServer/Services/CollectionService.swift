import EaselCore
import EaselStore

/// Collections (boards): many-to-many with assets; deleting one leaves its assets alone.
public struct CollectionService: Sendable {
    let curation: any CurationStore
    let assets: AssetService
    let ids: IDGenerator
    let clock: any EaselClock

    /// The caller's collection, or 404 (a foreign id is never confirmed).
    public func collection(_ id: String, userID: String) async throws -> AssetCollection {
        guard EaselID.isValid(id, prefix: "col"), let collection = try await curation.collection(id: id), collection.userID == userID else {
            throw EaselError.notFound("collection", id: id, param: "id")
        }
        return collection
    }

    /// A page of the caller's collections, newest first.
    public func list(userID: String, before: String?, limit: Int) async throws -> Page<AssetCollection> {
        let rows = try await curation.collections(userID: userID, before: before, limit: limit + 1)
        return Page(fetched: rows, limit: limit)
    }

    public func create(_ body: [String: JSONValue], userID: String) async throws -> AssetCollection {
        let fields = try JSONValue.object(body).members(known: ["name", "approval_required", "asset_ids"], param: nil)
        guard let name = try Self.name(fields["name"]) else { throw EaselError.missing("name") }
        let now = clock.nowMillis()
        var collection = AssetCollection(id: ids.make(prefix: "col", millis: now), userID: userID, name: name, createdAt: now)
        collection.approvalRequired = try FieldReader(fields: fields).bool("approval_required") ?? false
        try await curation.createCollection(collection)
        if fields["asset_ids"] != nil {
            _ = try await add(collection.id, assetIDs: try GalleryService.selection(fields["asset_ids"]), userID: userID)
        }
        return try await self.collection(collection.id, userID: userID)
    }

    public func update(_ id: String, body: [String: JSONValue], userID: String) async throws -> AssetCollection {
        _ = try await collection(id, userID: userID)
        let fields = try JSONValue.object(body).members(known: ["name", "approval_required"], param: nil)
        try await curation.updateCollection(
            id: id,
            name: try Self.name(fields["name"]),
            approvalRequired: try FieldReader(fields: fields).bool("approval_required"),
            now: clock.nowMillis()
        )
        return try await collection(id, userID: userID)
    }

    public func delete(_ id: String, userID: String) async throws {
        _ = try await collection(id, userID: userID)
        try await curation.deleteCollection(id: id)
    }

    /// Adds the caller's visible assets among `assetIDs`; returns those newly added, in the order given.
    public func add(_ id: String, assetIDs: [String], userID: String) async throws -> [String] {
        _ = try await collection(id, userID: userID)
        let mine = try await assets.records(ids: assetIDs).filter { $0.isVisible(to: userID) && $0.role == .generated }.map(\.id)
        let added = Set(try await curation.addToCollection(id: id, assetIDs: mine, now: clock.nowMillis()))
        return mine.filter { added.contains($0) }
    }

    /// Returns those of `assetIDs` that were in the collection, in the order given.
    public func remove(_ id: String, assetIDs: [String], userID: String) async throws -> [String] {
        _ = try await collection(id, userID: userID)
        let mine = try await assets.records(ids: assetIDs).filter { $0.isVisible(to: userID) }.map(\.id)
        let removed = Set(try await curation.removeFromCollection(id: id, assetIDs: mine))
        return mine.filter { removed.contains($0) }
    }

    /// The collection's visible assets, newest first.
    func members(_ id: String, userID: String, limit: Int = 100_000) async throws -> [AssetRecord] {
        var query = AssetQuery(userID: userID)
        query.collectionID = id
        return try await curation.searchAll(query, limit: limit)
    }

    static func name(_ value: JSONValue?) throws -> String? {
        guard let value, value != .null else { return nil }
        guard case .string(let text) = value, !text.trimmingWhitespace.isEmpty, text.count <= AssetCollection.maxNameLength else {
            throw EaselError.invalidRequest("'name' must be 1 to \(AssetCollection.maxNameLength) characters.", param: "name")
        }
        return text.trimmingWhitespace
    }
}
