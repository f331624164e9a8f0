import EaselCore
import Foundation
import Hummingbird

/// Iterating on stored images: edits, variations, promotion of a preview to a final, and upscaling. Each
/// answers 202 with the new job, whose result links back to the asset.
struct IterationController {
    let iteration: IterationService
    let body: IterationBody

    func addRoutes(to router: some RouterMethods<AuthenticatedContext>) {
        router.post("/api/assets/{id}/edits", use: edit)
        router.post("/api/assets/{id}/variations", use: variations)
        router.post("/api/assets/{id}/promote", use: promote)
        router.post("/api/assets/{id}/upscale", use: upscale)
    }

    @Sendable func edit(_ request: Request, context: AuthenticatedContext) async throws -> Response {
        let fields = try await body.read(request, allowEmpty: false)
        return Self.accepted(
            try await iteration.edit(
                assetID: try context.parameters.require("id"),
                body: fields,
                identity: context.identity,
                isLocalURL: body.isLocalURL(request)
            )
        )
    }

    @Sendable func variations(_ request: Request, context: AuthenticatedContext) async throws -> Response {
        let fields = try await body.read(request)
        return Self.accepted(try await iteration.variations(assetID: try context.parameters.require("id"), body: fields, identity: context.identity))
    }

    @Sendable func promote(_ request: Request, context: AuthenticatedContext) async throws -> Response {
        let fields = try await body.read(request)
        return Self.accepted(try await iteration.promote(assetID: try context.parameters.require("id"), body: fields, identity: context.identity))
    }

    @Sendable func upscale(_ request: Request, context: AuthenticatedContext) async throws -> Response {
        let fields = try await body.read(request)
        return Self.accepted(try await iteration.upscale(assetID: try context.parameters.require("id"), body: fields, identity: context.identity))
    }

    static func accepted(_ job: JobRecord) -> Response {
        .json(Representations.job(job), status: .accepted, headers: [.location: "/api/jobs/\(job.id)", .xEaselJobID: job.id])
    }
}

/// The JSON body of an iteration or session call (masks may come as data URLs, so it gets the edit limit),
/// and which URLs point at this server.
struct IterationBody: Sendable {
    let maxBytes: Int
    let publicBaseURL: String?

    func read(_ request: Request, allowEmpty: Bool = true) async throws -> [String: JSONValue] {
        if allowEmpty, request.headers[.contentLength] == "0" || (request.headers[.contentType] == nil && request.headers[.contentLength] == nil) {
            return [:]
        }
        return try await request.jsonObject(limit: maxBytes)
    }

    func isLocalURL(_ request: Request) -> @Sendable (URLComponents) -> Bool {
        let host = request.head.authority
        let base = publicBaseURL
        return { EditInputs.isLocalURL($0, requestHost: host, publicBaseURL: base) }
    }
}
