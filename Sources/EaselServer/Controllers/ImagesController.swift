import EaselCore
import EaselProviders
import Foundation
import Hummingbird

/// The OpenAI-compatible door: `/v1/images/generations` and `/v1/models`. A request here is a job plus a
/// waiter; nothing is rendered inline, so the sync door, the async API and the studio share one queue.
struct ImagesController {
    let runtime: EaselRuntime

    func addRoutes(to router: Router<EaselRequestContext>) {
        router.post("/v1/images/generations", use: generate)
        router.post("/v1/images/variations") { _, _ -> Response in
            throw EaselError(status: 404, type: "invalid_request_error", code: "unsupported_endpoint", param: nil,
                             message: "/v1/images/variations is retired (as at OpenAI). Use /v1/images/edits with a GPT image model.")
        }
        router.get("/v1/models", use: models)
        router.get("/v1/models/{model}", use: model)
    }

    // Not inlined: a waiting request keeps its caller's async frame alive, so frames stay small.
    @inline(never) @Sendable func generate(_ request: Request, context: EaselRequestContext) async throws -> Response {
        let identity = try context.requireIdentity()
        let user = identity.userID
        let body = try await request.jsonBody(limit: runtime.config.maxJSONBodyBytes)
        let imageRequest = try runtime.parser.parse(body, seed: UInt64.random(in: 0...(1 << 53)))
        let submission = JobService.Submission(
            payload: JobPayload(request: imageRequest), userID: user, rawRequest: body,
            idempotencyKey: request.headers[.idempotencyKey], identity: identity)
        var headers: HTTPFields = [:]
        if runtime.router.capabilities(for: imageRequest.model)?.isDraft == true { headers[.xEaselDraft] = "true" }

        if imageRequest.stream {
            let (outcome, watch) = try await runtime.jobService.submit(submission)
            headers[.xEaselJobID] = outcome.job.id
            headers.append(contentsOf: try await rateHeaders(identity))
            return stream(watch, request: outcome.job.payload.request, headers: headers, kind: "image_generation")
        }
        let (outcome, result) = try await runtime.jobService.submitAndWait(submission, timeoutSeconds: runtime.config.syncTimeoutSeconds)
        let job = outcome.job
        headers[.xEaselJobID] = job.id
        headers.append(contentsOf: try await rateHeaders(identity))
        guard let (finished, outputs) = result else {
            throw EaselError(
                status: 504, type: "server_error", code: "timeout", param: nil,
                message: "The image is not ready after \(runtime.config.syncTimeoutSeconds) s. It is still job \(job.id): "
                    + "follow it at /api/jobs/\(job.id).")
        }
        return try await respond(finished, outputs: outputs, request: request, headers: headers)
    }

    /// Answers a finished job in the `ImagesResponse` shape, or its error in the error envelope.
    @inline(never) func respond(_ job: JobRecord, outputs inMemory: [JobOutput], request: Request, headers: HTTPFields) async throws -> Response {
        switch job.status {
        case .succeeded:
            let outputs = try await runtime.jobService.outputs(of: job, inMemory: inMemory)
            let params = job.payload.request
            let base = baseURL(for: request)
            let size = outputs.first.map { "\($0.asset.width)x\($0.asset.height)" } ?? params.resolvedSize.description
            var body: [String: JSONValue] = [
                "created": .int((job.finishedAt ?? job.createdAt).unixSeconds),
                "background": .string(params.resolvedBackground),
                "output_format": .string(params.outputFormat),
                "quality": .string(params.resolvedQuality),
                "size": .string(size),
                "usage": (job.result?.usage ?? .zero).json,
            ]
            if let user = params.user { body["safety_identifier"] = .string(user) }
            let urls = params.responseFormat == "url" ? outputs.map { "\(base)/files/\($0.asset.id)" } : nil
            var fields = headers
            fields[.xEaselCostUSD] = Money.usd(runtime.accounts.cost(of: job))
            fields[.contentType] = "application/json"
            return Response(status: .ok, headers: fields, body: .init(byteBuffer: Base64JSON.imagesResponse(
                body, images: outputs.map { $0.data ?? Data() }, urls: urls)))
        case .failed:
            let error = job.lastError?.easelError ?? .server("The job failed without an error record.")
            throw EaselHTTPError(error: error, headers: headers)
        case .cancelled:
            throw EaselHTTPError(
                error: .conflict("Job \(job.id) was cancelled before it finished.", code: "job_cancelled"), headers: headers)
        default:
            throw EaselError.server("job \(job.id) is still \(job.status.rawValue)")
        }
    }

    /// The SSE form of the door: partial images as they come, then one `completed` event per image.
    @inline(never) func stream(_ watch: JobWatch, request params: ImageRequest, headers: HTTPFields, kind: String) -> Response {
        let runtime = self.runtime
        return ServerSentEvents.response(headers: headers) { send in
            func common(_ type: String) -> [String: JSONValue] {
                [
                    "type": .string("\(kind).\(type)"),
                    "created_at": .int(Int64(Date().timeIntervalSince1970)),
                    "size": .string(params.size.description),
                    "quality": .string(params.quality),
                    "background": .string(params.background),
                    "output_format": .string(params.outputFormat),
                ]
            }
            func sendError(_ error: EaselError) {
                send(ServerSentEvents.frame(event: "error", data: .object(["type": "error", "error": error.errorObject])))
            }
            let deadline = ContinuousClock.now + .seconds(runtime.config.syncTimeoutSeconds)
            for await event in watch.events(store: runtime.jobStore, pollIntervalMs: runtime.config.pollIntervalMs, deadline: deadline) {
                switch event {
                case .partial(_, let partial):
                    var object = common("partial_image")
                    object["partial_image_index"] = .int(partial.imageIndex * params.partialImages + partial.partialIndex)
                    send(Base64JSON.event("\(kind).partial_image", object, base64Key: "b64_json", data: partial.data))
                default:
                    guard let job = event.job, job.status.isTerminal else { continue }
                    if job.status == .succeeded {
                        let outputs: [JobOutput]
                        do {
                            outputs = try await runtime.jobService.outputs(of: job, inMemory: event.outputs)
                        } catch {
                            sendError(.server("Could not read the finished images of job \(job.id)."))
                            return
                        }
                        let usage = job.result?.usage ?? .zero
                        for (index, output) in outputs.enumerated() {
                            var object = common("completed")
                            object["usage"] = usage.share(index, of: outputs.count).json
                            if let user = params.user { object["safety_identifier"] = .string(user) }
                            send(Base64JSON.event("\(kind).completed", object, base64Key: "b64_json", data: output.data ?? Data()))
                        }
                    } else if job.status == .cancelled {
                        sendError(.conflict("Job \(job.id) was cancelled.", code: "job_cancelled"))
                    } else {
                        sendError(job.lastError?.easelError ?? .server("Job \(job.id) failed."))
                    }
                    return
                }
            }
            sendError(EaselError(status: 504, type: "server_error", code: "timeout", param: nil,
                                 message: "The image is not ready yet; follow job \(watch.jobID) at /api/jobs/\(watch.jobID)."))
        }
    }

    @Sendable func models(_ request: Request, context: EaselRequestContext) async throws -> JSONValue {
        _ = try context.requireIdentity()
        return .object(["object": "list", "data": .array(runtime.router.models.map(Self.model))])
    }

    @Sendable func model(_ request: Request, context: EaselRequestContext) async throws -> JSONValue {
        _ = try context.requireIdentity()
        let id = try context.parameters.require("model")
        guard let caps = runtime.router.capabilities(for: id) else {
            throw EaselError(status: 404, type: "invalid_request_error", code: "model_not_found", param: "model",
                             message: "The model '\(id)' does not exist or is not routed by this Easel server.")
        }
        return Self.model(caps)
    }

    static func model(_ caps: ModelCapabilities) -> JSONValue {
        .object([
            "id": .string(caps.id),
            "object": "model",
            "created": 1_767_225_600,
            "owned_by": .string(caps.ownedBy),
            "draft": .bool(caps.isDraft),
            "capabilities": .object([
                "sizes": sizes(caps.sizes),
                "qualities": .array(caps.qualities.map(JSONValue.string)),
                "output_formats": .array(caps.outputFormats.map(JSONValue.string)),
                "transparent_background": .bool(caps.supportsTransparentBackground),
                "max_n": .int(caps.maxImages),
                "streaming": .bool(caps.supportsStreaming),
                "edits": .bool(caps.supportsEdits),
                "mask": .bool(caps.supportsMask),
            ]),
        ])
    }

    static func sizes(_ rule: SizeRule) -> JSONValue {
        switch rule {
        case .fixed(let sizes):
            return .object(["kind": "fixed", "values": .array(sizes.map { .string($0.description) })])
        case .flexible(let flexible):
            var object: [String: JSONValue] = [
                "kind": "flexible", "multiple_of": .int(flexible.multiple), "min_edge": .int(flexible.minEdge),
                "max_edge": .int(flexible.maxEdge),
            ]
            if let ratio = flexible.maxAspectRatio { object["max_aspect_ratio"] = .number(ratio) }
            if let minPixels = flexible.minPixels { object["min_pixels"] = .int(minPixels) }
            if let maxPixels = flexible.maxPixels { object["max_pixels"] = .int(maxPixels) }
            return .object(object)
        }
    }

    /// What the caller has left today (for plans with a daily limit).
    func rateHeaders(_ identity: Identity) async throws -> HTTPFields {
        guard identity.plan.imagesPerDay != nil else { return [:] }
        let used = try await runtime.accountStore.imagesUsed(userID: identity.userID, day: UTCDay.string(millis: runtime.clock.nowMillis()))
        return runtime.accounts.rateHeaders(identity: identity, imagesToday: used)
    }

    func baseURL(for request: Request) -> String {
        if let base = runtime.config.publicBaseURL { return base.hasSuffix("/") ? String(base.dropLast()) : base }
        let host = request.head.authority ?? "\(runtime.config.host):\(runtime.config.port)"
        return "http://\(host)"
    }
}

extension JobEvent {
    /// Output bytes carried by a live success event.
    public var outputs: [JobOutput] {
        if case .succeeded(_, let outputs) = self { return outputs }
        return []
    }
}
