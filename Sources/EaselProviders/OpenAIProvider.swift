import AsyncHTTPClient
import EaselCore
import EaselImaging
import Foundation
import Logging
import NIOCore
import NIOFoundationCompat
import NIOHTTP1

/// Where an OpenAI-style provider lives and how to talk to it.
public struct OpenAIEndpoint: Sendable {
    /// The provider's name in Easel's config (`openai`, `my-gateway`): shown on jobs and in errors.
    public var name: String
    /// Up to and including `/v1`, e.g. `https://api.openai.com/v1`.
    public var baseURL: String
    public var apiKey: Secret?
    public var organization: String?
    public var project: String?
    /// Extra headers sent on every request (gateways often want their own).
    public var headers: [(String, String)]
    public var connectTimeout: TimeAmount
    public var readTimeout: TimeAmount
    /// Largest response accepted (a 3840² PNG as base64 is ~40 MB).
    public var maxResponseBytes: Int

    public init(
        name: String,
        baseURL: String,
        apiKey: Secret?,
        organization: String? = nil,
        project: String? = nil,
        headers: [(String, String)] = [],
        connectTimeout: TimeAmount = .seconds(5),
        readTimeout: TimeAmount = .seconds(180),
        maxResponseBytes: Int = 96 * 1024 * 1024
    ) {
        self.name = name
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.apiKey = apiKey
        self.organization = organization
        self.project = project
        self.headers = headers
        self.connectTimeout = connectTimeout
        self.readTimeout = readTimeout
        self.maxResponseBytes = maxResponseBytes
    }
}

/// OpenAI's Images API (and any OpenAI-compatible endpoint) over AsyncHTTPClient: generations as JSON,
/// edits as multipart, streaming partial images over SSE.
public final class OpenAIProvider: ImageProvider {
    public let endpoint: OpenAIEndpoint
    private let client: HTTPClient
    private let logger: Logger

    public var name: String { endpoint.name }

    public init(endpoint: OpenAIEndpoint, client: HTTPClient, logger: Logger = Logger(label: "easel.provider.openai")) {
        self.endpoint = endpoint
        self.client = client
        var logger = logger
        logger[metadataKey: "provider"] = .string(endpoint.name)
        self.logger = logger
    }

    public func run(_ job: ProviderJob, onPartial: @escaping @Sendable (PartialImage) -> Void) async throws -> ProviderResult {
        let mapper = OpenAIErrorMapper(provider: name, route: job.request.model, upstreamModel: job.upstreamModel, key: endpoint.apiKey)
        if let model = job.responsesModel { return try await respond(job, model: model, mapper: mapper) }
        var request: HTTPClientRequest
        let kind: String
        switch job.kind {
        case .edit:
            guard !job.inputs.isEmpty else {
                throw ProviderError.editWithoutImage
            }
            let writer = OpenAIRequestShaper.editBody(job)
            request = HTTPClientRequest(url: endpoint.baseURL + "/images/edits")
            request.headers.add(name: "Content-Type", value: writer.contentType)
            request.body = .bytes(ByteBuffer(data: writer.body()))
            kind = "image_edit"
        case .generate, .upscale:
            request = HTTPClientRequest(url: endpoint.baseURL + "/images/generations")
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: OpenAIRequestShaper.generationBody(job).serialized()))
            kind = "image_generation"
        }
        request.method = .POST

        let response = try await send(request, deadline: .now() + endpoint.readTimeout + endpoint.connectTimeout, mapper: mapper)
        let requestID = response.headers.first(name: "x-request-id")
        let headers = response.headers.map { ($0.name, $0.value) }
        guard (200..<300).contains(response.status.code) else {
            let body = (try? await response.body.collect(upTo: 1024 * 1024)).map { Data(buffer: $0) } ?? Data()
            throw mapper.map(status: Int(response.status.code), headers: headers, body: body, requestID: requestID)
        }
        let contentType = response.headers.first(name: "content-type") ?? ""
        if job.request.stream && contentType.hasPrefix("text/event-stream") {
            return try await readStream(response, job: job, kind: kind, requestID: requestID, mapper: mapper, onPartial: onPartial)
        }
        let body: ByteBuffer
        do {
            body = try await response.body.collect(upTo: endpoint.maxResponseBytes)
        } catch {
            throw mapper.transport("reading the response failed: \(Self.describe(error))")
        }
        return try await readJSON(body, job: job, requestID: requestID, mapper: mapper)
    }

    /// The key, organization, project and configured headers every request to this provider carries.
    func sign(_ request: inout HTTPClientRequest) {
        request.headers.add(name: "Accept", value: "application/json")
        if let key = endpoint.apiKey, !key.isEmpty { request.headers.add(name: "Authorization", value: "Bearer \(key.reveal())") }
        if let organization = endpoint.organization { request.headers.add(name: "OpenAI-Organization", value: organization) }
        if let project = endpoint.project { request.headers.add(name: "OpenAI-Project", value: project) }
        for (name, value) in endpoint.headers { request.headers.add(name: name, value: value) }
        request.headers.add(name: "User-Agent", value: "Easel/1 (+OpenAI-compatible gateway)")
    }

    /// Sends a signed request; a failure to reach the provider becomes a retryable transport error.
    func send(_ request: HTTPClientRequest, deadline: NIODeadline, mapper: OpenAIErrorMapper) async throws -> HTTPClientResponse {
        var signed = request
        sign(&signed)
        do {
            return try await client.execute(signed, deadline: deadline, logger: logger)
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            throw mapper.transport(Self.describe(error))
        }
    }

    /// The `ImagesResponse` JSON: images as base64 (or, from some gateways, as URLs to fetch), and usage.
    private func readJSON(_ body: ByteBuffer, job: ProviderJob, requestID: String?, mapper: OpenAIErrorMapper) async throws -> ProviderResult {
        // The parser reads an array; taken straight from the buffer, that is the only copy of the body.
        guard let json = try? JSONParser.parse(body.getBytes(at: body.readerIndex, length: body.readableBytes) ?? []) else {
            throw mapper.transport("the provider's answer is not an images response")
        }
        return try await result(fromImagesResponse: json, requestID: requestID, mapper: mapper)
    }

    /// An `ImagesResponse` (a synchronous answer, or one line of a batch's output) as a result.
    func result(fromImagesResponse json: JSONValue, requestID: String?, mapper: OpenAIErrorMapper) async throws -> ProviderResult {
        guard case .array(let items)? = json["data"] else {
            throw mapper.transport("the provider's answer is not an images response")
        }
        var images: [ProviderImage] = []
        for item in items {
            if let b64 = item["b64_json"]?.stringValue, let decoded = Data(base64Encoded: b64) {
                images.append(try Self.image(decoded, base64: b64, mapper: mapper))
            } else if let url = item["url"]?.stringValue {
                images.append(try Self.image(try await download(url, mapper: mapper), mapper: mapper))
            } else {
                throw mapper.transport("an image in the provider's answer has neither b64_json nor url")
            }
        }
        guard !images.isEmpty else { throw mapper.transport("the provider returned no images") }
        return ProviderResult(
            images: images,
            usage: json["usage"].map(ImageUsage.init(json:)),
            provider: name,
            isDraft: false,
            upstreamRequestID: requestID
        )
    }

    /// SSE: partial images go to the job as they arrive; each `completed` event carries a final image.
    private func readStream(
        _ response: HTTPClientResponse,
        job: ProviderJob,
        kind: String,
        requestID: String?,
        mapper: OpenAIErrorMapper,
        onPartial: @escaping @Sendable (PartialImage) -> Void
    ) async throws -> ProviderResult {
        var parser = ServerSentEventParser()
        var images: [ProviderImage] = []
        var usage: ImageUsage?
        var received = 0
        let format = job.request.outputFormat
        do {
            for try await chunk in response.body {
                received += chunk.readableBytes
                if received > endpoint.maxResponseBytes { throw mapper.transport("the stream exceeded \(endpoint.maxResponseBytes) bytes") }
                for event in parser.feed(chunk.readableBytesView) {
                    guard event.data != "[DONE]" else { continue }
                    guard let json = try? JSONParser.parse(Array(event.data.utf8)) else { continue }
                    if json["error"] != nil {
                        // A failure reported inside the stream.
                        let body = Data(JSONValue.object(["error": json["error"]!]).serialized())
                        let status = json["error"]?["code"]?.stringValue == "moderation_blocked" ? 400 : 500
                        throw mapper.map(status: status, headers: [], body: body, requestID: requestID)
                    }
                    let type = json["type"]?.stringValue ?? event.event ?? ""
                    guard let b64 = json["b64_json"]?.stringValue, let data = Data(base64Encoded: b64) else { continue }
                    if type == "\(kind).partial_image" {
                        var index = 0
                        if case .number(let value)? = json["partial_image_index"] { index = Int(value) }
                        onPartial(PartialImage(imageIndex: images.count, partialIndex: index, data: data, format: format))
                    } else if type == "\(kind).completed" {
                        images.append(try Self.image(data, base64: b64, mapper: mapper))
                        if let usageJSON = json["usage"] {
                            let part = ImageUsage(json: usageJSON)
                            usage =
                                usage.map { total in
                                    ImageUsage(
                                        inputTextTokens: total.inputTextTokens + part.inputTextTokens,
                                        inputImageTokens: total.inputImageTokens + part.inputImageTokens,
                                        outputTokens: total.outputTokens + part.outputTokens,
                                        outputImageTokens: part.outputImageTokens.map { $0 + (total.outputImageTokens ?? 0) },
                                        outputTextTokens: part.outputTextTokens.map { $0 + (total.outputTextTokens ?? 0) }
                                    )
                                } ?? part
                        }
                    }
                }
            }
        } catch let error as ProviderError {
            throw error
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            throw mapper.transport("the stream broke: \(Self.describe(error))")
        }
        guard images.count >= job.request.n else {
            throw mapper.transport("the stream ended after \(images.count) of \(job.request.n) images")
        }
        return ProviderResult(images: images, usage: usage, provider: name, isDraft: false, upstreamRequestID: requestID)
    }

    private func download(_ url: String, mapper: OpenAIErrorMapper) async throws -> Data {
        do {
            let response = try await client.execute(HTTPClientRequest(url: url), timeout: endpoint.readTimeout, logger: logger)
            guard response.status == .ok else { throw mapper.transport("fetching an image URL answered \(response.status.code)") }
            return Data(buffer: try await response.body.collect(upTo: endpoint.maxResponseBytes))
        } catch let error as ProviderError {
            throw error
        } catch {
            throw mapper.transport("fetching an image URL failed: \(Self.describe(error))")
        }
    }

    /// Checks returned bytes are a whole image and reads its size from the header (no decode).
    /// `base64`: the text `data` was decoded from, kept for answers in base64.
    static func image(_ data: Data, base64: String? = nil, mapper: OpenAIErrorMapper) throws -> ProviderImage {
        guard let header = ImageHeader.read(data) else { throw mapper.transport("the provider returned bytes that are not an image") }
        guard ImageIntegrity.isComplete(data, format: header.format) else {
            throw mapper.transport("the provider returned a \(header.format.rawValue) image that is cut short or corrupt")
        }
        return ProviderImage(data: data, format: header.format, size: PixelSize(width: header.width, height: header.height), base64: base64)
    }

    static func describe(_ error: any Error) -> String {
        if let error = error as? HTTPClientError {
            switch error {
            case .connectTimeout: return "connection timed out"
            case .readTimeout, .deadlineExceeded: return "the provider did not answer in time"
            case .remoteConnectionClosed: return "the provider closed the connection"
            default: return "\(error)"
            }
        }
        return "\(error)"
    }
}
