import EaselCore
import EaselMultipart
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// OpenAI's Files API (`POST /v1/files`, `GET /v1/files/{id}`, `…/content`, `DELETE`) and Batch API
/// (`POST /v1/batches`, `GET /v1/batches`, `GET /v1/batches/{id}`, `POST /v1/batches/{id}/cancel`) in their
/// exact shapes. A batch moves validating → in_progress → finalizing → completed on the clock of its
/// behaviour (or ends failed, expired or cancelled); its lines run through the same image code as the
/// synchronous endpoint, and their results are written when the output file is read.
struct FakeBatchAPI: Sendable {
    let server: FakeOpenAIServer
    var store: FakeBatchStore { server.state.batches }

    static let purposes: Set<String> = ["assistants", "batch", "fine-tune", "vision", "user_data", "evals"]
    static let endpoints: Set<String> = [
        "/v1/responses", "/v1/chat/completions", "/v1/embeddings", "/v1/completions", "/v1/moderations", "/v1/images/generations",
        "/v1/images/edits", "/v1/videos",
    ]
    static let maxBatchFileBytes = 200 * 1024 * 1024
    static let maxLines = 50_000

    func addRoutes(to router: Router<BasicRequestContext>) {
        router.post("/v1/files") { request, _ in try await upload(request) }
        router.get("/v1/files/{id}") { request, context in try await guarded(request) { try fileObject(context) } }
        router.get("/v1/files/{id}/content") { request, context in try await guarded(request) { try content(context) } }
        router.delete("/v1/files/{id}") { request, context in try await guarded(request) { try deleteFile(context) } }
        router.post("/v1/batches") { request, _ in try await create(request) }
        router.get("/v1/batches") { request, _ in try await guarded(request) { list(request) } }
        router.get("/v1/batches/{id}") { request, context in try await guarded(request) { try retrieve(context) } }
        router.post("/v1/batches/{id}/cancel") { request, context in try await guarded(request) { try cancel(context) } }
        router.post("/_fake/batches") { request, _ in
            let body = try JSONParser.parse(try await request.body.collect(upTo: 1 << 20).readableBytesView)
            guard let behavior = FakeBatchBehavior(json: body) else { return FakeOpenAIServer.json(["ok": false], status: .badRequest) }
            store.behavior = behavior
            return FakeOpenAIServer.json(["ok": true])
        }
    }

    /// Records the call, checks the key and plays queued faults, then answers.
    func guarded(_ request: Request, _ answer: () throws -> Response) async throws -> Response {
        let served = server.state.record(FakeOpenAIServer.recorded(request, path: request.uri.path, json: nil, fields: [], files: []))
        let requestID = "req_fake_\(served)"
        if let refusal = try await server.preamble(request, requestID: requestID) { return refusal }
        do {
            return try answer()
        } catch let failure as FakeFailure {
            return failure.response(requestID)
        }
    }

    // MARK: Files

    func upload(_ request: Request) async throws -> Response {
        let served = server.state.record(FakeOpenAIServer.recorded(request, path: "/v1/files", json: nil, fields: [], files: []))
        let requestID = "req_fake_\(served)"
        if let refusal = try await server.preamble(request, requestID: requestID) { return refusal }
        guard let boundary = MultipartReader.boundary(contentType: request.headers[.contentType]) else {
            return FakeFailure(400, "invalid_request_error", "invalid_content_type", nil, "Uploads take multipart/form-data.").response(requestID)
        }
        let limits = MultipartLimits(maxFileBytes: 512 * 1024 * 1024, maxParts: 8, maxTotalBytes: 513 * 1024 * 1024)
        let parts = try await MultipartReader.read(request.body, boundary: boundary, limits: limits)
        guard let purpose = parts.first(where: { $0.name == "purpose" && !$0.isFile })?.text else {
            return FakeFailure(400, "invalid_request_error", "missing_required_parameter", "purpose", "Missing required parameter: 'purpose'.")
                .response(requestID)
        }
        guard Self.purposes.contains(purpose) else {
            return FakeFailure(
                400,
                "invalid_request_error",
                "invalid_value",
                "purpose",
                "Invalid value for purpose: '\(purpose)'. Supported values are \(Self.purposes.sorted().map { "'\($0)'" }.joined(separator: ", "))."
            ).response(requestID)
        }
        guard let file = parts.first(where: { $0.name == "file" && $0.isFile }) else {
            return FakeFailure(400, "invalid_request_error", "missing_required_parameter", "file", "Missing required parameter: 'file'.")
                .response(requestID)
        }
        if purpose == "batch" && file.data.count > Self.maxBatchFileBytes {
            return FakeFailure(400, "invalid_request_error", "file_too_large", "file", "Batch input files can be at most 200 MB.").response(requestID)
        }
        let stored = FakeBatchStore.File(
            id: store.nextID("file-"),
            filename: file.filename ?? "upload",
            purpose: purpose,
            bytes: file.data.count,
            createdAt: Int64(Date().timeIntervalSince1970),
            content: .stored(Array(file.data))
        )
        store.addFile(stored)
        return FakeOpenAIServer.json(Self.json(stored), headers: [HTTPField.Name("x-request-id")!: requestID])
    }

    func existingFile(_ context: BasicRequestContext) throws -> FakeBatchStore.File {
        let id = context.parameters.get("id") ?? ""
        guard let file = store.file(id) else {
            throw FakeFailure(404, "invalid_request_error", nil, "id", "No such File object: \(id)")
        }
        return file
    }

    func fileObject(_ context: BasicRequestContext) throws -> Response {
        FakeOpenAIServer.json(Self.json(try existingFile(context)))
    }

    func deleteFile(_ context: BasicRequestContext) throws -> Response {
        let file = try existingFile(context)
        _ = store.removeFile(file.id)
        return FakeOpenAIServer.json(.object(["id": .string(file.id), "object": "file", "deleted": true]))
    }

    func content(_ context: BasicRequestContext) throws -> Response {
        let file = try existingFile(context)
        let headers: HTTPFields = [.contentType: "application/octet-stream"]
        switch file.content {
        case .stored(let bytes):
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
        case .output(let batchID), .errors(let batchID):
            guard let batch = store.batch(batchID) else {
                throw FakeFailure(404, "invalid_request_error", nil, "id", "No such File object: \(file.id)")
            }
            let errors: Bool
            if case .errors = file.content { errors = true } else { errors = false }
            let processed = Self.timeline(batch, now: Date()).processed
            let made = self
            return Response(
                status: .ok,
                headers: headers,
                body: ResponseBody { writer in
                    for (index, line) in batch.lines.enumerated() {
                        guard let text = made.resultLine(line, index: index, batch: batch, processed: processed, errors: errors) else { continue }
                        try await writer.write(ByteBuffer(string: text + "\n"))
                    }
                    try await writer.finish(nil)
                }
            )
        }
    }

    /// One line of the output (`errors` false) or error file, or nil when the line belongs to the other one.
    func resultLine(_ line: FakeBatchStore.Line, index: Int, batch: FakeBatchStore.Batch, processed: Int, errors: Bool) -> String? {
        let id = "batch_req_\(batch.id.dropFirst(6))_\(index)"
        guard index < processed else {
            // Never run: the window ran out, or the batch was cancelled first.
            guard errors else { return nil }
            let (code, message) =
                batch.cancelledAt != nil
                ? ("batch_cancelled", "This request was not executed because the batch was cancelled.")
                : ("batch_expired", "This request could not be executed before the completion window expired.")
            return JSONValue.object([
                "id": .string(id), "custom_id": .string(line.customID), "response": .null,
                "error": .object(["code": .string(code), "message": .string(message)]),
            ]).serializedString
        }
        let fault = batch.behavior.lineFaults.first { line.prompt.contains($0.match) }?.kind
        if fault == .missing { return nil }
        func response(_ status: Int, _ body: JSONValue) -> String {
            JSONValue.object([
                "id": .string(id), "custom_id": .string(line.customID),
                "response": .object(["status_code": .int(status), "request_id": .string("req_fake_batch_\(index)"), "body": body]),
                "error": .null,
            ]).serializedString
        }
        if case .error(let status, let code, let message)? = fault {
            return errors
                ? response(status, FakeFailure(status, status >= 500 ? "server_error" : "invalid_request_error", code, nil, message).envelope) : nil
        }
        do {
            if let failure = FakeOpenAIServer.checkGenerationFields(line.body) { throw failure }
            let made = try server.make(fields: line.body, inputSizes: [])
            guard !errors else { return nil }
            let text = response(200, FakeOpenAIServer.imagesBody(made, created: Int64(batch.createdAt.timeIntervalSince1970)))
            // A cut line: valid up to its middle.
            return fault == .malformed ? String(text.prefix(text.count / 2)) : text
        } catch let failure as FakeFailure {
            return errors ? response(failure.status, failure.envelope) : nil
        } catch {
            return errors ? response(500, FakeFailure(500, "server_error", nil, nil, "\(error)").envelope) : nil
        }
    }

    // MARK: Batches

    func create(_ request: Request) async throws -> Response {
        let raw = try await request.body.collect(upTo: 1 << 20)
        let json = try? JSONParser.parse(raw.readableBytesView)
        let served = server.state.record(FakeOpenAIServer.recorded(request, path: "/v1/batches", json: json, fields: [], files: []))
        let requestID = "req_fake_\(served)"
        if let refusal = try await server.preamble(request, requestID: requestID) { return refusal }
        do {
            guard case .object(let fields)? = json else {
                throw FakeFailure(400, "invalid_request_error", "invalid_json", nil, "We could not parse the JSON body of your request.")
            }
            for key in fields.keys where !["input_file_id", "endpoint", "completion_window", "metadata", "output_expires_after"].contains(key) {
                throw FakeFailure(400, "invalid_request_error", "unknown_parameter", key, "Unknown parameter: '\(key)'.")
            }
            guard let fileID = fields["input_file_id"]?.stringValue else {
                throw FakeFailure(
                    400,
                    "invalid_request_error",
                    "missing_required_parameter",
                    "input_file_id",
                    "Missing required parameter: 'input_file_id'."
                )
            }
            guard let endpoint = fields["endpoint"]?.stringValue, Self.endpoints.contains(endpoint) else {
                throw FakeFailure(400, "invalid_request_error", "invalid_value", "endpoint", "Invalid value for endpoint.")
            }
            guard fields["completion_window"]?.stringValue == "24h" else {
                throw FakeFailure(
                    400,
                    "invalid_request_error",
                    "invalid_value",
                    "completion_window",
                    "Only '24h' is supported for completion_window."
                )
            }
            var metadata: [String: String] = [:]
            if case .object(let map)? = fields["metadata"] {
                guard map.count <= 16 else {
                    throw FakeFailure(400, "invalid_request_error", "invalid_value", "metadata", "metadata can have at most 16 keys.")
                }
                for (key, value) in map {
                    guard key.count <= 64, let text = value.stringValue, text.count <= 512 else {
                        throw FakeFailure(400, "invalid_request_error", "invalid_value", "metadata", "Invalid metadata entry '\(key)'.")
                    }
                    metadata[key] = text
                }
            }
            guard let file = store.file(fileID), case .stored(let bytes) = file.content else {
                throw FakeFailure(404, "invalid_request_error", nil, "input_file_id", "No such File object: \(fileID)")
            }
            guard file.purpose == "batch" else {
                throw FakeFailure(
                    400,
                    "invalid_request_error",
                    "invalid_value",
                    "input_file_id",
                    "The input file must be uploaded with purpose 'batch'."
                )
            }
            let (lines, problems, model) = Self.read(bytes, endpoint: endpoint)
            let batch = FakeBatchStore.Batch(
                id: store.nextID("batch_"),
                inputFileID: fileID,
                endpoint: endpoint,
                metadata: metadata,
                model: model,
                createdAt: Date(),
                lines: lines,
                validationErrors: problems,
                behavior: store.behavior
            )
            store.addBatch(batch)
            return FakeOpenAIServer.json(self.json(batch), headers: [HTTPField.Name("x-request-id")!: requestID])
        } catch let failure as FakeFailure {
            return failure.response(requestID)
        }
    }

    /// The input file's lines, and what validation will fail the batch for.
    static func read(_ bytes: [UInt8], endpoint: String) -> ([FakeBatchStore.Line], [(code: String, message: String, line: Int?)], String?) {
        var lines: [FakeBatchStore.Line] = []
        var problems: [(code: String, message: String, line: Int?)] = []
        var seen = Set<String>()
        var model: String?
        var number = 0
        for raw in bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: true) {
            number += 1
            guard case .object(let object)? = try? JSONParser.parse(raw) else {
                problems.append(("invalid_json_line", "This line is not parseable as valid JSON.", number))
                continue
            }
            guard let customID = object["custom_id"]?.stringValue, !customID.isEmpty else {
                problems.append(("missing_custom_id", "Each line needs a 'custom_id' string.", number))
                continue
            }
            guard seen.insert(customID).inserted else {
                problems.append(("duplicate_custom_id", "The custom_id for this request is a duplicate of another request.", number))
                continue
            }
            guard object["method"]?.stringValue == "POST" else {
                problems.append(("invalid_method", "Only POST requests are supported in a batch.", number))
                continue
            }
            guard object["url"]?.stringValue == endpoint else {
                problems.append(("mismatched_url", "The url of this request does not match the batch's endpoint \(endpoint).", number))
                continue
            }
            guard case .object(let body)? = object["body"] else {
                problems.append(("invalid_body", "Each line needs a 'body' object.", number))
                continue
            }
            let lineModel = body["model"]?.stringValue
            if let model, lineModel != model {
                problems.append(("mismatched_model", "All requests of a batch must use the same model (\(model)).", number))
                continue
            }
            model = lineModel
            lines.append(FakeBatchStore.Line(customID: customID, body: body, prompt: body["prompt"]?.stringValue ?? ""))
        }
        if number == 0 { problems.append(("empty_file", "The input file has no requests.", nil)) }
        if number > maxLines { problems.append(("too_many_requests", "A batch can have at most \(maxLines) requests.", nil)) }
        return (lines, problems, model)
    }

    func existingBatch(_ context: BasicRequestContext) throws -> FakeBatchStore.Batch {
        let id = context.parameters.get("id") ?? ""
        guard let batch = store.batch(id) else { throw FakeFailure(404, "invalid_request_error", nil, "batch_id", "No batch found with id '\(id)'.") }
        return batch
    }

    func retrieve(_ context: BasicRequestContext) throws -> Response {
        FakeOpenAIServer.json(json(try existingBatch(context)))
    }

    func cancel(_ context: BasicRequestContext) throws -> Response {
        let batch = try existingBatch(context)
        let status = Self.timeline(batch, now: Date()).status
        guard ["validating", "in_progress", "finalizing"].contains(status) else {
            if status == "cancelling" || status == "cancelled" { return FakeOpenAIServer.json(json(batch)) }
            throw FakeFailure(409, "invalid_request_error", nil, nil, "Cannot cancel a batch with status '\(status)'.")
        }
        let cancelled = store.update(batch.id) { $0.cancelledAt = Date() } ?? batch
        return FakeOpenAIServer.json(json(cancelled))
    }

    func list(_ request: Request) -> Response {
        let query = request.uri.queryParameters
        let limit = max(1, min(100, query["limit"].flatMap { Int(String($0)) } ?? 20))
        var batches = store.recentBatches()
        if let after = query["after"].map(String.init), let index = batches.firstIndex(where: { $0.id == after }) {
            batches = Array(batches[(index + 1)...])
        }
        let page = Array(batches.prefix(limit))
        return FakeOpenAIServer.json(
            .object([
                "object": "list", "data": .array(page.map(json)), "first_id": .optional(page.first?.id), "last_id": .optional(page.last?.id),
                "has_more": .bool(batches.count > limit),
            ])
        )
    }

    // MARK: The clock of a batch

    struct Timeline {
        var status: String
        /// Lines done (their results are in the files).
        var processed = 0
        var inProgressAt: Int64?
        var finalizingAt: Int64?
        var completedAt: Int64?
        var failedAt: Int64?
        var expiredAt: Int64?
        var cancellingAt: Int64?
        var cancelledAt: Int64?
    }

    static func timeline(_ batch: FakeBatchStore.Batch, now: Date) -> Timeline {
        let behavior = batch.behavior
        let created = batch.createdAt
        let seconds = { (ms: Int) in Int64(created.addingTimeInterval(Double(ms) / 1000).timeIntervalSince1970) }
        let elapsed = Int(now.timeIntervalSince(created) * 1000)
        let (v, r, f) = (behavior.validatingMs, max(1, behavior.runMs), behavior.finalizingMs)
        let total = batch.lines.count
        func done(at ms: Int) -> Int { min(total, max(0, (ms - v) * total / r)) }
        if !batch.validationErrors.isEmpty {
            return elapsed < v ? Timeline(status: "validating") : Timeline(status: "failed", failedAt: seconds(v))
        }
        if let cancelled = batch.cancelledAt {
            let at = Int(cancelled.timeIntervalSince(created) * 1000)
            var line = Timeline(status: "cancelling", processed: done(at: at), cancellingAt: Int64(cancelled.timeIntervalSince1970))
            if at >= v { line.inProgressAt = seconds(v) }
            if now.timeIntervalSince(cancelled) * 1000 >= Double(behavior.cancellingMs) {
                line.status = "cancelled"
                line.cancelledAt = Int64(cancelled.addingTimeInterval(Double(behavior.cancellingMs) / 1000).timeIntervalSince1970)
            }
            return line
        }
        if elapsed < v { return Timeline(status: "validating") }
        if elapsed < v + r { return Timeline(status: "in_progress", processed: done(at: elapsed), inProgressAt: seconds(v)) }
        if behavior.expire {
            let processed = min(total, Int((Double(total) * behavior.expireFraction).rounded(.down)))
            return Timeline(status: "expired", processed: processed, inProgressAt: seconds(v), expiredAt: seconds(v + r))
        }
        if elapsed < v + r + f { return Timeline(status: "finalizing", processed: total, inProgressAt: seconds(v), finalizingAt: seconds(v + r)) }
        return Timeline(
            status: "completed",
            processed: total,
            inProgressAt: seconds(v),
            finalizingAt: seconds(v + r),
            completedAt: seconds(v + r + f)
        )
    }

    /// OpenAI's `Batch` object, its output and error files made once the batch has ended.
    func json(_ stored: FakeBatchStore.Batch) -> JSONValue {
        var batch = stored
        let line = Self.timeline(batch, now: Date())
        let final = ["completed", "expired", "cancelled"].contains(line.status)
        if final && batch.outputFileID == nil && batch.errorFileID == nil {
            // Made outside the store's lock (ids and files take it too); a racing reader's files are dropped.
            let (outputs, errors) = Self.counts(batch, processed: line.processed)
            let now = Int64(Date().timeIntervalSince1970)
            let output = outputs > 0 ? store.nextID("file-") : nil
            let error = errors > 0 || line.processed < batch.lines.count ? store.nextID("file-") : nil
            batch =
                store.update(batch.id) { batch in
                    guard batch.outputFileID == nil && batch.errorFileID == nil else { return }
                    batch.outputFileID = output
                    batch.errorFileID = error
                } ?? batch
            if let output, batch.outputFileID == output {
                store.addFile(
                    .init(
                        id: output,
                        filename: "\(batch.id)_output.jsonl",
                        purpose: "batch_output",
                        bytes: 0,
                        createdAt: now,
                        content: .output(batchID: batch.id)
                    )
                )
            }
            if let error, batch.errorFileID == error {
                store.addFile(
                    .init(
                        id: error,
                        filename: "\(batch.id)_error.jsonl",
                        purpose: "batch_output",
                        bytes: 0,
                        createdAt: now,
                        content: .errors(batchID: batch.id)
                    )
                )
            }
        }
        let (succeeded, failed) = Self.counts(batch, processed: line.processed)
        let created = Int64(batch.createdAt.timeIntervalSince1970)
        var errors: JSONValue = .null
        if line.status == "failed" {
            errors = .object([
                "object": "list",
                "data": .array(
                    batch.validationErrors.map {
                        .object(["code": .string($0.code), "message": .string($0.message), "param": .null, "line": $0.line.map { .int($0) } ?? .null])
                    }
                ),
            ])
        }
        func time(_ value: Int64?) -> JSONValue { value.map { .int(Int($0)) } ?? .null }
        return .object([
            "id": .string(batch.id), "object": "batch", "endpoint": .string(batch.endpoint), "model": .optional(batch.model), "errors": errors,
            "input_file_id": .string(batch.inputFileID), "completion_window": "24h", "status": .string(line.status),
            "output_file_id": .optional(final ? batch.outputFileID : nil), "error_file_id": .optional(final ? batch.errorFileID : nil),
            "created_at": .int(Int(created)), "in_progress_at": time(line.inProgressAt), "expires_at": .int(Int(created + 86_400)),
            "finalizing_at": time(line.finalizingAt), "completed_at": time(line.completedAt), "failed_at": time(line.failedAt),
            "expired_at": time(line.expiredAt), "cancelling_at": time(line.cancellingAt), "cancelled_at": time(line.cancelledAt),
            "request_counts": .object([
                "total": .int(line.status == "failed" ? 0 : batch.lines.count), "completed": .int(succeeded), "failed": .int(failed),
            ]),
            "metadata": .object(batch.metadata.mapValues(JSONValue.string)),
        ])
    }

    /// Requests done well and badly among the first `processed` lines (as the output and error files hold
    /// them); lines never run count in neither.
    static func counts(_ batch: FakeBatchStore.Batch, processed: Int) -> (succeeded: Int, failed: Int) {
        var succeeded = 0
        var failed = 0
        for line in batch.lines.prefix(processed) {
            switch batch.behavior.lineFaults.first(where: { line.prompt.contains($0.match) })?.kind {
            case .error?: failed += 1
            case .missing?: break
            case .malformed?, nil:
                if FakeOpenAIServer.checkGenerationFields(line.body) != nil || FakeOpenAIServer.models[line.body["model"]?.stringValue ?? ""] == nil {
                    failed += 1
                } else {
                    succeeded += 1
                }
            }
        }
        return (succeeded, failed)
    }

    static func json(_ file: FakeBatchStore.File) -> JSONValue {
        .object([
            "id": .string(file.id), "object": "file", "bytes": .int(file.bytes), "created_at": .int(Int(file.createdAt)), "expires_at": .null,
            "filename": .string(file.filename), "purpose": .string(file.purpose), "status": "processed", "status_details": .null,
        ])
    }
}
