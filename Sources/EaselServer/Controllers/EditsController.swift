import EaselCore
import EaselMultipart
import EaselStore
import Foundation
import Hummingbird

/// `POST /v1/images/edits`, as OpenAI defines it: multipart/form-data (`image` or `image[]`, `mask`, text
/// fields) or JSON (`images: [{image_url} | {file_id}]`, `mask`). Inputs are checked from their bytes,
/// stored as assets, and the edit runs as a job like any other.
struct EditsController {
    let runtime: EaselRuntime

    func addRoutes(to router: Router<EaselRequestContext>) {
        router.post("/v1/images/edits", use: edit)
    }

    @inline(never) @Sendable func edit(_ request: Request, context: EaselRequestContext) async throws -> Response {
        let identity = try context.requireIdentity()
        let user = identity.userID
        let inputs = try await readInputs(request, user: user)
        let edits = EditSubmissions(runtime: runtime)
        let prepared = try await edits.payload(inputs, identity: identity, seed: UInt64.random(in: 0...(1 << 53)))
        let payload = prepared.payload
        let submission = JobService.Submission(
            kind: .edit, payload: payload, userID: user, rawRequest: prepared.raw, idempotencyKey: request.headers[.idempotencyKey],
            identity: identity)
        return try await submit(submission, prepared: prepared, request: request, identity: identity)
    }

    /// Runs `body` (which queues the job); if it is refused (quota, budget…) or answered by an earlier job
    /// (a replayed idempotency key), the files this request uploaded are removed again.
    func keepingUploadsOnlyIfQueued<T>(_ prepared: EditSubmissions.Prepared, _ body: () async throws -> (PushOutcome, T)) async throws -> (PushOutcome, T) {
        let edits = EditSubmissions(runtime: runtime)
        do {
            let result = try await body()
            if case .existing = result.0 { await edits.discard(prepared) }
            return result
        } catch {
            await edits.discard(prepared)
            throw error
        }
    }

    @inline(never) func submit(_ submission: JobService.Submission, prepared: EditSubmissions.Prepared, request: Request,
                               identity: Identity) async throws -> Response {
        let payload = prepared.payload
        let door = ImagesController(runtime: runtime)
        var headers: HTTPFields = [:]
        if runtime.router.capabilities(for: payload.request.model)?.isDraft == true { headers[.xEaselDraft] = "true" }
        if payload.request.stream {
            let (outcome, watch) = try await keepingUploadsOnlyIfQueued(prepared) { try await runtime.jobService.submit(submission) }
            headers[.xEaselJobID] = outcome.job.id
            headers.append(contentsOf: try await door.rateHeaders(identity))
            return door.stream(watch, request: outcome.job.payload.request, headers: headers, kind: "image_edit")
        }
        let timeout = runtime.config.syncTimeoutSeconds
        let (outcome, result) = try await keepingUploadsOnlyIfQueued(prepared) {
            try await runtime.jobService.submitAndWait(submission, timeoutSeconds: timeout)
        }
        headers[.xEaselJobID] = outcome.job.id
        headers.append(contentsOf: try await door.rateHeaders(identity))
        guard let (finished, outputs) = result else {
            throw EaselError(status: 504, type: "server_error", code: "timeout", param: nil,
                             message: "The edit is not ready after \(runtime.config.syncTimeoutSeconds) s. It is still job \(outcome.job.id): "
                                + "follow it at /api/jobs/\(outcome.job.id).")
        }
        return try await door.respond(finished, outputs: outputs, request: request, headers: headers)
    }

    func readInputs(_ request: Request, user: String) async throws -> EditInputs {
        let contentType = request.headers[.contentType] ?? ""
        let rules = EditSubmissions(runtime: runtime).rules
        if contentType.lowercased().hasPrefix("multipart/") {
            guard let boundary = MultipartReader.boundary(contentType: contentType) else {
                throw EaselError.invalidRequest("The multipart/form-data Content-Type needs a boundary.", param: nil, code: "invalid_multipart")
            }
            let limits = MultipartLimits(maxFileBytes: rules.maxFileBytes, maxFieldBytes: 256 * 1024, maxParts: 64,
                                         maxTotalBytes: runtime.config.maxEditBodyBytes)
            let parts: [MultipartPart]
            do {
                parts = try await MultipartReader.read(request.body, boundary: boundary, limits: limits)
            } catch let error as MultipartError {
                throw Self.envelope(error, rules: rules)
            }
            return try EditInputs.multipart(parts, rules: rules)
        }
        guard contentType.lowercased().hasPrefix("application/json") else {
            throw EaselError.invalidRequest(
                "Send the edit as multipart/form-data (image, mask, prompt…) or as application/json (images: [{image_url} | {file_id}]).",
                param: nil, code: "unsupported_content_type")
        }
        let body = try await request.jsonBody(limit: runtime.config.maxEditBodyBytes)
        guard case .object(var fields) = body else {
            throw EaselError.invalidRequest("The request body must be a JSON object.", param: nil, code: "invalid_json")
        }
        let edits = EditSubmissions(runtime: runtime)
        let host = request.head.authority, base = runtime.config.publicBaseURL
        let isLocal: (URLComponents) -> Bool = { EditSubmissions.isLocalURL($0, requestHost: host, publicBaseURL: base) }
        var inputs = EditInputs()
        inputs.imageParam = "images"
        guard case .array(let list)? = fields.removeValue(forKey: "images") else {
            if fields["image"] != nil {
                throw EaselError.invalidRequest("The JSON form takes 'images' (a list of {image_url} or {file_id}); 'image' is for multipart.",
                                                param: "image", code: "unknown_parameter")
            }
            throw EaselError.invalidRequest("'images' is required: a list of {\"image_url\": …} or {\"file_id\": …}.",
                                            param: "images", code: "missing_required_parameter")
        }
        if list.count > 16 {
            throw EaselError.invalidRequest("Too many images: \(list.count). At most 16 may be sent.", param: "images", code: "array_above_max_length")
        }
        for (index, value) in list.enumerated() {
            let param = "images[\(index)]"
            inputs.images.append(try await edits.item(try EditInputs.reference(value, param: param, isLocalURL: isLocal), param: param, userID: user))
        }
        if let mask = fields.removeValue(forKey: "mask"), mask != .null {
            inputs.mask = try await edits.item(try EditInputs.reference(mask, param: "mask", isLocalURL: isLocal), param: "mask", userID: user)
        }
        inputs.fields = fields
        return inputs
    }

    static func envelope(_ error: MultipartError, rules: EditInputRules) -> EaselError {
        switch error {
        case .fileTooLarge(let name, _):
            return .invalidRequest("The file in '\(name)' is larger than \(rules.maxFileBytes / (1024 * 1024)) MB; each image must be at most that.",
                                   param: name, code: "file_too_large")
        case .fieldTooLarge(let name, let limit):
            return .invalidRequest("The field '\(name)' is longer than \(limit) bytes.", param: name, code: "string_above_max_length")
        case .tooManyParts(let limit):
            return .invalidRequest("The form has more than \(limit) parts.", param: nil, code: "too_many_parts")
        case .bodyTooLarge(let limit):
            return EaselError(status: 413, type: "invalid_request_error", code: "request_too_large", param: nil,
                              message: "The request body is larger than \(limit / (1024 * 1024)) MB.")
        case .notMultipart, .malformed:
            return .invalidRequest("The multipart/form-data body could not be read: \(error).", param: nil, code: "invalid_multipart")
        }
    }
}
