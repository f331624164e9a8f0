import EaselCore
import Foundation
import Hummingbird

/// Easel's job API: submit without waiting, look up, list, cancel, and follow a job's events.
struct JobsController {
    let runtime: EaselRuntime

    func addRoutes(to router: Router<EaselRequestContext>) {
        router.post("/api/jobs", use: create)
        router.get("/api/jobs", use: list)
        router.get("/api/jobs/{id}", use: show)
        router.delete("/api/jobs/{id}", use: cancel)
        router.get("/api/jobs/{id}/events", use: events)
    }

    /// Same body as `/v1/images/generations`, plus `priority` (-10…10). Partial images, when asked for,
    /// are delivered on the job's event stream.
    @Sendable func create(_ request: Request, context: EaselRequestContext) async throws -> Response {
        let identity = try context.requireIdentity()
        let user = identity.userID
        let body = try await request.jsonBody(limit: runtime.config.maxJSONBodyBytes)
        if let aspects = body.objectValue?["aspects"], aspects != .null { return try await createAspectSet(body, aspects: aspects, identity: identity) }
        var imageRequest = try runtime.parser.parse(body, seed: UInt64.random(in: 0...(1 << 53)))
        imageRequest.stream = imageRequest.partialImages > 0
        let priority = try FieldReader(fields: body.objectValue ?? [:]).integer("priority") ?? 0
        guard (-10...10).contains(priority) else {
            throw EaselError.invalidRequest("Invalid 'priority': \(priority). It must be between -10 and 10.", param: "priority")
        }
        let outcome = try await runtime.jobService.enqueue(.init(
            payload: JobPayload(request: imageRequest), userID: user, rawRequest: body,
            idempotencyKey: request.headers[.idempotencyKey], priority: priority, identity: identity))
        let job = outcome.job
        let position = try await runtime.jobService.queuePosition(of: job)
        let created: Bool
        if case .created = outcome { created = true } else { created = false }
        return .json(Representations.job(job, position: position), status: created ? .accepted : .ok,
                     headers: [.location: "/api/jobs/\(job.id)", .xEaselJobID: job.id])
    }

    /// `aspects: ["1:1", "16:9", …]`: one job group, one job per aspect, each at the valid size of the
    /// model closest to that aspect (about as many pixels as `size`, or 1024² when `size` is auto).
    func createAspectSet(_ body: JSONValue, aspects: JSONValue, identity: Identity) async throws -> Response {
        let user = identity.userID
        guard case .object(var fields) = body else {
            throw EaselError.invalidRequest("The request body must be a JSON object.", param: nil, code: "invalid_json")
        }
        fields.removeValue(forKey: "aspects")
        guard case .array(let list) = aspects, !list.isEmpty else {
            throw EaselError.invalidRequest("'aspects' must be a non-empty list such as [\"1:1\", \"16:9\"].", param: "aspects")
        }
        guard list.count <= 10 else {
            throw EaselError.invalidRequest("At most 10 aspects per set.", param: "aspects", code: "array_above_max_length")
        }
        let caps = try runtime.parser.capabilities(fields)
        let seed = UInt64.random(in: 0...(1 << 53))
        // Check the brief once as given, so field errors name their own param.
        let base = try runtime.parser.parse(.object(fields), seed: seed)
        let target = base.resolvedSize.pixels
        let priority = try FieldReader(fields: fields).integer("priority") ?? 0
        guard (-10...10).contains(priority) else {
            throw EaselError.invalidRequest("Invalid 'priority': \(priority). It must be between -10 and 10.", param: "priority")
        }
        var requests: [(String, ImageRequest)] = []
        for (index, item) in list.enumerated() {
            guard case .string(let text) = item, let aspect = AspectRatio.parse(text) else {
                throw EaselError.invalidRequest("Invalid aspect at aspects[\(index)]: expected 'W:H' such as '16:9'.", param: "aspects[\(index)]")
            }
            guard !requests.contains(where: { $0.0 == aspect.description }) else {
                throw EaselError.invalidRequest("Aspect '\(text)' is listed twice.", param: "aspects[\(index)]")
            }
            var single = fields
            single["size"] = .string(caps.sizes.size(for: aspect, targetPixels: target).description)
            var parsed = try runtime.parser.parse(.object(single), seed: seed)
            parsed.stream = parsed.partialImages > 0
            requests.append((aspect.description, parsed))
        }
        let groupID = runtime.ids.make(prefix: "grp", millis: runtime.clock.nowMillis())
        var jobs: [JobRecord] = []
        for (aspect, parsed) in requests {
            var raw = fields
            raw["aspect"] = .string(aspect)
            raw["group"] = .string(groupID)
            jobs.append(try await runtime.jobService.enqueue(.init(
                payload: JobPayload(request: parsed), userID: user, rawRequest: .object(raw), priority: priority, groupID: groupID,
                identity: identity)).job)
        }
        var group = CompareController.representation(groupID, jobs).objectValue ?? [:]
        group["aspects"] = .array(requests.map { .object(["aspect": .string($0.0), "size": .string($0.1.resolvedSize.description)]) })
        return .json(.object(group), status: .accepted, headers: [.location: "/api/groups/\(groupID)"])
    }

    @Sendable func list(_ request: Request, context: EaselRequestContext) async throws -> JSONValue {
        let identity = try context.requireIdentity()
        let user = identity.userID
        let query = request.uri.queryParameters
        let limit = try Self.limit(query["limit"].map(String.init))
        var status: JobStatus?
        if let text = query["status"].map(String.init) {
            guard let parsed = JobStatus(rawValue: text) else {
                throw EaselError.invalidRequest(
                    "Invalid status '\(text)'. Use one of: \(JobStatus.allCases.map(\.rawValue).joined(separator: ", ")).",
                    param: "status")
            }
            status = parsed
        }
        let before = try Self.cursor(query["before"].map(String.init), prefix: "job")
        let page = try await runtime.jobService.list(userID: user, status: status, before: before, limit: limit)
        return Representations.page(page.items.map { Representations.job($0) }, hasMore: page.hasMore, lastID: page.items.last?.id)
    }

    @Sendable func show(_ request: Request, context: EaselRequestContext) async throws -> JSONValue {
        let identity = try context.requireIdentity()
        let user = identity.userID
        let job = try await runtime.jobService.job(id: try Self.id(context), userID: user)
        let position = try await runtime.jobService.queuePosition(of: job)
        let attempts = try await runtime.jobService.attempts(of: job)
        return Representations.job(job, position: position, attempts: attempts)
    }

    @Sendable func cancel(_ request: Request, context: EaselRequestContext) async throws -> JSONValue {
        let identity = try context.requireIdentity()
        let user = identity.userID
        let id = try Self.id(context)
        let before = try await runtime.jobService.job(id: id, userID: user)
        if before.status.isTerminal {
            throw EaselError.conflict("Job \(id) already \(before.status.rawValue); there is nothing to cancel.", code: "job_finished")
        }
        return Representations.job(try await runtime.jobService.cancel(id: id, userID: user))
    }

    /// SSE: the current state first (so a late client is never left guessing), then `queued`, `running`,
    /// `partial`, `retrying`, and one of `succeeded` / `failed` / `cancelled`, after which the stream ends.
    @Sendable func events(_ request: Request, context: EaselRequestContext) async throws -> Response {
        let identity = try context.requireIdentity()
        let user = identity.userID
        let id = try Self.id(context)
        _ = try await runtime.jobService.job(id: id, userID: user)
        let watch = runtime.jobService.watch(jobID: id)
        let runtime = self.runtime
        return ServerSentEvents.response(headers: [.xEaselJobID: id]) { send in
            for await event in watch.events(store: runtime.jobStore, pollIntervalMs: runtime.config.pollIntervalMs) {
                switch event {
                case .partial(_, let partial):
                    send(Base64JSON.event("partial", [
                        "job_id": .string(id), "image_index": .int(partial.imageIndex),
                        "partial_index": .int(partial.partialIndex), "mime_type": .string(partial.format.mimeType),
                    ], base64Key: "b64_json", data: partial.data))
                default:
                    guard let job = event.job else { continue }
                    let name: String
                    switch event {
                    case .state: name = "state"
                    case .queued: name = "queued"
                    case .running: name = "running"
                    case .retrying: name = "retrying"
                    case .succeeded: name = "succeeded"
                    case .failed: name = "failed"
                    case .cancelled: name = "cancelled"
                    case .partial: continue
                    }
                    let position = job.status.isReady ? try? await runtime.jobService.queuePosition(of: job) : nil
                    send(ServerSentEvents.frame(event: name, data: Representations.job(job, position: position ?? nil)))
                    // A terminal state seen by polling is announced under its own name too.
                    if case .state = event, job.status.isTerminal {
                        send(ServerSentEvents.frame(event: job.status.rawValue, data: Representations.job(job)))
                    }
                }
            }
        }
    }

    static func id(_ context: EaselRequestContext) throws -> String {
        let id = try context.parameters.require("id")
        guard EaselID.isValid(id, prefix: "job") else {
            throw EaselError(status: 404, type: "invalid_request_error", code: "not_found", param: "id",
                             message: "No job with id '\(id)' exists (job ids look like job_01JD…).")
        }
        return id
    }

    static func limit(_ text: String?) throws -> Int {
        guard let text else { return 20 }
        guard let value = Int(text), (1...100).contains(value) else {
            throw EaselError.invalidRequest("Invalid 'limit': '\(text)'. It must be an integer from 1 to 100.", param: "limit")
        }
        return value
    }

    static func cursor(_ text: String?, prefix: String) throws -> String? {
        guard let text else { return nil }
        guard EaselID.isValid(text, prefix: prefix) else {
            throw EaselError.invalidRequest("Invalid 'before' cursor '\(text)': use the next_cursor of a previous page.", param: "before")
        }
        return text
    }
}
