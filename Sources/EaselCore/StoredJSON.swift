/// Hand-written JSON forms of what jobs store. Jobs are encoded on every enqueue and decoded on every claim
/// and read, so these skip the reflection-driven Codable path.
public enum StoredJSONError: Error, CustomStringConvertible {
    case missing(String)
    public var description: String {
        switch self {
        case .missing(let key): "stored JSON lacks '\(key)'"
        }
    }
}

extension JSONValue {
    func required(_ key: String) throws -> JSONValue {
        guard let value = self[key], value != .null else { throw StoredJSONError.missing(key) }
        return value
    }

    func string(_ key: String) throws -> String {
        guard let value = self[key]?.stringValue else { throw StoredJSONError.missing(key) }
        return value
    }

    func optionalString(_ key: String) -> String? { self[key]?.stringValue }

    func value<Value: RawRepresentable>(_ key: String, as type: Value.Type) throws -> Value where Value.RawValue == String {
        guard let value = Value(rawValue: try string(key)) else { throw StoredJSONError.missing(key) }
        return value
    }

    func integer(_ key: String) throws -> Int {
        guard case .number(let value)? = self[key] else { throw StoredJSONError.missing(key) }
        return Int(value)
    }

    func optionalInteger(_ key: String) -> Int? {
        if case .number(let value)? = self[key] { return Int(value) }
        return nil
    }

    func bool(_ key: String) -> Bool {
        if case .bool(let value)? = self[key] { return value }
        return false
    }
}

extension ImageRequest {
    public var json: JSONValue {
        var object: [String: JSONValue] = [
            "prompt": .string(self.prompt), "model": .string(self.model), "n": .int(self.n), "size": .string(self.size.description),
            "resolved_size": .string(self.resolvedSize.description), "quality": .string(self.quality),
            "resolved_quality": .string(self.resolvedQuality), "background": .string(self.background.rawValue),
            "output_format": .string(self.outputFormat.rawValue), "moderation": .string(self.moderation), "stream": .bool(self.stream),
            "partial_images": .int(self.partialImages), "response_format": .string(self.responseFormat.rawValue),
            // A seed can exceed 2^53, so it is kept as text.
            "seed": .string(String(self.seed)),
        ]
        if let outputCompression = self.outputCompression { object["output_compression"] = .int(outputCompression) }
        if let user = self.user { object["user"] = .string(user) }
        if let inputFidelity = self.inputFidelity { object["input_fidelity"] = .string(inputFidelity) }
        return .object(object)
    }

    public init(json: JSONValue) throws {
        guard let size = SizeSpec.parse(try json.string("size")),
            let resolved = PixelSize.parse(try json.string("resolved_size"))
        else { throw StoredJSONError.missing("size") }
        self.init(
            prompt: try json.string("prompt"),
            model: try json.string("model"),
            n: try json.integer("n"),
            size: size,
            resolvedSize: resolved,
            quality: try json.string("quality"),
            resolvedQuality: try json.string("resolved_quality"),
            background: try json.value("background", as: ImageBackground.self),
            outputFormat: try json.value("output_format", as: ImageFormat.self),
            outputCompression: json.optionalInteger("output_compression"),
            moderation: try json.string("moderation"),
            stream: json.bool("stream"),
            partialImages: try json.integer("partial_images"),
            responseFormat: try json.value("response_format", as: ResponseFormat.self),
            user: json.optionalString("user"),
            seed: UInt64(try json.string("seed")) ?? 0,
            inputFidelity: json.optionalString("input_fidelity")
        )
    }
}

extension JobPayload {
    public var json: JSONValue {
        var object: [String: JSONValue] = ["request": request.json]
        if !inputAssetIDs.isEmpty { object["input_asset_ids"] = .array(inputAssetIDs.map(JSONValue.string)) }
        if let maskAssetID { object["mask_asset_id"] = .string(maskAssetID) }
        if let parentAssetID { object["parent_asset_id"] = .string(parentAssetID) }
        if let upscaleFactor { object["upscale_factor"] = .int(upscaleFactor) }
        if billed { object["billed"] = .bool(true) }
        if postpaid { object["postpaid"] = .bool(true) }
        if let origin { object["origin"] = origin.json }
        if tier != .standard { object["tier"] = .string(tier.rawValue) }
        if pricePercent != 100 { object["price_percent"] = .int(pricePercent) }
        if let responsesModel { object["responses_model"] = .string(responsesModel) }
        if let webhookEndpointID { object["webhook_endpoint_id"] = .string(webhookEndpointID) }
        return .object(object)
    }

    public init(json: JSONValue) throws {
        var inputs: [String] = []
        if case .array(let items)? = json["input_asset_ids"] { inputs = items.compactMap(\.stringValue) }
        self.init(
            request: try ImageRequest(json: try json.required("request")),
            inputAssetIDs: inputs,
            maskAssetID: json.optionalString("mask_asset_id"),
            parentAssetID: json.optionalString("parent_asset_id"),
            upscaleFactor: json.optionalInteger("upscale_factor")
        )
        billed = json.bool("billed")
        postpaid = json.bool("postpaid")
        if let value = json["origin"] { origin = try CreativeOrigin(json: value) }
        if json["tier"] != nil { tier = try json.value("tier", as: ServiceTier.self) }
        pricePercent = json.optionalInteger("price_percent") ?? 100
        responsesModel = json.optionalString("responses_model")
        webhookEndpointID = json.optionalString("webhook_endpoint_id")
    }
}

extension ImageUsage {
    public init(json: JSONValue) {
        let details = json["input_tokens_details"]
        let outDetails = json["output_tokens_details"]
        self.init(
            inputTextTokens: details?.optionalInteger("text_tokens") ?? 0,
            inputImageTokens: details?.optionalInteger("image_tokens") ?? 0,
            outputTokens: json.optionalInteger("output_tokens") ?? 0,
            outputImageTokens: outDetails?.optionalInteger("image_tokens"),
            outputTextTokens: outDetails?.optionalInteger("text_tokens")
        )
    }
}

extension JobResult {
    public var json: JSONValue {
        var object: [String: JSONValue] = [
            "asset_ids": .array(assetIDs.map(JSONValue.string)), "provider": .string(provider), "draft": .bool(isDraft),
        ]
        if let usage { object["usage"] = usage.json }
        if let upstreamRequestID { object["upstream_request_id"] = .string(upstreamRequestID) }
        if let cachedFrom { object["cached_from"] = .string(cachedFrom) }
        if let revisedPrompt { object["revised_prompt"] = .string(revisedPrompt) }
        return .object(object)
    }

    public init(json: JSONValue) throws {
        var ids: [String] = []
        if case .array(let items)? = json["asset_ids"] { ids = items.compactMap(\.stringValue) }
        self.init(
            assetIDs: ids,
            usage: json["usage"].map(ImageUsage.init(json:)),
            provider: try json.string("provider"),
            isDraft: json.bool("draft"),
            upstreamRequestID: json.optionalString("upstream_request_id"),
            cachedFrom: json.optionalString("cached_from"),
            revisedPrompt: json.optionalString("revised_prompt")
        )
    }
}

extension JobError {
    public var json: JSONValue {
        var object: [String: JSONValue] = [
            "status": .int(status), "type": .string(type), "message": .string(message), "retryable": .bool(retryable),
        ]
        if let code { object["code"] = .string(code) }
        if let param { object["param"] = .string(param) }
        if let upstreamRequestID { object["upstream_request_id"] = .string(upstreamRequestID) }
        if let provider { object["provider"] = .string(provider) }
        if let moderationDetails { object["moderation_details"] = .string(moderationDetails) }
        return .object(object)
    }

    public init(json: JSONValue) throws {
        self.init(
            status: try json.integer("status"),
            type: try json.string("type"),
            code: json.optionalString("code"),
            param: json.optionalString("param"),
            message: try json.string("message"),
            retryable: json.bool("retryable"),
            upstreamRequestID: json.optionalString("upstream_request_id"),
            provider: json.optionalString("provider"),
            moderationDetails: json.optionalString("moderation_details")
        )
    }
}

extension CreativeOrigin {
    public var json: JSONValue {
        var object: [String: JSONValue] = [:]
        if let brief { object["brief"] = brief.json }
        if let template { object["template"] = .string(template) }
        if !variables.isEmpty { object["variables"] = .object(variables.mapValues(JSONValue.string)) }
        if let brandKit { object["brand_kit"] = .string(brandKit) }
        if let batchIndex { object["batch_index"] = .int(batchIndex) }
        if let batchRow { object["batch_row"] = .int(batchRow) }
        return .object(object)
    }

    public init(json: JSONValue) throws {
        self.init(
            brief: try json["brief"].map { value throws(EaselError) in try Brief(json: value) },
            template: json.optionalString("template"),
            variables: json["variables"]?.objectValue?.compactMapValues(\.stringValue) ?? [:],
            brandKit: json.optionalString("brand_kit")
        )
        batchIndex = json.optionalInteger("batch_index")
        batchRow = json.optionalInteger("batch_row")
    }
}
