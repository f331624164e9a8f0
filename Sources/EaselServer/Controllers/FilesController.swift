import EaselCore
import Foundation
import Hummingbird

/// The files themselves, and their WebP thumbnails. Two ways in: the owner's key or studio session, or a
/// signed link (`?exp=…&sig=…`, as handed out with `response_format=url`) that opens without a key until it
/// expires. Files are immutable per id, so they carry a strong ETag. `?download=1` asks for an attachment
/// named after the prompt's first words in the user's own script (RFC 5987 `filename*`).
struct FilesController {
    let assets: AssetService
    let accounts: AccountService
    let links: FileLinks

    func addRoutes(to router: some RouterMethods<EaselRequestContext>) {
        router.get("/files/{id}", use: file)
        router.get("/files/{id}/thumb", use: thumbnail)
    }

    @Sendable func file(_ request: Request, context: EaselRequestContext) async throws -> Response {
        try await serve(request, context: context, thumbnail: false)
    }

    @Sendable func thumbnail(_ request: Request, context: EaselRequestContext) async throws -> Response {
        try await serve(request, context: context, thumbnail: true)
    }

    private func serve(_ request: Request, context: EaselRequestContext, thumbnail: Bool) async throws -> Response {
        let id = try context.parameters.require("id")
        let query = request.uri.queryParameters
        let asset: AssetRecord
        let cacheControl: String
        var linkSeconds = Int64.max
        if query["sig"] != nil || query["exp"] != nil {
            // A link: only its signature counts, never a key sent along with it.
            let path = FileLinks.path(assetID: id, thumbnail: thumbnail)
            guard let left = links.remainingSeconds(path: path, expiry: query["exp"].map(String.init), signature: query["sig"].map(String.init))
            else {
                throw EaselError(
                    status: 403,
                    type: "invalid_request_error",
                    code: "invalid_file_link",
                    param: nil,
                    message: "This file link is invalid or has expired. Ask for the image again to get a new link."
                )
            }
            // Hidden or deleted since the link was made: gone at once.
            guard let found = try await assets.anyAsset(id: id), found.hiddenAt == nil else {
                throw EaselError.notFound("asset", id: id, param: "id")
            }
            asset = found
            cacheControl = "private, max-age=\(left)"
            linkSeconds = left
        } else {
            guard let identity = try await IdentityMiddleware.identity(of: request, accounts: accounts) else {
                throw EaselError.unauthorized(
                    "You didn't provide an API key. Send 'Authorization: Bearer <key>', log in to the studio, or use a signed file link."
                )
            }
            asset = try await assets.asset(id: id, userID: identity.userID)
            cacheControl = "private, max-age=31536000, immutable"
        }
        let key = try await assets.fileKey(of: asset, thumbnail: thumbnail)
        let stem = thumbnail ? "\(asset.id)-thumb" : asset.id
        let fileExtension = thumbnail ? "webp" : asset.format.fileExtension
        let etag = "\"\(key.split(separator: ".").first ?? "")\""
        var headers: HTTPFields = [
            .contentType: thumbnail ? "image/webp" : asset.format.mimeType,
            .eTag: etag,
            .cacheControl: cacheControl,
            .contentDisposition: ContentDisposition.header(
                attachment: query["download"] != nil,
                filename: ContentDisposition.filename(prompt: asset.prompt, id: stem, fileExtension: fileExtension),
                fallback: "\(stem).\(fileExtension)"
            ),
        ]
        if asset.isDraft { headers[.xEaselDraft] = "true" }
        if let match = request.headers[.ifNoneMatch], match.split(separator: ",").contains(where: { $0.trimmingCharacters(in: .whitespaces) == etag })
        {
            return Response(status: .notModified, headers: headers)
        }
        // With EASEL_BLOB_REDIRECT, the store serves the bytes (a download keeps its file name, so it passes through).
        if query["download"] == nil, let redirect = assets.redirect(key: key) {
            return Response(
                status: .found,
                headers: [.location: redirect.url, .cacheControl: "private, max-age=\(max(0, min(Int64(redirect.seconds - 30), linkSeconds)))"]
            )
        }
        let stream = try await assets.stream(key: key, of: asset)
        if let length = stream.length { headers[.contentLength] = String(length) }
        return Response(
            status: .ok,
            headers: headers,
            body: ResponseBody { writer in
                try await stream.pump { piece in try await writer.write(piece) }
                try await writer.finish(nil)
            }
        )
    }
}
