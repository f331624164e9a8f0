import EaselCore
import EaselStore
import Foundation
import Hummingbird

/// Asset metadata and the files themselves. Files are immutable per id, so they carry a strong ETag and
/// a year-long cache lifetime.
struct AssetsController {
    let runtime: EaselRuntime

    func addRoutes(to router: Router<EaselRequestContext>) {
        router.get("/api/assets", use: list)
        router.get("/api/assets/{id}", use: show)
        router.get("/files/{id}", use: file)
        router.get("/files/{id}/thumb", use: thumbnail)
    }

    @Sendable func list(_ request: Request, context: EaselRequestContext) async throws -> JSONValue {
        let identity = try context.requireIdentity()
        let user = identity.userID
        let query = request.uri.queryParameters
        let limit = try JobsController.limit(query["limit"].map(String.init))
        let before = try JobsController.cursor(query["before"].map(String.init), prefix: "img")
        let page = try await runtime.assetStore.assets(userID: user, before: before, limit: limit)
        return Representations.page(page.items.map(Representations.asset), hasMore: page.hasMore, lastID: page.items.last?.id)
    }

    @Sendable func show(_ request: Request, context: EaselRequestContext) async throws -> JSONValue {
        _ = try context.requireIdentity()
        return Representations.asset(try await asset(context))
    }

    @Sendable func file(_ request: Request, context: EaselRequestContext) async throws -> Response {
        _ = try context.requireIdentity()
        let asset = try await asset(context)
        return try await serve(key: asset.blobKey, mime: asset.format.mimeType, asset: asset, request: request,
                               filename: "\(asset.id).\(asset.format.fileExtension)")
    }

    @Sendable func thumbnail(_ request: Request, context: EaselRequestContext) async throws -> Response {
        _ = try context.requireIdentity()
        let asset = try await asset(context)
        let key = try await runtime.thumbnails.thumbnailKey(for: asset)
        return try await serve(key: key, mime: "image/webp", asset: asset, request: request, filename: "\(asset.id)-thumb.webp")
    }

    private func serve(key: String, mime: String, asset: AssetRecord, request: Request, filename: String) async throws -> Response {
        let etag = "\"\(key.split(separator: ".").first ?? "")\""
        var headers: HTTPFields = [
            .contentType: mime,
            .eTag: etag,
            .cacheControl: "private, max-age=31536000, immutable",
            .contentDisposition: "inline; filename=\"\(filename)\"",
        ]
        if asset.isDraft { headers[.xEaselDraft] = "true" }
        if let match = request.headers[.ifNoneMatch], match.split(separator: ",").contains(where: { $0.trimmingCharacters(in: .whitespaces) == etag }) {
            return Response(status: .notModified, headers: headers)
        }
        guard let data = try await runtime.blobs.get(key: key) else {
            throw EaselError.server("The file of asset \(asset.id) is missing from storage.", code: "file_missing")
        }
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    private func asset(_ context: EaselRequestContext) async throws -> AssetRecord {
        let id = try context.parameters.require("id")
        let user = try context.requireIdentity().userID
        // Hidden assets are gone from every route but the admin's moderation routes.
        guard EaselID.isValid(id, prefix: "img"), let asset = try await runtime.assetStore.asset(id: id), asset.userID == user,
              asset.hiddenAt == nil else {
            throw EaselError(status: 404, type: "invalid_request_error", code: "not_found", param: "id",
                             message: "No asset with id '\(id)' exists.")
        }
        return asset
    }
}
