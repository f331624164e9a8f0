import EaselCore
import EaselMultipart
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore

/// A stand-in for OpenAI's Images API that follows openai-images-api.md: it checks the key and the exact
/// wire format (unknown or null fields, repeated `image`, octet-stream uploads, masks), answers with real
/// images, usage and SSE partials, and plays faults on demand (`POST /_fake/faults`).
public struct FakeOpenAIServer: Sendable {
    public let state: FakeOpenAIState
    let images = FakeImages()

    static let models: [String: ModelCapabilities] = [
        "gpt-image-2": .gptImage2, "gpt-image-2-2026-04-21": .gptImage2, "gpt-image-1.5": .gptImage15,
        "gpt-image-1-mini": .gptImage1Mini, "chatgpt-image-latest": .chatGPTImageLatest,
        // Not an OpenAI model: any size with edges a multiple of 16, so benchmarks can ask for tiny images.
        "fake-any": ModelCapabilities(id: "fake-any", sizes: .flexible(FlexibleSizeRule(multiple: 16, minEdge: 16, maxEdge: 3840)), ownedBy: "fake"),
    ]
    static let generationFields: Set<String> = [
        "model", "prompt", "n", "size", "quality", "background", "output_format", "output_compression", "moderation",
        "stream", "partial_images", "user", "safety_identifier",
    ]
    static let editFields: Set<String> = [
        "model", "prompt", "n", "size", "quality", "background", "output_format", "output_compression", "input_fidelity",
        "stream", "partial_images", "user", "safety_identifier",
    ]

    public init(state: FakeOpenAIState) {
        self.state = state
    }

    public func router() -> Router<BasicRequestContext> {
        let router = Router(context: BasicRequestContext.self)
        router.post("/v1/images/generations") { request, context in try await generations(request, context) }
        router.post("/v1/images/edits") { request, context in try await edits(request, context) }
        router.post("/v1/responses") { request, context in try await responses(request, context) }
        FakeBatchAPI(server: self).addRoutes(to: router)
        router.get("/v1/models") { _, _ in
            Self.json(
                .object([
                    "object": "list",
                    "data": .array(
                        Self.models.keys.sorted().map {
                            .object(["id": .string($0), "object": "model", "created": 1_776_729_600, "owned_by": "openai"])
                        }
                    ),
                ])
            )
        }
        router.post("/_fake/faults") { request, _ in
            let body = try JSONParser.parse(try await request.body.collect(upTo: 1 << 20).readableBytesView)
            guard case .array(let items)? = body["faults"] else { return Self.json(["ok": false], status: .badRequest) }
            let faults = items.compactMap(FakeFault.init(json:))
            state.inject(faults)
            return Self.json(["ok": true, "queued": .int(faults.count)])
        }
        router.delete("/_fake/faults") { _, _ in
            state.clearFaults()
            return Self.json(["ok": true])
        }
        // Chaos: {"rate": 0.3, "seed": 7, "hang_ms": 2500} fails that share of image requests at random.
        router.post("/_fake/chaos") { request, _ in
            let body = try JSONParser.parse(try await request.body.collect(upTo: 1 << 16).readableBytesView)
            guard case .number(let rate)? = body["rate"], (0...1).contains(rate) else { return Self.json(["ok": false], status: .badRequest) }
            state.setChaos(rate: rate, seed: UInt64(body["seed"]?.intValue ?? 1), hangMs: body["hang_ms"]?.intValue ?? 5000)
            return Self.json(["ok": true])
        }
        router.get("/_fake/chaos") { _, _ in
            Self.json(.object(["played": .object(state.playedFaults.mapValues { .int($0) }), "served": .int(state.requestCount)]))
        }
        router.post("/_fake/latency") { request, _ in
            let body = try JSONParser.parse(try await request.body.collect(upTo: 1 << 16).readableBytesView)
            guard case .number(let ms)? = body["ms"], ms >= 0 else { return Self.json(["ok": false], status: .badRequest) }
            state.latencyMs = Int(ms)
            return Self.json(["ok": true])
        }
        router.get("/_fake/requests") { _, _ in
            Self.json(.array(state.requests.map(Self.describe)))
        }
        return router
    }

    // MARK: generations

    /// What the fake keeps of a request, for tests to check the wire format.
    static func recorded(
        _ request: Request,
        path: String,
        json: JSONValue?,
        fields: [(String, String)],
        files: [RecordedRequest.File]
    ) -> RecordedRequest {
        RecordedRequest(
            path: path,
            contentType: request.headers[.contentType],
            accept: request.headers[.accept],
            hadAuthorization: request.headers[.authorization] != nil,
            headers: headerMap(request),
            json: json,
            fields: fields,
            files: files
        )
    }

    func generations(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let raw = try await request.body.collect(upTo: 4 << 20)
        let json = try? JSONParser.parse(raw.readableBytesView)
        let served = state.record(
            Self.recorded(request, path: "/v1/images/generations", json: json, fields: [], files: [])
        )
        let requestID = "req_fake_\(served)"
        if let refusal = try await preamble(request, requestID: requestID, chaos: true) { return refusal }
        guard request.headers[.contentType]?.hasPrefix("application/json") == true, case .object(let fields)? = json else {
            return Self.error(400, "invalid_request_error", "invalid_json", nil, "We could not parse the JSON body of your request.", requestID)
        }
        if let failure = Self.checkGenerationFields(fields) { return failure.response(requestID) }
        return try await answer(fields: fields, inputSizes: [], kind: "image_generation", requestID: requestID)
    }

    /// Unknown and null fields of a generation body (a request's, or a batch line's).
    static func checkGenerationFields(_ fields: [String: JSONValue]) -> FakeFailure? {
        for (key, value) in fields {
            if !generationFields.contains(key) {
                return FakeFailure(400, "invalid_request_error", "unknown_parameter", key, "Unknown parameter: '\(key)'.")
            }
            if value == .null {
                return FakeFailure(
                    400,
                    "invalid_request_error",
                    "invalid_type",
                    key,
                    "Invalid type for '\(key)': expected a value, but got null instead."
                )
            }
        }
        return nil
    }

    // MARK: edits

    func edits(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        guard let boundary = MultipartReader.boundary(contentType: request.headers[.contentType]) else {
            _ = state.record(
                Self.recorded(request, path: "/v1/images/edits", json: nil, fields: [], files: [])
            )
            return Self.error(
                400,
                "invalid_request_error",
                "invalid_content_type",
                nil,
                "Edits take multipart/form-data (or JSON with 'images').",
                "req_fake_x"
            )
        }
        let parts = try await MultipartReader.read(request.body, boundary: boundary, limits: MultipartLimits())
        let files = parts.filter(\.isFile).map {
            RecordedRequest.File(
                field: $0.name,
                filename: $0.filename,
                contentType: $0.contentType,
                bytes: $0.data.count,
                sniffed: ImageFormat.sniff($0.data.prefix(12))
            )
        }
        let texts = parts.filter { !$0.isFile }.map { ($0.name, $0.text) }
        let served = state.record(
            Self.recorded(request, path: "/v1/images/edits", json: nil, fields: texts, files: files)
        )
        let requestID = "req_fake_\(served)"
        if let refusal = try await preamble(request, requestID: requestID, chaos: true) { return refusal }

        var fields: [String: JSONValue] = [:]
        for (name, value) in texts {
            if name == "image" || name == "image[]" || name == "mask" {
                return Self.error(
                    400,
                    "invalid_request_error",
                    "invalid_type",
                    name,
                    "Invalid type for '\(name)': expected a file, but got a string instead.",
                    requestID
                )
            }
            guard Self.editFields.contains(name) else {
                return Self.error(400, "invalid_request_error", "unknown_parameter", name, "Unknown parameter: '\(name)'.", requestID)
            }
            guard fields[name] == nil else {
                return Self.error(
                    400,
                    "invalid_request_error",
                    "duplicate_parameter",
                    name,
                    "Duplicate parameter: '\(name)'. You provided multiple values for this parameter.",
                    requestID
                )
            }
            fields[name] = .string(value)
        }
        let scalarImages = parts.filter { $0.isFile && $0.name == "image" }
        let listImages = parts.filter { $0.isFile && $0.name == "image[]" }
        if scalarImages.count > 1 {
            return Self.error(
                400,
                "invalid_request_error",
                "duplicate_parameter",
                "image",
                "Duplicate parameter: 'image'. You provided multiple values for this parameter; send several images as 'image[]'.",
                requestID
            )
        }
        if !scalarImages.isEmpty && !listImages.isEmpty {
            return Self.error(400, "invalid_request_error", "invalid_value", "image", "Send either 'image' or 'image[]', not both.", requestID)
        }
        let images = scalarImages + listImages
        guard !images.isEmpty else {
            return Self.error(400, "invalid_request_error", "missing_required_parameter", "image", "Missing required parameter: 'image'.", requestID)
        }
        guard images.count <= 16 else {
            return Self.error(400, "invalid_request_error", "array_above_max_length", "image", "At most 16 images may be edited at once.", requestID)
        }
        for part in parts where part.isFile && !["image", "image[]", "mask"].contains(part.name) {
            return Self.error(400, "invalid_request_error", "unknown_parameter", part.name, "Unknown parameter: '\(part.name)'.", requestID)
        }
        var sizes: [PixelSize] = []
        for (index, part) in images.enumerated() {
            let param = listImages.isEmpty ? "image" : "image[\(index)]"
            let declared = part.contentType ?? "application/octet-stream"
            guard ["image/png", "image/jpeg", "image/webp"].contains(declared) else {
                return Self.error(
                    400,
                    "invalid_request_error",
                    "unsupported_file_mimetype",
                    param,
                    "Invalid file '\(param)': unsupported mimetype ('\(declared)'). Supported file formats are 'image/jpeg', 'image/png', and 'image/webp'.",
                    requestID
                )
            }
            guard let header = ImageHeader.read(part.data), header.format.mimeType == declared else {
                return Self.error(
                    400,
                    "invalid_request_error",
                    "invalid_image_file",
                    param,
                    "Invalid image file or mode for image \(index + 1), please check your image file.",
                    requestID
                )
            }
            sizes.append(PixelSize(width: header.width, height: header.height))
        }
        if let mask = parts.first(where: { $0.isFile && $0.name == "mask" }) {
            guard let header = ImageHeader.read(mask.data), header.format == .png, header.hasAlpha else {
                return Self.error(
                    400,
                    "invalid_request_error",
                    "invalid_image_file",
                    "mask",
                    "Invalid mask image: it must be a PNG with an alpha channel.",
                    requestID
                )
            }
            guard PixelSize(width: header.width, height: header.height) == sizes[0] else {
                return Self.error(
                    400,
                    "invalid_request_error",
                    "invalid_image_file",
                    "mask",
                    "The mask must be the same size as the first image (\(sizes[0])).",
                    requestID
                )
            }
        }
        let model = fields["model"]?.stringValue ?? "gpt-image-1.5"
        if let fidelity = fields["input_fidelity"]?.stringValue {
            guard model != "gpt-image-2" && !model.hasPrefix("gpt-image-2-") else {
                return Self.error(
                    400,
                    "invalid_request_error",
                    "unsupported_parameter",
                    "input_fidelity",
                    "input_fidelity is not supported for \(model): it always uses high fidelity.",
                    requestID
                )
            }
            guard fidelity == "low" || (fidelity == "high" && model != "gpt-image-1-mini") else {
                return Self.error(
                    400,
                    "invalid_request_error",
                    "invalid_value",
                    "input_fidelity",
                    "Invalid value for input_fidelity: '\(fidelity)'.",
                    requestID
                )
            }
        }
        if fields["model"] == nil { fields["model"] = .string(model) }
        return try await answer(fields: fields, inputSizes: sizes, kind: "image_edit", requestID: requestID)
    }

    // MARK: shared

    /// Latency, key check and queued faults. Returns a response when the request ends here.
    func preamble(_ request: Request, requestID: String, chaos: Bool = false) async throws -> Response? {
        let latency = state.latencyMs
        if latency > 0 { try await Task.sleep(for: .milliseconds(latency)) }
        guard let header = request.headers[.authorization], header.hasPrefix("Bearer "), header.count > 7 else {
            return Self.error(
                401,
                "invalid_request_error",
                nil,
                nil,
                "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth.",
                requestID
            )
        }
        let key = String(header.dropFirst(7))
        if !state.keys.isEmpty && !state.keys.contains(key) {
            return Self.invalidKey(key, requestID)
        }
        guard let fault = state.nextFault(chaos: chaos) else { return nil }
        switch fault {
        case .rateLimit(let retryAfter, let retryAfterMs):
            var headers: HTTPFields = [:]
            if let retryAfter { headers[HTTPField.Name("retry-after")!] = retryAfter }
            if let retryAfterMs { headers[HTTPField.Name("retry-after-ms")!] = retryAfterMs }
            return Self.error(
                429,
                "requests",
                "rate_limit_exceeded",
                nil,
                "Rate limit reached for gpt-image in organization org-fake on images per minute: Limit 5, Used 5. Please try again later.",
                requestID,
                headers: headers
            )
        case .serverError(let status):
            return Self.error(status, "server_error", nil, nil, "The server had an error while processing your request. Sorry about that!", requestID)
        case .slow(let ms):
            try await Task.sleep(for: .milliseconds(ms))
            return nil
        case .truncatedStream:
            return Response(
                status: .ok,
                headers: [.contentType: "text/event-stream", HTTPField.Name("x-request-id")!: requestID],
                body: .init(
                    byteBuffer: ByteBuffer(
                        string: "event: image_generation.partial_image\ndata: {\"type\":\"image_generation.partial_image\",\"b64_json\":\"iVBOR"
                    )
                )
            )
        case .moderationBlocked:
            return Self.error(
                400,
                "image_generation_user_error",
                "moderation_blocked",
                nil,
                "Your request was rejected by the safety system. If you believe this is an error, contact us at help.openai.com and include the request ID \(requestID).",
                requestID,
                extra: ["moderation_details": .object(["moderation_stage": "input", "categories": .array(["violence"])])]
            )
        case .organizationVerification:
            return Self.error(
                403,
                "invalid_request_error",
                nil,
                nil,
                "Your organization must be verified to use the model `gpt-image-2`. Please go to: https://platform.openai.com/settings/organization/general and click on Verify Organization. If you just verified, it can take up to 15 minutes for access to propagate.",
                requestID
            )
        case .insufficientQuota:
            return Self.error(
                429,
                "insufficient_quota",
                "insufficient_quota",
                nil,
                "You exceeded your current quota, please check your plan and billing details.",
                requestID
            )
        case .billingHardLimit:
            return Self.error(400, "invalid_request_error", "billing_hard_limit_reached", nil, "Billing hard limit has been reached", requestID)
        case .modelNotFound:
            return Self.error(
                404,
                "invalid_request_error",
                "model_not_found",
                "model",
                "The model `gpt-image-9` does not exist or you do not have access to it.",
                requestID
            )
        case .invalidAPIKey:
            return Self.invalidKey(key, requestID)
        case .withShouldRetry(let status, let shouldRetry):
            return Self.error(
                status,
                status >= 500 ? "server_error" : "invalid_request_error",
                nil,
                nil,
                "Fault with x-should-retry.",
                requestID,
                headers: [HTTPField.Name("x-should-retry")!: shouldRetry ? "true" : "false"]
            )
        case .hang(let ms):
            try await Task.sleep(for: .milliseconds(ms))
            return nil
        case .connectionReset, .truncatedBody, .malformedJSON, .undecodableImage:
            return FakeBrokenAnswer.response(for: fault, requestID: requestID)
        }
    }

    /// A request's images, made: what `answer` sends, and what a batch line holds.
    struct Made {
        var request: ImageRequest
        var size: PixelSize
        var b64: String
        var usage: ImageUsage
    }

    /// Validates the common fields and makes the images.
    func make(fields: [String: JSONValue], inputSizes: [PixelSize]) throws(FakeFailure) -> Made {
        let model = fields["model"]?.stringValue ?? ""
        guard let caps = Self.models[model] else {
            throw FakeFailure(
                404,
                "invalid_request_error",
                "model_not_found",
                "model",
                "The model `\(model)` does not exist or you do not have access to it."
            )
        }
        var reader = FieldReader(fields: fields)
        let request: ImageRequest
        do {
            guard let prompt = try reader.string("prompt"), !prompt.isEmpty else {
                throw FakeFailure(400, "invalid_request_error", "missing_required_parameter", "prompt", "Missing required parameter: 'prompt'.")
            }
            try GenerationRequestParser.checkPrompt(prompt, caps: caps)
            request = try GenerationRequestParser.parseOutputOptions(&reader, caps: caps, prompt: prompt, defaultSeed: 0)
        } catch let failure as FakeFailure {
            throw failure
        } catch let error as EaselError {
            throw FakeFailure(error.status, error.type, error.code, error.param, error.message)
        } catch {
            throw FakeFailure(500, "server_error", nil, nil, "\(error)")
        }
        var size = request.resolvedSize
        if request.size == .auto, let first = inputSizes.first, caps.sizes.violation(for: first) == nil { size = first }
        let b64: String
        do {
            b64 = try images.base64(
                width: size.width,
                height: size.height,
                format: request.outputFormat,
                compression: request.outputCompression,
                transparent: request.background == .transparent,
                tint: UInt8(truncatingIfNeeded: stableHash(request.prompt))
            )
        } catch {
            throw FakeFailure(500, "server_error", nil, nil, "The server had an error while processing your request.")
        }
        let usage = FakeUsage.usage(
            model: model,
            prompt: request.prompt,
            quality: request.resolvedQuality,
            size: size,
            n: request.n,
            partials: request.stream ? request.partialImages : 0,
            inputImages: inputSizes
        )
        return Made(request: request, size: size, b64: b64, usage: usage)
    }

    /// The non-streamed `ImagesResponse` body.
    static func imagesBody(_ made: Made, created: Int64) -> JSONValue {
        let request = made.request
        return .object([
            "created": .int(created),
            "data": .array(Array(repeating: .object(["b64_json": .string(made.b64)]), count: request.n)),
            "background": .string(request.resolvedBackground.rawValue), "output_format": .string(request.outputFormat.rawValue),
            "quality": .string(request.resolvedQuality), "size": .string(made.size.description), "usage": made.usage.json,
        ])
    }

    /// Validates the common fields and answers with images (JSON or SSE).
    func answer(fields: [String: JSONValue], inputSizes: [PixelSize], kind: String, requestID: String) async throws -> Response {
        let made: Made
        do {
            made = try make(fields: fields, inputSizes: inputSizes)
        } catch {
            return error.response(requestID)
        }
        let (request, b64, usage) = (made.request, made.b64, made.usage)
        let created = Int64(Date().timeIntervalSince1970)
        if request.stream {
            var text = ""
            for image in 0..<request.n {
                for partial in 0..<request.partialImages {
                    let event: JSONValue = .object([
                        "type": .string("\(kind).partial_image"), "b64_json": .string(b64), "created_at": .int(created),
                        "size": .string(request.size.description), "quality": .string(request.quality),
                        "background": .string(request.background.rawValue), "output_format": .string(request.outputFormat.rawValue),
                        "partial_image_index": .int(partial),
                    ])
                    text += "event: \(kind).partial_image\ndata: \(event.serializedString)\n\n"
                }
                let completed: JSONValue = .object([
                    "type": .string("\(kind).completed"), "b64_json": .string(b64), "created_at": .int(created),
                    "size": .string(request.size.description), "quality": .string(request.quality),
                    "background": .string(request.background.rawValue), "output_format": .string(request.outputFormat.rawValue),
                    "usage": usage.share(image, of: request.n).json,
                ])
                text += "event: \(kind).completed\ndata: \(completed.serializedString)\n\n"
            }
            return Response(
                status: .ok,
                headers: [.contentType: "text/event-stream", HTTPField.Name("x-request-id")!: requestID],
                body: .init(byteBuffer: ByteBuffer(string: text))
            )
        }
        return Self.json(Self.imagesBody(made, created: created), headers: [HTTPField.Name("x-request-id")!: requestID])
    }

    static func invalidKey(_ key: String, _ requestID: String) -> Response {
        // As OpenAI does: echo the key masked, keeping its last four characters.
        let masked = key.count > 8 ? String(key.prefix(3)) + "*********" + String(key.suffix(4)) : "****"
        return error(
            401,
            "invalid_request_error",
            "invalid_api_key",
            nil,
            "Incorrect API key provided: \(masked). You can find your API key at https://platform.openai.com/account/api-keys.",
            requestID
        )
    }

    static func error(
        _ status: Int,
        _ type: String,
        _ code: String?,
        _ param: String?,
        _ message: String,
        _ requestID: String,
        headers: HTTPFields = [:],
        extra: [String: JSONValue] = [:]
    ) -> Response {
        var inner: [String: JSONValue] = [
            "message": .string(message), "type": .string(type), "param": param.map(JSONValue.string) ?? .null,
            "code": code.map(JSONValue.string) ?? .null,
        ]
        for (key, value) in extra { inner[key] = value }
        var fields = headers
        fields[HTTPField.Name("x-request-id")!] = requestID
        return json(.object(["error": .object(inner)]), status: .init(code: status), headers: fields)
    }

    static func json(_ value: JSONValue, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) -> Response {
        var fields = headers
        fields[.contentType] = "application/json"
        return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: value.serialized())))
    }

    static func headerMap(_ request: Request) -> [String: String] {
        var map: [String: String] = [:]
        for field in request.headers where field.name != .authorization {
            map[field.name.canonicalName] = field.value
        }
        return map
    }

    static func describe(_ request: RecordedRequest) -> JSONValue {
        .object([
            "path": .string(request.path), "content_type": .optional(request.contentType), "authorized": .bool(request.hadAuthorization),
            "json": request.json ?? .null,
            "fields": .array(request.fields.map { .array([.string($0.0), .string($0.1)]) }),
            "files": .array(
                request.files.map {
                    .object([
                        "field": .string($0.field), "filename": .optional($0.filename), "content_type": .optional($0.contentType),
                        "bytes": .int($0.bytes), "sniffed": .optional($0.sniffed?.rawValue),
                    ])
                }
            ),
        ])
    }
}

/// A fake server running on a port of this machine.
public final class RunningFakeOpenAI: Sendable {
    public let port: Int
    public let state: FakeOpenAIState
    private let task: Task<Void, any Error>

    init(port: Int, state: FakeOpenAIState, task: Task<Void, any Error>) {
        self.port = port
        self.state = state
        self.task = task
    }

    public var baseURL: String { "http://127.0.0.1:\(port)/v1" }

    public func stop() async {
        task.cancel()
        _ = try? await task.value
    }
}

extension FakeOpenAIServer {
    /// Starts the fake on `host:port` (0 picks a free port) and returns once it listens.
    public static func start(
        state: FakeOpenAIState = FakeOpenAIState(),
        host: String = "127.0.0.1",
        port: Int = 0,
        logger: Logger = Logger(label: "easel.fake-openai")
    ) async throws -> RunningFakeOpenAI {
        let server = FakeOpenAIServer(state: state)
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        var quiet = logger
        quiet.logLevel = .critical
        let app = Application(
            router: server.router(),
            configuration: .init(address: .hostname(host, port: port), serverName: "fake-openai"),
            onServerRunning: { channel in continuation.yield(channel.localAddress?.port ?? port) },
            logger: quiet
        )
        let task = Task { try await app.runService(gracefulShutdownSignals: []) }
        var iterator = ports.makeAsyncIterator()
        guard let bound = await iterator.next() else { throw CancellationError() }
        return RunningFakeOpenAI(port: bound, state: state, task: task)
    }
}

extension FakeFailure {
    func response(_ requestID: String) -> Response {
        FakeOpenAIServer.error(status, type, code, param, message, requestID)
    }
}
