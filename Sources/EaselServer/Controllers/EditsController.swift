import EaselCore
import EaselMultipart
import Foundation
import Hummingbird

/// `POST /v1/images/edits`, as OpenAI defines it: multipart/form-data (`image` or `image[]`, `mask`, text
/// fields) or JSON (`images: [{image_url} | {file_id}]`, `mask`). Inputs are checked from their bytes,
/// stored as assets, and the edit runs as a job like any other.
struct EditsController {
    let edits: EditService
    let catalog: ModelCatalog
    let door: ImageDoor
    /// Bound on a whole edit body (multipart or JSON with data URLs).
    let maxBodyBytes: Int
    let publicBaseURL: String?

    func addRoutes(to router: some RouterMethods<AuthenticatedContext>) {
        router.post("/v1/images/edits", use: edit)
    }

    @inline(never) @Sendable func edit(_ request: Request, context: AuthenticatedContext) async throws -> Response {
        let identity = context.identity
        let inputs = try await readInputs(request, userID: identity.userID)
        let prepared = try await edits.prepare(inputs, identity: identity, seed: UInt64.random(in: 0...(1 << 53)))
        let key = request.headers[.idempotencyKey]
        return try await door.answer(prepared.request, isDraft: catalog.isDraft(prepared.request.model), kind: .edit, request: request) {
            delivery in
            try await edits.submit(prepared, identity: identity, idempotencyKey: key, delivery: delivery)
        }
    }

    func readInputs(_ request: Request, userID: String) async throws -> EditInputs {
        let contentType = request.headers[.contentType] ?? ""
        let rules = edits.rules
        if contentType.lowercased().hasPrefix("multipart/") {
            guard let boundary = MultipartReader.boundary(contentType: contentType) else {
                throw EaselError.invalidRequest("The multipart/form-data Content-Type needs a boundary.", param: nil, code: "invalid_multipart")
            }
            let limits = MultipartLimits(maxFileBytes: rules.maxFileBytes, maxFieldBytes: 256 * 1024, maxParts: 64, maxTotalBytes: maxBodyBytes)
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
                param: nil,
                code: "unsupported_content_type"
            )
        }
        let host = request.head.authority
        let base = publicBaseURL
        return try await edits.inputs(json: try await request.jsonObject(limit: maxBodyBytes), userID: userID) {
            EditInputs.isLocalURL($0, requestHost: host, publicBaseURL: base)
        }
    }

    static func envelope(_ error: MultipartError, rules: EditInputRules) -> EaselError {
        switch error {
        case .fileTooLarge(let name, _):
            return .invalidRequest(
                "The file in '\(name)' is larger than \(rules.maxFileBytes / (1024 * 1024)) MB; each image must be at most that.",
                param: name,
                code: "file_too_large"
            )
        case .fieldTooLarge(let name, let limit):
            return .invalidRequest("The field '\(name)' is longer than \(limit) bytes.", param: name, code: "string_above_max_length")
        case .tooManyParts(let limit):
            return .invalidRequest("The form has more than \(limit) parts.", param: nil, code: "too_many_parts")
        case .bodyTooLarge(let limit):
            return EaselError(
                status: 413,
                type: "invalid_request_error",
                code: "request_too_large",
                param: nil,
                message: "The request body is larger than \(limit / (1024 * 1024)) MB."
            )
        case .notMultipart, .malformed:
            return .invalidRequest("The multipart/form-data body could not be read: \(error).", param: nil, code: "invalid_multipart")
        }
    }
}
