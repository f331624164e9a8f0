import EaselCore
import Foundation
import Hummingbird

/// Collections, share links (made and revoked here; opened by `SharePageController`), and exports.
struct CurationController {
    let collections: CollectionService
    let shares: ShareService
    let exports: ExportService

    func addRoutes(to router: some RouterMethods<AuthenticatedContext>) {
        router.get("/api/collections", use: listCollections)
        router.post("/api/collections", use: createCollection)
        router.get("/api/collections/{id}", use: showCollection)
        router.patch("/api/collections/{id}", use: updateCollection)
        router.delete("/api/collections/{id}", use: deleteCollection)
        router.post("/api/collections/{id}/assets", use: addAssets)
        router.delete("/api/collections/{id}/assets/{asset}", use: removeAsset)
        router.post("/api/collections/{id}/share", use: shareCollection)
        router.post("/api/assets/{id}/share", use: shareAsset)
        router.get("/api/shares", use: listShares)
        router.delete("/api/shares/{id}", use: revokeShare)
        router.post("/api/exports", use: export)
    }

    static func collection(_ collection: AssetCollection) -> JSONValue {
        .object([
            "object": "collection", "id": .string(collection.id), "name": .string(collection.name),
            "approval_required": .bool(collection.approvalRequired), "count": .int(collection.count),
            "cover_asset_id": .optional(collection.coverAssetID), "created_at": .int(collection.createdAt / 1000),
            "updated_at": .int(collection.updatedAt / 1000),
        ])
    }

    static func share(_ link: ShareLink, token: String? = nil) -> JSONValue {
        var object: [String: JSONValue] = [
            "object": "share_link", "id": .string(link.id), "asset_id": .optional(link.assetID), "collection_id": .optional(link.collectionID),
            "allow_download": .bool(link.allowDownload), "show_prompt": .bool(link.showPrompt), "expires_at": .int(link.expiresAt / 1000),
            "revoked": .bool(link.revokedAt != nil), "created_at": .int(link.createdAt / 1000),
        ]
        // The token (and so the URL) is shown once, when the link is made; only its hash is kept.
        if let token {
            object["token"] = .string(token)
            object["url"] = .string("/s/\(token)")
        }
        return .object(object)
    }

    /// A page at a time (the studio's pickers read the first, 100).
    @Sendable func listCollections(_ request: Request, context: AuthenticatedContext) async throws -> JSONValue {
        let paging = try PageQuery(request, cursorPrefix: "col", defaultLimit: PageQuery.maxLimit)
        let page = try await collections.list(userID: context.identity.userID, before: paging.before, limit: paging.limit)
        return Representations.page(page.items.map(Self.collection), hasMore: page.hasMore, lastID: page.items.last?.id)
    }

    @Sendable func createCollection(_ request: Request, context: AuthenticatedContext) async throws -> Response {
        let collection = try await collections.create(try await request.jsonObject(limit: 256 * 1024), userID: context.identity.userID)
        return .json(Self.collection(collection), status: .created, headers: [.location: "/api/collections/\(collection.id)"])
    }

    @Sendable func showCollection(_ request: Request, context: AuthenticatedContext) async throws -> JSONValue {
        Self.collection(try await collections.collection(try context.parameters.require("id"), userID: context.identity.userID))
    }

    @Sendable func updateCollection(_ request: Request, context: AuthenticatedContext) async throws -> JSONValue {
        let body = try await request.jsonObject(limit: 16 * 1024)
        return Self.collection(try await collections.update(try context.parameters.require("id"), body: body, userID: context.identity.userID))
    }

    @Sendable func deleteCollection(_ request: Request, context: AuthenticatedContext) async throws -> JSONValue {
        let id = try context.parameters.require("id")
        try await collections.delete(id, userID: context.identity.userID)
        return .object(["id": .string(id), "object": "collection", "deleted": true])
    }

    /// `{"ids": [...]}`: the caller's images among them join the collection.
    @Sendable func addAssets(_ request: Request, context: AuthenticatedContext) async throws -> JSONValue {
        let body = try await request.jsonObject(limit: 256 * 1024)
        let ids = try GalleryService.selection(body["ids"])
        let id = try context.parameters.require("id")
        let added = try await collections.add(id, assetIDs: ids, userID: context.identity.userID)
        return .object([
            "collection": Self.collection(try await collections.collection(id, userID: context.identity.userID)),
            "added": .array(added.map(JSONValue.string)),
        ])
    }

    @Sendable func removeAsset(_ request: Request, context: AuthenticatedContext) async throws -> JSONValue {
        let id = try context.parameters.require("id")
        let asset = try context.parameters.require("asset")
        let removed = try await collections.remove(id, assetIDs: [asset], userID: context.identity.userID)
        guard !removed.isEmpty else { throw EaselError.notFound("asset", id: asset, param: "asset") }
        return Self.collection(try await collections.collection(id, userID: context.identity.userID))
    }

    @Sendable func shareAsset(_ request: Request, context: AuthenticatedContext) async throws -> Response {
        let body = try await request.optionalJSONObject()
        let (link, token) = try await shares.create(
            assetID: try context.parameters.require("id"),
            collectionID: nil,
            body: body,
            userID: context.identity.userID
        )
        return .json(Self.share(link, token: token), status: .created)
    }

    @Sendable func shareCollection(_ request: Request, context: AuthenticatedContext) async throws -> Response {
        let body = try await request.optionalJSONObject()
        let (link, token) = try await shares.create(
            assetID: nil,
            collectionID: try context.parameters.require("id"),
            body: body,
            userID: context.identity.userID
        )
        return .json(Self.share(link, token: token), status: .created)
    }

    /// Revoked links stay listed: a page at a time (the studio reads the first, 100).
    @Sendable func listShares(_ request: Request, context: AuthenticatedContext) async throws -> JSONValue {
        let paging = try PageQuery(request, cursorPrefix: "shr", defaultLimit: PageQuery.maxLimit)
        let page = try await shares.list(userID: context.identity.userID, before: paging.before, limit: paging.limit)
        return Representations.page(page.items.map { Self.share($0) }, hasMore: page.hasMore, lastID: page.items.last?.id)
    }

    @Sendable func revokeShare(_ request: Request, context: AuthenticatedContext) async throws -> JSONValue {
        Self.share(try await shares.revoke(try context.parameters.require("id"), userID: context.identity.userID))
    }

    /// A zip of the selection with `manifest.csv` and `manifest.json`, streamed image by image.
    @Sendable func export(_ request: Request, context: AuthenticatedContext) async throws -> Response {
        let export = try await exports.plan(try await request.jsonObject(limit: 256 * 1024), userID: context.identity.userID)
        let exports = self.exports
        let headers: HTTPFields = [
            .contentType: "application/zip",
            .contentDisposition: ContentDisposition.header(attachment: true, filename: "\(export.name).zip", fallback: "\(export.name).zip"),
            .cacheControl: "no-store",
        ]
        let body = ResponseBody { writer in
            try await ZipStream.write(export.entries, data: exports.data(of:), manifest: export.manifest) { try await writer.write($0) }
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: headers, body: body)
    }
}
