import EaselCore
import EaselStore

/// Brand kits: each user's own, and shared ones an admin makes.
struct BrandKitService: Sendable {
    let store: any BrandKitStore
    let ids: IDGenerator
    let clock: any EaselClock

    func find(_ id: String, identity: Identity) async throws -> BrandKit? {
        guard EaselID.isValid(id, prefix: "kit"), let stored = try await store.kit(id: id), stored.ownerID == nil || stored.ownerID == identity.userID
        else { return nil }
        return try Self.kit(stored)
    }

    /// The kit a request names, or a 400 naming `param`.
    func resolve(_ id: String, identity: Identity, param: String) async throws -> BrandKit {
        guard let kit = try await find(id, identity: identity) else {
            throw EaselError.invalidRequest("Unknown brand kit '\(id)'. See GET /api/brand-kits.", param: param, code: "unknown_brand_kit")
        }
        return kit
    }

    /// The review settings of a kit an asset was made with, whoever may see it now (none if it is gone).
    func reviewPolicy(_ id: String) async throws -> ReviewPolicy {
        guard EaselID.isValid(id, prefix: "kit"), let stored = try await store.kit(id: id) else { return ReviewPolicy() }
        return (try? Self.kit(stored))?.review ?? ReviewPolicy()
    }

    func kit(_ id: String, identity: Identity) async throws -> BrandKit {
        guard let kit = try await find(id, identity: identity) else { throw EaselError.notFound("brand kit", id: id, param: "id") }
        return kit
    }

    /// A page of the kits the caller may use, newest first.
    func list(identity: Identity, before: String?, limit: Int) async throws -> Page<(BrandKit, shared: Bool)> {
        let rows = try await store.kits(visibleTo: identity.userID, before: before, limit: limit + 1)
        return Page(items: try rows.prefix(limit).map { (try Self.kit($0), $0.ownerID == nil) }, hasMore: rows.count > limit)
    }

    func create(body: JSONValue, identity: Identity) async throws -> BrandKit {
        let now = clock.nowMillis()
        var fields = body.objectValue ?? [:]
        let shared = try FieldReader(fields: fields).bool("shared") ?? false
        fields.removeValue(forKey: "shared")
        if shared && !identity.isAdmin {
            throw EaselError.adminOnly("Only admins share brand kits.", param: "shared")
        }
        let kit = try BrandKit(json: .object(fields), id: ids.make(prefix: "kit", millis: now))
        try await store.create(StoredBrandKit(id: kit.id, ownerID: shared ? nil : identity.userID, body: kit.json), name: kit.name, now: now)
        return kit
    }

    func update(_ id: String, body: JSONValue, identity: Identity) async throws -> BrandKit {
        let stored = try await editable(id, identity: identity)
        var fields = body.objectValue ?? [:]
        fields.removeValue(forKey: "shared")
        let kit = try BrandKit(json: .object(fields), id: id)
        guard try await store.update(StoredBrandKit(id: id, ownerID: stored.ownerID, body: kit.json), name: kit.name, now: clock.nowMillis()) else {
            throw EaselError.notFound("brand kit", id: id, param: "id")
        }
        return kit
    }

    func delete(_ id: String, identity: Identity) async throws {
        _ = try await editable(id, identity: identity)
        guard try await store.delete(id: id, now: clock.nowMillis()) else { throw EaselError.notFound("brand kit", id: id, param: "id") }
    }

    private func editable(_ id: String, identity: Identity) async throws -> StoredBrandKit {
        guard EaselID.isValid(id, prefix: "kit"), let stored = try await store.kit(id: id), stored.ownerID == nil || stored.ownerID == identity.userID
        else { throw EaselError.notFound("brand kit", id: id, param: "id") }
        guard stored.ownerID == identity.userID || identity.isAdmin else {
            throw EaselError.adminOnly("Only admins change shared brand kits.", param: "id")
        }
        return stored
    }

    static func kit(_ stored: StoredBrandKit) throws -> BrandKit {
        var fields = stored.body.objectValue ?? [:]
        for key in ["object", "id"] { fields.removeValue(forKey: key) }
        return try BrandKit(json: .object(fields), id: stored.id)
    }
}
