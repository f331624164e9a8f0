import EaselCore
import Foundation
import Hummingbird

/// Iterating on stored images: edits, variations, promotion of a preview to a final, upscaling, lineage,
/// and multi-turn editing sessions.
struct IterationController {
    let runtime: EaselRuntime

    func addRoutes(to router: Router<EaselRequestContext>) {
        router.post("/api/assets/{id}/edits", use: edit)
        router.post("/api/assets/{id}/variations", use: variations)
        router.post("/api/assets/{id}/promote", use: promote)
        router.post("/api/assets/{id}/upscale", use: upscale)
        router.get("/api/assets/{id}/lineage", use: lineage)
        router.post("/api/sessions", use: createSession)
        router.get("/api/sessions/{id}", use: showSession)
        router.post("/api/sessions/{id}/turns", use: addTurn)
    }

    func iteration(_ identity: Identity) -> IterationService { IterationService(runtime: runtime, identity: identity) }
    func sessions(_ identity: Identity) -> SessionService { SessionService(runtime: runtime, identity: identity) }

    func body(_ request: Request, allowEmpty: Bool = true) async throws -> [String: JSONValue] {
        if allowEmpty, request.headers[.contentLength] == "0" || (request.headers[.contentType] == nil && request.headers[.contentLength] == nil) {
            return [:]
        }
        // Masks may come as data URLs, so iteration bodies get the edit limit.
        return try await request.jsonObject(limit: runtime.config.maxEditBodyBytes)
    }

    func isLocalURL(_ request: Request) -> (URLComponents) -> Bool {
        let host = request.head.authority, base = runtime.config.publicBaseURL
        return { EditSubmissions.isLocalURL($0, requestHost: host, publicBaseURL: base) }
    }

    func accepted(_ job: JobRecord) -> Response {
        .json(Representations.job(job), status: .accepted, headers: [.location: "/api/jobs/\(job.id)", .xEaselJobID: job.id])
    }

    @Sendable func edit(_ request: Request, context: EaselRequestContext) async throws -> Response {
        let identity = try context.requireIdentity()
        let id = try context.parameters.require("id")
        return accepted(try await iteration(identity).edit(assetID: id, body: try await body(request, allowEmpty: false), isLocalURL: isLocalURL(request)))
    }

    @Sendable func variations(_ request: Request, context: EaselRequestContext) async throws -> Response {
        let identity = try context.requireIdentity()
        return accepted(try await iteration(identity).variations(assetID: try context.parameters.require("id"), body: try await body(request)))
    }

    @Sendable func promote(_ request: Request, context: EaselRequestContext) async throws -> Response {
        let identity = try context.requireIdentity()
        return accepted(try await iteration(identity).promote(assetID: try context.parameters.require("id"), body: try await body(request)))
    }

    @Sendable func upscale(_ request: Request, context: EaselRequestContext) async throws -> Response {
        let identity = try context.requireIdentity()
        return accepted(try await iteration(identity).upscale(assetID: try context.parameters.require("id"), body: try await body(request)))
    }

    @Sendable func lineage(_ request: Request, context: EaselRequestContext) async throws -> JSONValue {
        let identity = try context.requireIdentity()
        let user = identity.userID
        let lineage = try await runtime.assetService.lineage(of: try context.parameters.require("id"), userID: user)
        // The tree nests children under their parents, starting at the root.
        var childrenOf: [String: [AssetRecord]] = [:]
        for asset in lineage.tree { childrenOf[asset.parentAssetID ?? "", default: []].append(asset) }
        func node(_ asset: AssetRecord, depth: Int) -> JSONValue {
            var object = Representations.asset(asset).objectValue ?? [:]
            object["children"] = depth > 200 ? .array([]) : .array((childrenOf[asset.id] ?? []).map { node($0, depth: depth + 1) })
            return .object(object)
        }
        return .object([
            "object": "asset.lineage",
            "asset": Representations.asset(lineage.asset),
            "root": Representations.asset(lineage.root),
            "ancestors": .array(lineage.ancestors.map(Representations.asset)),
            "children": .array(lineage.children.map(Representations.asset)),
            "tree": node(lineage.root, depth: 0),
        ])
    }

    @Sendable func createSession(_ request: Request, context: EaselRequestContext) async throws -> Response {
        let identity = try context.requireIdentity()
        let session = try await sessions(identity).create(body: try await body(request))
        return .json(Self.session(session, turns: [], latest: session.baseAssetID), status: .created,
                     headers: [.location: "/api/sessions/\(session.id)"])
    }

    @Sendable func showSession(_ request: Request, context: EaselRequestContext) async throws -> JSONValue {
        let identity = try context.requireIdentity()
        let service = sessions(identity)
        let session = try await service.session(id: try context.parameters.require("id"))
        let turns = try await service.turns(of: session)
        return Self.session(session, turns: turns, latest: service.latestAssetID(session, turns: turns))
    }

    @Sendable func addTurn(_ request: Request, context: EaselRequestContext) async throws -> Response {
        let identity = try context.requireIdentity()
        let (turn, job) = try await sessions(identity).addTurn(sessionID: try context.parameters.require("id"), body: try await body(request, allowEmpty: false),
                                                     isLocalURL: isLocalURL(request))
        var object = Self.turn(.init(turn: turn, job: job)).objectValue ?? [:]
        object["session_id"] = .string(turn.sessionID)
        return .json(.object(object), status: .accepted, headers: [.location: "/api/jobs/\(job.id)", .xEaselJobID: job.id])
    }

    static func turn(_ turn: SessionService.Turn) -> JSONValue {
        var object: [String: JSONValue] = [
            "turn": .int(turn.turn.turn),
            "prompt": .string(turn.turn.prompt),
            "input_asset_id": .optional(turn.turn.inputAssetID),
            "job_id": .string(turn.turn.jobID),
            "created_at": .int(turn.turn.createdAt.unixSeconds),
        ]
        if let job = turn.job {
            object["status"] = .string(job.status.rawValue)
            object["asset_ids"] = .array((job.result?.assetIDs ?? []).map(JSONValue.string))
            if let error = job.lastError, job.status == .failed { object["error"] = Representations.error(error) }
        }
        return .object(object)
    }

    static func session(_ session: EditSession, turns: [SessionService.Turn], latest: String?) -> JSONValue {
        .object([
            "object": "session",
            "id": .string(session.id),
            "title": .optional(session.title),
            "model": .string(session.model),
            "base_asset_id": .optional(session.baseAssetID),
            "latest_asset_id": .optional(latest),
            "created_at": .int(session.createdAt.unixSeconds),
            "updated_at": .int(session.updatedAt.unixSeconds),
            "turns": .array(turns.map(turn)),
        ])
    }
}
