import EaselCore
import Foundation
import Hummingbird

/// The caller's images: the gallery (search and filters), one asset, its lineage, stars, ratings, tags, alt
/// text, deletion, and bulk actions on a selection.
struct AssetsController {
    let assets: AssetService
    let gallery: GalleryService
    let collections: CollectionService
    let links: FileLinks

    func addRoutes(to router: some RouterMethods<AuthenticatedContext>) {
        router.get("/api/assets", use: list)
        router.post("/api/assets/bulk", use: bulk)
        router.get("/api/assets/{id}", use: show)
        router.delete("/api/assets/{id}", use: delete)
        router.get("/api/assets/{id}/lineage", use: lineage)
        router.put("/api/assets/{id}/favorite", use: favorite)
        router.delete("/api/assets/{id}/favorite", use: unfavorite)
        router.put("/api/assets/{id}/rating", use: rating)
        router.put("/api/assets/{id}/tags", use: tags)
        router.patch("/api/assets/{id}/tags", use: tags)
        router.put("/api/assets/{id}/alt-text", use: altText)
    }

    /// The gallery, a page at a time: `limit` 1 to 200 (default 20) and `cursor` (see `AssetQuery`).
    @Sendable func list(_ request: Request, context: AuthenticatedContext) async throws -> JSONValue {
        var parameters: [String: String] = [:]
        for (key, value) in request.uri.queryParameters { parameters[String(key)] = String(value) }
        let query = try AssetQuery(parameters: parameters, userID: context.identity.userID)
        let page = try await gallery.search(query)
        return Representations.page(page.items.map { Representations.asset($0, links: links) }, hasMore: page.hasMore, lastID: page.items.last?.id)
    }

    @Sendable func show(_ request: Request, context: AuthenticatedContext) async throws -> JSONValue {
        Representations.asset(try await gallery.asset(id: try context.parameters.require("id"), userID: context.identity.userID), links: links)
    }

    @Sendable func delete(_ request: Request, context: AuthenticatedContext) async throws -> JSONValue {
        let id = try context.parameters.require("id")
        try await gallery.delete(id: id, userID: context.identity.userID)
        return .object(["id": .string(id), "object": "asset", "deleted": true])
    }

    @Sendable func favorite(_ request: Request, context: AuthenticatedContext) async throws -> JSONValue {
        Representations.asset(
            try await gallery.setFavorite(id: try context.parameters.require("id"), userID: context.identity.userID, favorite: true)
        )
    }

    @Sendable func unfavorite(_ request: Request, context: AuthenticatedContext) async throws -> JSONValue {
        Representations.asset(
            try await gallery.setFavorite(id: try context.parameters.require("id"), userID: context.identity.userID, favorite: false)
        )
    }

    @Sendable func rating(_ request: Request, context: AuthenticatedContext) async throws -> JSONValue {
        let body = try await request.jsonObject(limit: 16 * 1024)
        return Representations.asset(
            try await gallery.setRating(id: try context.parameters.require("id"), userID: context.identity.userID, rating: body["rating"])
        )
    }

    /// PUT `{"tags": [...]}` replaces them; PATCH `{"add": [...], "remove": [...]}` changes them.
    @Sendable func tags(_ request: Request, context: AuthenticatedContext) async throws -> JSONValue {
        let body = try await request.jsonObject(limit: 64 * 1024)
        if request.method == .put && body["tags"] == nil { throw EaselError.missing("tags") }
        return Representations.asset(
            try await gallery.changeTags(id: try context.parameters.require("id"), userID: context.identity.userID, body: body)
        )
    }

    /// `{"alt_text": "…"}` (a person's, never replaced by a suggestion) or `{"suggest": true}`.
    @Sendable func altText(_ request: Request, context: AuthenticatedContext) async throws -> JSONValue {
        let body = try await request.jsonObject(limit: 64 * 1024)
        _ = try JSONValue.object(body).members(known: ["alt_text", "suggest"], param: nil)
        let suggest = body["suggest"] == .bool(true)
        guard suggest || body["alt_text"] != nil else { throw EaselError.missing("alt_text") }
        if let value = body["alt_text"], value != .null, value.stringValue == nil {
            throw EaselError.invalidType("alt_text", expected: "a string or null", got: value)
        }
        return Representations.asset(
            try await gallery.setAltText(
                id: try context.parameters.require("id"),
                userID: context.identity.userID,
                text: body["alt_text"]?.stringValue,
                suggest: suggest
            )
        )
    }

    /// `{"ids": [...], "action": "favorite" | "unfavorite" | "tag" | "add_to_collection" | "remove_from_collection" | "delete", …}`.
    @Sendable func bulk(_ request: Request, context: AuthenticatedContext) async throws -> JSONValue {
        let body = try await request.jsonObject(limit: 256 * 1024)
        let results = try await gallery.bulk(body, userID: context.identity.userID, collections: collections)
        return .object([
            "object": "bulk_result",
            "action": .optional(body["action"]?.stringValue),
            "results": .array(results.map { .object(["id": .string($0.0), "result": .string($0.1)]) }),
        ])
    }

    /// Root, ancestors, children, and the whole tree nested under the root: bounded by the lineage walk (200
    /// generations up and down, at most 2000 descendants).
    @Sendable func lineage(_ request: Request, context: AuthenticatedContext) async throws -> JSONValue {
        let lineage = try await assets.lineage(of: try context.parameters.require("id"), userID: context.identity.userID)
        var childrenOf: [String: [AssetRecord]] = [:]
        for asset in lineage.tree { childrenOf[asset.parentAssetID ?? "", default: []].append(asset) }
        let links = self.links
        func represent(_ asset: AssetRecord) -> JSONValue { Representations.asset(asset, links: links) }
        func node(_ asset: AssetRecord, depth: Int) -> JSONValue {
            var object = represent(asset).objectValue ?? [:]
            object["children"] = depth > 200 ? .array([]) : .array((childrenOf[asset.id] ?? []).map { node($0, depth: depth + 1) })
            return .object(object)
        }
        return .object([
            "object": "asset.lineage",
            "asset": represent(lineage.asset),
            "root": represent(lineage.root),
            "ancestors": .array(lineage.ancestors.map(represent)),
            "children": .array(lineage.children.map(represent)),
            "tree": node(lineage.root, depth: 0),
        ])
    }
}
