import EaselCore
import Foundation
import Hummingbird

/// Multi-turn editing sessions: each turn edits the newest image of its session.
struct SessionsController {
    let sessions: SessionService
    let body: IterationBody

    func addRoutes(to router: some RouterMethods<AuthenticatedContext>) {
        router.post("/api/sessions", use: create)
        router.get("/api/sessions/{id}", use: show)
        router.post("/api/sessions/{id}/turns", use: addTurn)
    }

    @Sendable func create(_ request: Request, context: AuthenticatedContext) async throws -> Response {
        let session = try await sessions.create(body: try await body.read(request), identity: context.identity)
        return .json(
            Self.session(session, turns: [], latest: session.baseAssetID),
            status: .created,
            headers: [.location: "/api/sessions/\(session.id)"]
        )
    }

    @Sendable func show(_ request: Request, context: AuthenticatedContext) async throws -> JSONValue {
        let session = try await sessions.session(id: try context.parameters.require("id"), identity: context.identity)
        let turns = try await sessions.turns(of: session)
        return Self.session(session, turns: turns, latest: sessions.latestAssetID(session, turns: turns))
    }

    @Sendable func addTurn(_ request: Request, context: AuthenticatedContext) async throws -> Response {
        let (turn, job) = try await sessions.addTurn(
            sessionID: try context.parameters.require("id"),
            body: try await body.read(request, allowEmpty: false),
            identity: context.identity,
            isLocalURL: body.isLocalURL(request)
        )
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
