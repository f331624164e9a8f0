import EaselCore
import Foundation
import Hummingbird

/// The Responses API door (`/v1/responses`) for image conversations: create a turn (answered when its image
/// is done, or streamed), retrieve it (or resume its stream), delete it, list its input items.
struct ResponsesController {
    let responses: ResponsesService
    let catalog: ModelCatalog
    let syncTimeoutSeconds: Int
    let maxBodyBytes: Int
    let publicBaseURL: String?

    func addRoutes(to router: some RouterMethods<AuthenticatedContext>) {
        router.post("/v1/responses", use: create)
        router.get("/v1/responses/{id}", use: retrieve)
        router.delete("/v1/responses/{id}", use: delete)
        router.get("/v1/responses/{id}/input_items", use: inputItems)
        router.post("/v1/responses/{id}/cancel", use: cancel)
        router.get("/api/conversations/{id}", use: conversation)
    }

    /// The studio's conversation view: the turns that lead to an image (`img_…`) or a turn (`resp_…`); at most
    /// the last `ResponsesService.conversationTurns`.
    @Sendable func conversation(_ request: Request, context: AuthenticatedContext) async throws -> JSONValue {
        let turns = try await responses.conversation(of: try context.parameters.require("id"), userID: context.identity.userID)
        return [
            "object": "conversation",
            "turns": .array(
                turns.map { turn in
                    [
                        "response_id": .string(turn.record.id), "text": .string(turn.record.turnText), "action": .string(turn.record.action),
                        "status": .string(turn.status.rawValue), "asset_id": .optional(turn.assetID),
                        "model": turn.record.echo["tools"]?.arrayValue?.first?["model"] ?? .null,
                        "created_at": .int(turn.record.createdAt / 1000),
                    ]
                }
            ),
        ]
    }

    @inline(never) @Sendable func create(_ request: Request, context: AuthenticatedContext) async throws -> Response {
        let parsed = try ResponsesRequest(try await request.jsonObject(limit: maxBodyBytes))
        let host = request.head.authority
        let base = publicBaseURL
        let turn = try await responses.create(
            parsed,
            identity: context.identity,
            delivery: parsed.stream ? .stream : .wait(seconds: syncTimeoutSeconds)
        ) { EditInputs.isLocalURL($0, requestHost: host, publicBaseURL: base) }
        var headers = HTTPFields(rateLimit: turn.submitted.rateLimit)
        headers[.xEaselJobID] = turn.record.jobID
        if catalog.isDraft(turn.submitted.job.payload.request.model) { headers[.xEaselDraft] = "true" }
        if parsed.stream {
            guard let watch = turn.submitted.watch else { throw EaselError.server("a streamed turn came back without its events") }
            return stream(turn.record, from: -1, watch: watch, live: true, headers: headers)
        }
        let state: ResponseState
        if let (job, outputs) = turn.submitted.finished {
            state = try await responses.state(of: turn.record, job: job, outputs: outputs)
        } else {
            // Still running when the wait ran out: the client retrieves it later by id.
            state = .inProgress
        }
        return .json(ResponseJSON.object(turn.record, state), headers: headers)
    }

    @Sendable func retrieve(_ request: Request, context: AuthenticatedContext) async throws -> Response {
        let record = try await responses.record(id: try context.parameters.require("id"), userID: context.identity.userID)
        let query = request.uri.queryParameters
        if query["stream"].map(String.init) == "true" {
            var after = -1
            if let text = query["starting_after"].map(String.init) {
                guard let value = Int(text), value >= -1 else {
                    throw EaselError.invalidRequest("'starting_after' must be a sequence number (an integer).", param: "starting_after")
                }
                after = value
            }
            return stream(record, from: after, watch: responses.jobs.watch(jobID: record.jobID), live: false, headers: [:])
        }
        let job = try await responses.job(of: record)
        return .json(ResponseJSON.object(record, try await responses.state(of: record, job: job)))
    }

    @Sendable func delete(_ request: Request, context: AuthenticatedContext) async throws -> JSONValue {
        let id = try context.parameters.require("id")
        try await responses.delete(id: id, userID: context.identity.userID)
        return ["id": .string(id), "object": "response", "deleted": true]
    }

    @Sendable func inputItems(_ request: Request, context: AuthenticatedContext) async throws -> JSONValue {
        let record = try await responses.record(id: try context.parameters.require("id"), userID: context.identity.userID)
        let query = request.uri.queryParameters
        let limit = try PageQuery.limit(request)
        let order = query["order"].map(String.init) ?? "desc"
        guard order == "asc" || order == "desc" else {
            throw EaselError.invalidRequest("Invalid 'order': '\(order)'. Use 'asc' or 'desc'.", param: "order")
        }
        let page = try responses.inputItems(of: record, after: query["after"].map(String.init), limit: limit, ascending: order == "asc")
        return [
            "object": "list", "data": .array(page.items), "has_more": .bool(page.hasMore),
            "first_id": page.items.first?["id"] ?? .null, "last_id": page.items.last?["id"] ?? .null,
        ]
    }

    /// Only background responses can be cancelled, and Easel does not run any.
    @Sendable func cancel(_ request: Request, context: AuthenticatedContext) async throws -> Response {
        let record = try await responses.record(id: try context.parameters.require("id"), userID: context.identity.userID)
        throw EaselError.invalidRequest(
            "Only background responses can be cancelled, and \(record.id) was not one. Its image is job \(record.jobID): DELETE /api/jobs/\(record.jobID) stops it.",
            param: nil,
            code: "invalid_request"
        )
    }

    /// The turn's events numbered from 0, those after `after`: the opening ones, the partial images (live, or
    /// as a live stream kept them), then the closing ones once the job ends.
    private func stream(_ record: ResponseRecord, from after: Int, watch: JobWatch, live: Bool, headers: HTTPFields) -> Response {
        let responses = self.responses
        let deadline = ContinuousClock.now + .seconds(syncTimeoutSeconds)
        return ServerSentEvents.response(headers: headers) { send in
            func emit(_ event: JSONValue) {
                guard let number = event["sequence_number"]?.intValue, number > after else { return }
                send(ServerSentEvents.frame(event: event["type"]?.stringValue, data: event))
            }
            defer { watch.cancel() }
            ResponseJSON.opening(record).forEach(emit)
            var partials = 0
            if !live, let kept = try? await responses.partials(of: record) {
                for (index, base64) in kept.enumerated() { emit(ResponseJSON.partial(record, index: index, base64: base64)) }
                partials = kept.count
            }
            for await event in responses.jobs.events(of: watch, deadline: deadline) {
                if case .partial(_, let partial) = event {
                    let index = partial.partialIndex
                    guard index >= partials else { continue }
                    let base64 = partial.data.base64EncodedString()
                    if live && record.echo["store"] != false { await responses.savePartial(of: record, index: index, base64: base64) }
                    emit(ResponseJSON.partial(record, index: index, base64: base64))
                    partials = index + 1
                    continue
                }
                guard let job = event.job, job.status.isTerminal else { continue }
                let state: ResponseState
                do {
                    state = try await responses.state(of: record, job: job, outputs: event.outputs)
                } catch {
                    state = ResponseState(status: .failed, error: ("server_error", "The finished image of \(record.id) could not be read."))
                }
                if !live, let kept = try? await responses.partials(of: record) { partials = max(partials, kept.count) }
                ResponseJSON.closing(record, state, partials: partials).forEach(emit)
                return
            }
        }
    }
}
