import EaselCore
import EaselStore
import Foundation

/// Multi-turn revision: each turn edits the newest image of its session (or, before there is one,
/// generates from the turn's prompt).
struct SessionService: Sendable {
    let store: any SessionStore
    let assets: AssetService
    let iteration: IterationService
    let jobs: JobService
    let catalog: ModelCatalog
    let ids: IDGenerator
    let clock: any EaselClock

    /// Turns a session's page shows; each turn's job is fetched, so they are bounded.
    static let turnLimit = 100

    struct Turn: Sendable {
        var turn: SessionTurn
        var job: JobRecord?
    }

    func create(body: [String: JSONValue], identity: Identity) async throws -> EditSession {
        let reader = FieldReader(fields: body)
        let title = try reader.string("title")
        if let title, title.count > 200 {
            throw EaselError.invalidRequest("'title' may be at most 200 characters.", param: "title", code: "string_above_max_length")
        }
        var base: AssetRecord?
        if let assetID = try reader.string("asset_id") {
            base = try await assets.asset(id: assetID, userID: identity.userID, param: "asset_id")
        }
        let model = try reader.string("model") ?? base.flatMap { iteration.editModel(for: $0) } ?? catalog.defaultModel
        let caps = try catalog.require(model)
        guard caps.supportsEdits else {
            throw EaselError.invalidRequest(
                "The model '\(model)' cannot edit images, so it cannot run a session's turns.",
                param: "model",
                code: "unsupported_model"
            )
        }
        let now = clock.nowMillis()
        let session = EditSession(
            id: ids.make(prefix: "ses", millis: now),
            userID: identity.userID,
            title: title,
            model: caps.id,
            baseAssetID: base?.id,
            createdAt: now,
            updatedAt: now
        )
        try await store.create(session)
        return session
    }

    func session(id: String, identity: Identity) async throws -> EditSession {
        guard EaselID.isValid(id, prefix: "ses"), let session = try await store.session(id: id), session.userID == identity.userID else {
            throw EaselError.notFound("session", id: id, param: "id")
        }
        return session
    }

    /// The newest turns (`turnLimit`), oldest first: a session may run long, and the next turn needs only the last.
    func turns(of session: EditSession) async throws -> [Turn] {
        var turns: [Turn] = []
        for turn in try await store.turns(sessionID: session.id, limit: Self.turnLimit) {
            turns.append(Turn(turn: turn, job: try? await jobs.job(id: turn.jobID, userID: session.userID)))
        }
        return turns
    }

    /// The image the next turn edits: the first output of the newest successful turn, else the base image.
    func latestAssetID(_ session: EditSession, turns: [Turn]) -> String? {
        for turn in turns.reversed() {
            if let job = turn.job, job.status == .succeeded, let first = job.result?.assetIDs.first { return first }
        }
        return session.baseAssetID
    }

    func addTurn(
        sessionID: String,
        body: [String: JSONValue],
        identity: Identity,
        isLocalURL: (URLComponents) -> Bool
    ) async throws -> (SessionTurn, JobRecord) {
        let session = try await session(id: sessionID, identity: identity)
        let turns = try await turns(of: session)
        if let last = turns.last, let job = last.job, !job.status.isTerminal {
            throw EaselError.conflict(
                "Turn \(last.turn.turn) of session \(session.id) is still \(job.status.rawValue) (job \(job.id)); "
                    + "send the next turn when it has finished.",
                code: "turn_in_progress"
            )
        }
        var fields = body
        guard let prompt = try FieldReader(fields: fields).string("prompt") else { throw EaselError.missing("prompt") }
        if fields["model"] == nil { fields["model"] = .string(session.model) }
        let mask = fields.removeValue(forKey: "mask")
        let job: JobRecord
        let inputID = latestAssetID(session, turns: turns)
        if let inputID {
            let input = try await assets.asset(id: inputID, userID: identity.userID)
            job = try await iteration.submitEdit(of: input, fields: fields, mask: mask, identity: identity, isLocalURL: isLocalURL)
        } else {
            if let mask, mask != .null {
                throw EaselError.invalidRequest(
                    "This session has no image yet, so there is nothing for a mask to apply to.",
                    param: "mask",
                    code: "unsupported_parameter"
                )
            }
            var request = try catalog.parser.parse(.object(fields), seed: IterationService.newSeed())
            request.stream = request.partialImages > 0
            job = try await jobs.enqueue(
                .init(payload: JobPayload(request: request), userID: identity.userID, rawRequest: .object(fields), identity: identity)
            ).job
        }
        let turn = SessionTurn(
            sessionID: session.id,
            turn: (turns.last?.turn.turn ?? 0) + 1,
            jobID: job.id,
            prompt: prompt,
            inputAssetID: inputID,
            createdAt: clock.nowMillis()
        )
        guard try await store.addTurn(turn) else {
            // Another turn took this place first: withdraw this one's job.
            await jobs.withdraw(id: job.id, userID: identity.userID)
            throw EaselError.conflict(
                "Another turn was added to session \(session.id) at the same time; send this one again.",
                code: "turn_in_progress"
            )
        }
        return (turn, job)
    }
}
