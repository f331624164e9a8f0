import EaselCore
import EaselStore
import Foundation

/// The Responses API over Easel's own queue. Easel has no text model: each turn becomes one image job — a
/// generation, or an edit of the images in context — with the same plan check, moderation, admission and
/// ledger as every other job; the response's state is read from that job.
struct ResponsesService: Sendable {
    let responses: any ResponseStore
    let jobs: JobService
    let edits: EditService
    let assets: AssetService
    let catalog: ModelCatalog
    let ids: IDGenerator
    let clock: any EaselClock

    /// Earlier turns of a chain that lend their text to a follow-up's prompt.
    static let contextTurns = 8
    /// Turns the studio shows of one conversation.
    static let conversationTurns = 100

    struct Turn: Sendable {
        var record: ResponseRecord
        var submitted: JobService.Submitted
    }

    /// Runs one turn: resolves the images in context, submits the job and, unless `store` is false, keeps
    /// the turn so it can be retrieved and continued.
    func create(
        _ request: ResponsesRequest,
        identity: Identity,
        delivery: JobService.Delivery,
        isLocalURL: @escaping (URLComponents) -> Bool
    ) async throws -> Turn {
        let userID = identity.userID
        var chain: [ResponseRecord] = []
        if let previous = request.previousResponseID {
            guard let record = try await storedRecord(id: previous, userID: userID) else {
                throw EaselError.invalidRequest(
                    "Previous response with id '\(previous)' not found.",
                    param: "previous_response_id",
                    code: "previous_response_not_found"
                )
            }
            chain = try await history(from: record, userID: userID, turns: Self.contextTurns)
        }
        let id = ids.make(prefix: "resp", millis: clock.nowMillis())
        // Images in context, in the contract's order: this turn's input images, then earlier images named by
        // id (or replayed whole), then the latest image of the chain.
        var sources: [(EditInputs.Reference, String)] = []
        var explicitImages = 0
        for item in request.items {
            switch item {
            case .message(_, _, let images):
                for image in images {
                    sources.append((try EditInputs.reference(.string(image.reference), param: image.param, isLocalURL: isLocalURL), image.param))
                }
                explicitImages += images.count
            case .imageCall(let callID, let result, let param):
                if let result {
                    guard let data = Data(base64Encoded: result, options: .ignoreUnknownCharacters) else {
                        throw EaselError.invalidRequest(
                            "'\(param).result' is not valid base64.",
                            param: "\(param).result",
                            code: "invalid_base64_image"
                        )
                    }
                    sources.append((.data(data), "\(param).result"))
                } else {
                    sources.append((.asset(try await imageAsset(ofCall: callID, userID: userID, param: "\(param).id")), "\(param).id"))
                }
            }
        }
        let previousImage = try await latestImage(in: chain)
        if sources.isEmpty, let previousImage { sources.append((.asset(previousImage), "previous_response_id")) }

        let action: String
        switch request.action {
        case "edit":
            guard !sources.isEmpty else {
                throw EaselError.invalidRequest(
                    "action 'edit' needs an image in context: an input_image, an image_generation_call, or previous_response_id.",
                    param: "tools[0].action",
                    code: "invalid_value"
                )
            }
            action = "edit"
        case "generate":
            guard explicitImages == 0 else {
                throw EaselError.invalidRequest(
                    "action 'generate' makes a new image from text; to work from input images use action 'edit' or 'auto'.",
                    param: "tools[0].action",
                    code: "invalid_value"
                )
            }
            action = "generate"
        default: action = sources.isEmpty ? "generate" : "edit"
        }
        let prompt = Self.prompt(request, context: chain.reversed().map(\.turnText))
        var fields = Self.imageFields(request, prompt: prompt)

        let submitted: JobService.Submitted
        var maskAssetID: String?
        if action == "edit" {
            var inputs = EditInputs()
            inputs.imageParam = "input"
            for (reference, param) in sources {
                inputs.images.append(try await Self.remapped { try await edits.item(reference, param: param, userID: userID) })
            }
            if let mask = request.tool["input_image_mask"] {
                let reference = try Self.maskReference(mask, isLocalURL: isLocalURL)
                inputs.mask = try await Self.remapped {
                    try await edits.item(reference, param: "tools[0].input_image_mask", userID: userID)
                }
            }
            inputs.fields = fields
            var prepared = try await Self.remapped {
                try await edits.prepare(inputs, identity: identity, seed: UInt64.random(in: 0...(1 << 53)))
            }
            prepared.payload.responsesModel = forwardModel(request, route: prepared.request.model)
            maskAssetID = prepared.payload.maskAssetID
            submitted = try await edits.submit(prepared, identity: identity, delivery: delivery)
        } else {
            if request.tool["input_image_mask"] != nil {
                throw EaselError.invalidRequest(
                    "'input_image_mask' applies to edits; this turn generates (action 'generate' or no image in context).",
                    param: "tools[0].input_image_mask",
                    code: "invalid_value"
                )
            }
            fields.removeValue(forKey: "input_fidelity")
            let parsed = try Self.remappedNow { try catalog.parser.parse(.object(fields), seed: UInt64.random(in: 0...(1 << 53))) }
            try await Self.remapped { try await jobs.screen(parsed, identity: identity) }
            // A generation in a conversation still descends from the image before it.
            var payload = JobPayload(request: parsed, parentAssetID: previousImage)
            payload.responsesModel = forwardModel(request, route: parsed.model)
            submitted = try await jobs.submit(
                JobService.Submission(kind: .generate, payload: payload, userID: userID, rawRequest: .object(fields), identity: identity),
                delivery: delivery
            )
        }
        // Inline images are listed by the assets they were stored as, never kept as bytes twice.
        var storedImages = submitted.job.payload.inputAssetIDs.prefix(explicitImages).makeIterator()
        let storedItems = request.input.enumerated().map { Self.storedItem($1, responseID: id, index: $0, images: &storedImages) }
        let record = ResponseRecord(
            id: id,
            userID: userID,
            jobID: submitted.job.id,
            previousResponseID: request.previousResponseID,
            createdAt: clock.nowMillis(),
            echo: Self.echo(request, model: submitted.job.payload.request.model, maskAssetID: maskAssetID),
            inputItems: storedItems,
            turnText: request.userText,
            action: action,
            prompt: submitted.job.payload.request.prompt
        )
        if request.store { try await responses.insert(record) }
        return Turn(record: record, submitted: submitted)
    }

    /// On a route that forwards turns, the mainline model the turn goes upstream with.
    private func forwardModel(_ request: ResponsesRequest, route: String) -> String? {
        catalog.capabilities(for: route)?.forwardsResponses == true ? request.model : nil
    }

    // MARK: reads

    /// The caller's stored turn, or 404 as OpenAI words it.
    func record(id: String, userID: String) async throws -> ResponseRecord {
        guard let record = try await storedRecord(id: id, userID: userID) else { throw Self.notFound(id) }
        return record
    }

    /// OpenAI's 404 for a response id.
    static func notFound(_ id: String) -> EaselError {
        EaselError(status: 404, type: "invalid_request_error", code: nil, param: nil, message: "Response with id '\(id)' not found.")
    }

    private func storedRecord(id: String, userID: String) async throws -> ResponseRecord? {
        guard EaselID.isValid(id, prefix: "resp"), let record = try await responses.response(id: id), record.userID == userID else { return nil }
        return record
    }

    /// The job behind a turn, as it stands.
    func job(of record: ResponseRecord) async throws -> JobRecord {
        try await jobs.job(id: record.jobID, userID: record.userID)
    }

    /// The turn's state from its job (with the image's bytes once it succeeded).
    func state(of record: ResponseRecord, job: JobRecord, outputs inMemory: [JobOutput] = []) async throws -> ResponseState {
        switch job.status {
        case .succeeded:
            let output = try await jobs.outputs(of: job, inMemory: inMemory).first
            let request = job.payload.request
            let image = output.map { output in
                ResponseState.Image(
                    base64: (output.data ?? Data()).base64EncodedString(),
                    size: "\(output.asset.width)x\(output.asset.height)",
                    quality: request.resolvedQuality,
                    background: request.resolvedBackground.rawValue,
                    format: request.outputFormat.rawValue
                )
            }
            return ResponseState(
                status: .completed,
                image: image,
                usage: job.result?.usage,
                completedAt: job.finishedAt,
                revisedPrompt: job.result?.revisedPrompt
            )
        case .failed:
            let error = job.lastError
            return ResponseState(
                status: .failed,
                error: (error.map(ResponseState.errorCode) ?? "server_error", error?.message ?? "The image could not be made."),
                completedAt: job.finishedAt
            )
        case .cancelled:
            return ResponseState(status: .cancelled, error: ("server_error", "The image job \(job.id) was cancelled."), completedAt: job.finishedAt)
        default:
            return .inProgress
        }
    }

    /// One turn of a conversation as the studio shows it.
    struct ConversationTurn: Sendable {
        var record: ResponseRecord
        var status: JobStatus
        var assetID: String?
    }

    /// The conversation that leads to a turn (`resp_…`) or to the image a turn made (`img_…`), oldest turn
    /// first; empty for an image no turn made.
    func conversation(of id: String, userID: String) async throws -> [ConversationTurn] {
        var last: ResponseRecord?
        if EaselID.isValid(id, prefix: "img") {
            let asset = try await assets.asset(id: id, userID: userID)
            if let jobID = asset.jobID, let record = try await responses.response(jobID: jobID), record.userID == userID { last = record }
        } else {
            last = try await record(id: id, userID: userID)
        }
        guard let last else { return [] }
        var turns: [ConversationTurn] = []
        for record in try await history(from: last, userID: userID, turns: Self.conversationTurns).reversed() {
            let job = try? await job(of: record)
            turns.append(ConversationTurn(record: record, status: job?.status ?? .failed, assetID: job.flatMap(Self.image)))
        }
        return turns
    }

    func delete(id: String, userID: String) async throws {
        guard EaselID.isValid(id, prefix: "resp"), try await responses.delete(id: id, userID: userID) else { throw Self.notFound(id) }
    }

    /// A cursor page of the turn's input items (`order` desc by default, as OpenAI lists them).
    func inputItems(of record: ResponseRecord, after: String?, limit: Int, ascending: Bool) throws -> (items: [JSONValue], hasMore: Bool) {
        var items = record.inputItems
        if !ascending { items.reverse() }
        if let after {
            guard let index = items.firstIndex(where: { $0["id"]?.stringValue == after }) else {
                throw EaselError.invalidRequest("No input item with id '\(after)' in this response.", param: "after")
            }
            items = Array(items[(index + 1)...])
        }
        return (Array(items.prefix(limit)), items.count > limit)
    }

    func savePartial(of record: ResponseRecord, index: Int, base64: String) async {
        try? await responses.savePartial(responseID: record.id, index: index, base64: base64)
    }

    func partials(of record: ResponseRecord) async throws -> [String] {
        try await responses.partials(responseID: record.id)
    }

    // MARK: context

    /// The chain that ends at `record`, newest first, at most `turns` long.
    private func history(from record: ResponseRecord, userID: String, turns: Int) async throws -> [ResponseRecord] {
        var chain = [record]
        while chain.count < turns, let previous = chain.last?.previousResponseID,
            let earlier = try await storedRecord(id: previous, userID: userID)
        {
            chain.append(earlier)
        }
        return chain
    }

    /// The newest image the chain made (a turn that failed lends none).
    private func latestImage(in chain: [ResponseRecord]) async throws -> String? {
        for record in chain {
            if let job = try? await job(of: record), let asset = Self.image(of: job) { return asset }
        }
        return nil
    }

    /// The image a turn's job made, once it succeeded.
    static func image(of job: JobRecord) -> String? {
        job.status == .succeeded ? job.result?.assetIDs.first : nil
    }

    /// The asset of an earlier `image_generation_call` of the caller's, by its `ig_…` id.
    private func imageAsset(ofCall callID: String, userID: String, param: String) async throws -> String {
        guard let responseID = ResponseRecord.responseID(imageCallID: callID), let record = try await storedRecord(id: responseID, userID: userID),
            let job = try? await job(of: record), let asset = Self.image(of: job)
        else {
            throw EaselError.invalidRequest(
                "No image_generation_call with id '\(callID)' that has an image (it is unknown, not stored, or it failed).",
                param: param,
                code: "item_not_found"
            )
        }
        return asset
    }

    /// This turn's text, after the instructions and the chain's earlier requests (oldest first).
    static func prompt(_ request: ResponsesRequest, context: [String]) -> String {
        let earlier = context.filter { !$0.isEmpty }
        let guidance = request.guidance
        if earlier.isEmpty && guidance.isEmpty { return request.userText }
        var parts: [String] = guidance
        if !earlier.isEmpty { parts.append("Earlier requests: " + earlier.joined(separator: " / ")) }
        parts.append((earlier.isEmpty ? "" : "This request: ") + request.userText)
        return parts.joined(separator: "\n\n")
    }

    /// The Images API fields the tool's settings stand for.
    static func imageFields(_ request: ResponsesRequest, prompt: String) -> [String: JSONValue] {
        var fields: [String: JSONValue] = ["prompt": .string(prompt)]
        for key in ["model", "size", "quality", "background", "output_format", "output_compression", "moderation", "input_fidelity"] {
            if let value = request.tool[key] { fields[key] = value }
        }
        if request.stream && request.partialImages > 0 {
            fields["stream"] = true
            fields["partial_images"] = .int(request.partialImages)
        }
        if let user = request.safetyIdentifier ?? request.user { fields["user"] = .string(user) }
        return fields
    }

    static func maskReference(_ mask: JSONValue, isLocalURL: (URLComponents) -> Bool) throws -> EditInputs.Reference {
        let param = "tools[0].input_image_mask"
        if let url = mask["image_url"]?.stringValue { return try EditInputs.url(url, param: "\(param).image_url", isLocalURL: isLocalURL) }
        if let file = mask["file_id"]?.stringValue, EaselID.isValid(file, prefix: "img") { return .asset(file) }
        throw EaselError.invalidRequest("'\(param)' needs 'image_url' (a data URL) or 'file_id' (an Easel asset id).", param: param)
    }

    /// What every read of the turn echoes. The tool comes back with its defaults filled in and a mask sent
    /// as a data URL as the asset it was stored as.
    static func echo(_ request: ResponsesRequest, model: String, maskAssetID: String?) -> [String: JSONValue] {
        var tool: [String: JSONValue] = [
            "type": "image_generation", "action": "auto", "background": "auto", "model": .string(model), "moderation": "auto",
            "output_compression": 100, "output_format": "png", "partial_images": 0, "quality": "auto", "size": "auto",
        ]
        for (key, value) in request.tool { tool[key] = value }
        if let maskAssetID { tool["input_image_mask"] = ["file_id": .string(maskAssetID)] }
        let responseFields: Set<String> = [
            "temperature", "top_p", "top_logprobs", "max_output_tokens", "max_tool_calls", "truncation", "reasoning", "text", "service_tier",
            "prompt_cache_key", "prompt_cache_retention",
        ]
        var echo: [String: JSONValue] = [
            "model": .string(request.model),
            "tools": [.object(tool)],
            "tool_choice": request.toolChoice,
            "instructions": .optional(request.instructions),
            "metadata": .object(request.metadata.mapValues(JSONValue.string)),
            "parallel_tool_calls": .bool(request.parallelToolCalls),
            "user": .optional(request.user),
            "safety_identifier": .optional(request.safetyIdentifier),
            "store": .bool(request.store),
            "settings": .object(request.echoed.filter { responseFields.contains($0.key) }),
        ]
        if request.instructions == nil { echo["instructions"] = .null }
        return echo
    }

    /// An input item as kept: with an id, and without image bytes (an image sent inline is listed by the
    /// asset it was stored as; a replayed image call without its `result`).
    static func storedItem(
        _ item: JSONValue,
        responseID: String,
        index: Int,
        images: inout IndexingIterator<ArraySlice<String>>
    ) -> JSONValue {
        guard case .object(var object) = item else { return item }
        let suffix = responseID.dropFirst("resp_".count)
        switch object["type"]?.stringValue ?? "message" {
        case "image_generation_call":
            object["result"] = .null
            object["status"] = object["status"] ?? "completed"
        case "item_reference", "reasoning":
            break
        default:
            object["type"] = "message"
            object["id"] = object["id"] ?? .string("msg_\(suffix)_\(index)")
            if case .string(let text)? = object["content"] {
                object["content"] = [["type": "input_text", "text": .string(text)]]
            }
            if case .array(let parts)? = object["content"] {
                var kept: [JSONValue] = []
                for part in parts {
                    guard case .object(var fields) = part, fields["type"]?.stringValue == "input_image" else {
                        kept.append(part)
                        continue
                    }
                    if let asset = images.next() {
                        fields.removeValue(forKey: "image_url")
                        fields["file_id"] = .string(asset)
                    }
                    fields["detail"] = fields["detail"] ?? "auto"
                    kept.append(.object(fields))
                }
                object["content"] = .array(kept)
            }
        }
        return .object(object)
    }

    /// Errors from the Images parsers name Images API fields; here they are the tool's (or the input's).
    static func remapped<T>(_ body: () async throws -> T) async throws -> T {
        do { return try await body() } catch let error as EaselError { throw renamed(error) }
    }

    static func remappedNow<T>(_ body: () throws -> T) throws -> T {
        do { return try body() } catch let error as EaselError { throw renamed(error) }
    }

    static func renamed(_ error: EaselError) -> EaselError {
        var error = error
        switch error.param {
        case "prompt"?, "image"?, "image[]"?, "images"?: error.param = "input"
        case "mask"?: error.param = "tools[0].input_image_mask"
        case let param? where ResponsesRequest.toolKeys.contains(param): error.param = "tools[0].\(param)"
        default: break
        }
        return error
    }
}
