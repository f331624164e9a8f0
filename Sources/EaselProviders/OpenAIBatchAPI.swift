import AsyncHTTPClient
import EaselCore
import EaselMultipart
import Foundation
import NIOCore
import NIOFoundationCompat

/// OpenAI's Files and Batch APIs for image generations: the input JSONL is uploaded with `purpose: batch`, the
/// batch created with a 24-hour window, polled, and its output read back line by line as it downloads.
public struct OpenAIBatchAPI: UpstreamBatchAPI {
    let images: OpenAIProvider
    public let settings: UpstreamBatchSettings
    public let endpoint = "/v1/images/generations"

    public init(provider: OpenAIProvider, settings: UpstreamBatchSettings) {
        self.images = provider
        self.settings = settings
    }

    public var provider: String { images.name }
    var base: String { images.endpoint.baseURL }
    /// Batch calls are small; reading an output file may take long, and is bounded per read instead.
    var callDeadline: NIODeadline { .now() + images.endpoint.readTimeout + images.endpoint.connectTimeout }

    func mapper(route: String = "economy batches", upstreamModel: String = "-") -> OpenAIErrorMapper {
        OpenAIErrorMapper(provider: provider, route: route, upstreamModel: upstreamModel, key: images.endpoint.apiKey)
    }

    public func requestLine(for job: ProviderJob) -> [UInt8] {
        JSONValue.object([
            "custom_id": .string(job.id), "method": "POST", "url": .string(endpoint),
            "body": OpenAIRequestShaper.generationBody(job),
        ]).serialized()
    }

    public func uploadInput(_ jsonl: [UInt8], filename: String) async throws -> String {
        var form = MultipartWriter()
        form.addField("purpose", "batch")
        form.addFile("file", filename: filename, contentType: "application/jsonl", data: Data(jsonl))
        var request = HTTPClientRequest(url: base + "/files")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: form.contentType)
        request.body = .bytes(ByteBuffer(data: form.body()))
        let json = try await call(request)
        guard let id = json["id"]?.stringValue else { throw mapper().transport("the file upload answered without an id") }
        return id
    }

    public func create(inputFileID: String, metadata: [String: String]) async throws -> UpstreamBatchStatus {
        var request = HTTPClientRequest(url: base + "/batches")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        let body: JSONValue = .object([
            "input_file_id": .string(inputFileID), "endpoint": .string(endpoint), "completion_window": "24h",
            "metadata": .object(metadata.mapValues(JSONValue.string)),
        ])
        request.body = .bytes(ByteBuffer(bytes: body.serialized()))
        return try Self.status(try await call(request), mapper: mapper())
    }

    public func status(of id: String) async throws -> UpstreamBatchStatus {
        try Self.status(try await call(HTTPClientRequest(url: base + "/batches/" + Self.escaped(id))), mapper: mapper())
    }

    public func cancel(_ id: String) async throws -> UpstreamBatchStatus {
        var request = HTTPClientRequest(url: base + "/batches/" + Self.escaped(id) + "/cancel")
        request.method = .POST
        return try Self.status(try await call(request), mapper: mapper())
    }

    public func recent(limit: Int) async throws -> [UpstreamBatchStatus] {
        let json = try await call(HTTPClientRequest(url: base + "/batches?limit=\(max(1, min(limit, 100)))"))
        guard case .array(let items)? = json["data"] else { throw mapper().transport("the batch list has no data") }
        return try items.map { try Self.status($0, mapper: mapper()) }
    }

    public func deleteFile(_ id: String) async throws {
        var request = HTTPClientRequest(url: base + "/files/" + Self.escaped(id))
        request.method = .DELETE
        _ = try await call(request)
    }

    public func readResults(
        fileID: String,
        route: String,
        upstreamModel: String,
        each: @Sendable (UpstreamBatchLine) async throws -> Void
    ) async throws {
        let mapper = mapper(route: route, upstreamModel: upstreamModel)
        // No overall deadline: a large file takes as long as it takes; each read is bounded by the client.
        let response = try await images.send(
            HTTPClientRequest(url: base + "/files/" + Self.escaped(fileID) + "/content"),
            deadline: .distantFuture,
            mapper: mapper
        )
        guard (200..<300).contains(response.status.code) else {
            throw try await failure(response, mapper: mapper)
        }
        var splitter = LineSplitter(maxLineBytes: images.endpoint.maxResponseBytes)
        var number = 0
        /// `each` failing (Easel's own storage) is not the provider's fault: passed on as it is.
        struct Consumer: Error { var error: any Error }
        func hand(_ line: [UInt8]) async throws {
            number += 1
            let parsed = await parse(line, number: number, mapper: mapper)
            do { try await each(parsed) } catch { throw Consumer(error: error) }
        }
        do {
            for try await chunk in response.body {
                for line in try splitter.feed(chunk.readableBytesView) { try await hand(line) }
            }
            if let last = splitter.finish() { try await hand(last) }
        } catch let consumer as Consumer {
            throw consumer.error
        } catch let error as LineSplitter.LineTooLong {
            throw mapper.transport("a line of batch file \(fileID) is longer than \(error.limit) bytes")
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            throw mapper.transport("reading batch file \(fileID) failed: \(OpenAIProvider.describe(error))")
        }
    }

    /// One output or error line: `{"custom_id", "response": {"status_code", "request_id", "body"}, "error"}`.
    func parse(_ line: [UInt8], number: Int, mapper: OpenAIErrorMapper) async -> UpstreamBatchLine {
        guard let json = try? JSONParser.parse(line) else {
            return .malformed(customID: Self.scanCustomID(line), line: number, reason: "line \(number) is not JSON")
        }
        guard let customID = json["custom_id"]?.stringValue else {
            return .malformed(customID: nil, line: number, reason: "line \(number) has no custom_id")
        }
        if let response = json["response"], response != .null {
            guard case .number(let code)? = response["status_code"] else {
                return .malformed(customID: customID, line: number, reason: "line \(number) has a response without a status_code")
            }
            let requestID = response["request_id"]?.stringValue
            let body = response["body"] ?? .null
            guard (200..<300).contains(Int(code)) else {
                return .failed(
                    customID: customID,
                    mapper.map(status: Int(code), headers: [], body: Data(body.serialized()), requestID: requestID)
                )
            }
            do {
                return .succeeded(customID: customID, try await images.result(fromImagesResponse: body, requestID: requestID, mapper: mapper))
            } catch let error as ProviderError {
                return .malformed(customID: customID, line: number, reason: error.error.message)
            } catch {
                return .malformed(customID: customID, line: number, reason: "\(error)")
            }
        }
        guard let error = json["error"], error != .null else {
            return .malformed(customID: customID, line: number, reason: "line \(number) has neither a response nor an error")
        }
        // A request the batch never ran (`batch_expired`, `batch_cancelled`) or could not run.
        let code = error["code"]?.stringValue
        var failure = JobError(
            status: 502,
            type: "server_error",
            code: code,
            message:
                "Provider '\(provider)' did not run this request in its batch: \(mapper.scrub(error["message"]?.stringValue ?? code ?? "no reason given"))",
            retryable: code == "batch_expired" || code == "batch_cancelled"
        )
        failure.provider = provider
        return .failed(customID: customID, ProviderError(failure))
    }

    /// The `custom_id` of a line that is not valid JSON, if its start is readable, so only its job fails.
    static func scanCustomID(_ line: [UInt8]) -> String? {
        let text = String(decoding: line.prefix(4096), as: UTF8.self)
        guard let key = text.range(of: "\"custom_id\"") else { return nil }
        let rest = text[key.upperBound...].drop { $0 == " " || $0 == ":" }
        guard rest.first == "\"" else { return nil }
        let value = rest.dropFirst().prefix { $0 != "\"" }
        return value.isEmpty ? nil : String(value)
    }

    /// Sends a call and reads its JSON answer, mapping a non-2xx answer to the provider's error.
    private func call(_ request: HTTPClientRequest) async throws -> JSONValue {
        let mapper = mapper()
        let response = try await images.send(request, deadline: callDeadline, mapper: mapper)
        guard (200..<300).contains(response.status.code) else { throw try await failure(response, mapper: mapper) }
        let body: ByteBuffer
        do {
            body = try await response.body.collect(upTo: 16 * 1024 * 1024)
        } catch {
            throw mapper.transport("reading the answer failed: \(OpenAIProvider.describe(error))")
        }
        guard let json = try? JSONParser.parse(body.readableBytesView) else { throw mapper.transport("the answer is not JSON") }
        return json
    }

    private func failure(_ response: HTTPClientResponse, mapper: OpenAIErrorMapper) async throws -> ProviderError {
        let body = (try? await response.body.collect(upTo: 1024 * 1024)).map { Data(buffer: $0) } ?? Data()
        return mapper.map(
            status: Int(response.status.code),
            headers: response.headers.map { ($0.name, $0.value) },
            body: body,
            requestID: response.headers.first(name: "x-request-id")
        )
    }

    static func status(_ json: JSONValue, mapper: OpenAIErrorMapper) throws -> UpstreamBatchStatus {
        guard let id = json["id"]?.stringValue, let state = json["status"]?.stringValue else {
            throw mapper.transport("the answer is not a batch")
        }
        func int(_ value: JSONValue?) -> Int? {
            if case .number(let number)? = value { return Int(number) }
            return nil
        }
        var status = UpstreamBatchStatus(id: id, status: state)
        status.inputFileID = json["input_file_id"]?.stringValue
        status.outputFileID = json["output_file_id"]?.stringValue
        status.errorFileID = json["error_file_id"]?.stringValue
        let counts = json["request_counts"]
        status.total = int(counts?["total"]) ?? 0
        status.completed = int(counts?["completed"]) ?? 0
        status.failed = int(counts?["failed"]) ?? 0
        status.expiresAt = int(json["expires_at"]).map { Int64($0) * 1000 }
        if case .array(let errors)? = json["errors"]?["data"] {
            status.errors = errors.map {
                .init(
                    code: $0["code"]?.stringValue,
                    message: mapper.scrub($0["message"]?.stringValue ?? "no reason given"),
                    param: $0["param"]?.stringValue,
                    line: int($0["line"])
                )
            }
        }
        if case .object(let metadata)? = json["metadata"] { status.metadata = metadata.compactMapValues(\.stringValue) }
        return status
    }

    static func escaped(_ id: String) -> String {
        id.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-_."))) ?? id
    }
}
