import AsyncHTTPClient
import EaselCore
import Foundation
import NIOCore
import NIOFoundationCompat

/// A Responses API turn sent whole to the provider's `/v1/responses` (routes with `responses: forward`):
/// the turn's prompt and images as one user message, the `image_generation` tool with the route's upstream
/// model and the request's settings, forced with `tool_choice`. Nothing is stored upstream (`store: false`):
/// Easel keeps the conversation, so its chain does not depend on the provider's.
extension OpenAIProvider {
    func respond(_ job: ProviderJob, model: String, mapper: OpenAIErrorMapper) async throws -> ProviderResult {
        var request = HTTPClientRequest(url: endpoint.baseURL + "/responses")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(bytes: Self.responsesBody(job, model: model).serialized()))
        let response = try await send(request, deadline: .now() + endpoint.readTimeout + endpoint.connectTimeout, mapper: mapper)
        let requestID = response.headers.first(name: "x-request-id")
        guard (200..<300).contains(response.status.code) else {
            let body = (try? await response.body.collect(upTo: 1024 * 1024)).map { Data(buffer: $0) } ?? Data()
            throw mapper.map(
                status: Int(response.status.code),
                headers: response.headers.map { ($0.name, $0.value) },
                body: body,
                requestID: requestID
            )
        }
        let body: ByteBuffer
        do {
            body = try await response.body.collect(upTo: endpoint.maxResponseBytes)
        } catch {
            throw mapper.transport("reading the response failed: \(Self.describe(error))")
        }
        guard let json = try? JSONParser.parse(Data(buffer: body)), json["object"]?.stringValue == "response" else {
            throw mapper.transport("the provider's answer is not a Responses API response")
        }
        if json["status"]?.stringValue == "failed" { throw failure(json["error"], requestID: requestID) }
        let call = json["output"]?.arrayValue?.first { $0["type"]?.stringValue == "image_generation_call" }
        guard let call, let result = call["result"]?.stringValue, let data = Data(base64Encoded: result, options: .ignoreUnknownCharacters) else {
            throw mapper.transport("the provider's response has no image (status \(json["status"]?.stringValue ?? "?"))")
        }
        var output = ProviderResult(
            images: [try Self.image(data, mapper: mapper)],
            usage: json["tool_usage"]?["image_gen"].map(ImageUsage.init(json:)),
            provider: name,
            isDraft: false,
            upstreamRequestID: requestID
        )
        output.revisedPrompt = call["revised_prompt"]?.stringValue
        return output
    }

    static func responsesBody(_ job: ProviderJob, model: String) -> JSONValue {
        let request = job.request
        func dataURL(_ image: ProviderInputImage) -> JSONValue {
            .string("data:\(image.format.mimeType);base64,\(image.data.base64EncodedString())")
        }
        var content: [JSONValue] = [["type": "input_text", "text": .string(request.prompt)]]
        for input in job.inputs { content.append(["type": "input_image", "image_url": dataURL(input)]) }
        var tool: [String: JSONValue] = [
            "type": "image_generation", "model": .string(job.upstreamModel), "action": job.inputs.isEmpty ? "generate" : "edit",
            "size": .string(request.resolvedSize.description), "quality": .string(request.quality),
            "background": .string(request.background.rawValue), "output_format": .string(request.outputFormat.rawValue),
            "moderation": .string(request.moderation),
        ]
        if let compression = request.outputCompression { tool["output_compression"] = .int(compression) }
        if let fidelity = request.inputFidelity { tool["input_fidelity"] = .string(fidelity) }
        if let mask = job.mask { tool["input_image_mask"] = ["image_url": dataURL(mask)] }
        var body: [String: JSONValue] = [
            "model": .string(model), "input": [["role": "user", "content": .array(content)]], "tools": [.object(tool)],
            "tool_choice": ["type": "image_generation"], "store": false,
        ]
        if let user = request.user { body["safety_identifier"] = .string(user) }
        return .object(body)
    }

    /// A `status: "failed"` response: blocked content is a moderation block, a server error may pass with
    /// another attempt, anything else is the request's fault.
    private func failure(_ error: JSONValue?, requestID: String?) -> ProviderError {
        let code = error?["code"]?.stringValue ?? "server_error"
        let message = error?["message"]?.stringValue ?? "The provider could not make the image."
        let jobError: JobError
        switch code {
        case "image_content_policy_violation":
            jobError = JobError(status: 400, type: "invalid_request_error", code: "moderation_blocked", message: message, retryable: false)
        case "server_error":
            jobError = JobError(status: 502, type: "server_error", code: "upstream_error", message: message, retryable: true)
        case "rate_limit_exceeded":
            jobError = JobError(status: 429, type: "requests", code: "provider_rate_limited", message: message, retryable: true)
        default:
            jobError = JobError(status: 400, type: "invalid_request_error", code: code, message: message, retryable: false)
        }
        var withSource = jobError
        withSource.provider = name
        withSource.upstreamRequestID = requestID
        return ProviderError(withSource)
    }
}
