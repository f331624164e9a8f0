/// Turns a `/v1/images/generations` body into an `ImageRequest`, checking every field against the
/// model's capabilities. Each failure names its `param`, as OpenAI does. Unknown fields are ignored.
public struct GenerationRequestParser: Sendable {
    public var lookupModel: @Sendable (String) -> ModelCapabilities?
    public var defaultModel: String

    public init(defaultModel: String, lookupModel: @escaping @Sendable (String) -> ModelCapabilities?) {
        self.defaultModel = defaultModel
        self.lookupModel = lookupModel
    }

    public func parse(_ body: JSONValue, seed defaultSeed: UInt64) throws(EaselError) -> ImageRequest {
        guard case .object(let fields) = body else {
            throw .invalidRequest("The request body must be a JSON object.", param: nil, code: "invalid_json")
        }
        var reader = FieldReader(fields: fields)
        let caps = try capabilities(fields)
        guard let prompt = try reader.string("prompt") else { throw .missing("prompt") }
        try Self.checkPrompt(prompt, caps: caps)
        return try Self.parseOutputOptions(&reader, caps: caps, prompt: prompt, defaultSeed: defaultSeed)
    }

    public static func checkPrompt(_ prompt: String, caps: ModelCapabilities) throws(EaselError) {
        if prompt.allSatisfy(\.isWhitespace) {
            throw .invalidRequest("'prompt' must not be empty.", param: "prompt", code: "empty_string")
        }
        // Counted as OpenAI counts (its schema's maxLength, and Python's len): Unicode code points, not UTF-8
        // bytes and not grapheme clusters. A CJK character is one; 👍🏽 is two; a family emoji joined by
        // zero-width joiners is several.
        let length = prompt.unicodeScalars.count
        if length > caps.maxPromptLength {
            throw .invalidRequest(
                "'prompt' is too long: \(length) characters (Unicode code points); the maximum for \(caps.id) is \(caps.maxPromptLength).",
                param: "prompt",
                code: "string_above_max_length"
            )
        }
    }

    /// The fields shared by generations and edits: count, size, quality, format, background, streaming.
    public static func parseOutputOptions(
        _ reader: inout FieldReader,
        caps: ModelCapabilities,
        prompt: String,
        defaultSeed: UInt64
    ) throws(EaselError) -> ImageRequest {
        let n = try reader.integer("n") ?? 1
        guard (1...caps.maxImages).contains(n) else {
            throw .invalidRequest(
                "Invalid 'n': \(n). It must be between 1 and \(caps.maxImages) for \(caps.id).",
                param: "n",
                code: n < 1 ? "integer_below_min_value" : "integer_above_max_value"
            )
        }

        let sizeText = try reader.string("size") ?? "auto"
        guard let size = SizeSpec.parse(sizeText) else {
            throw .invalidRequest(
                "Invalid size '\(sizeText)'. Expected WIDTHxHEIGHT, for example '1024x1024', or 'auto'.",
                param: "size"
            )
        }
        let resolvedSize: PixelSize
        switch size {
        case .auto: resolvedSize = caps.sizes.defaultSize
        case .fixed(let pixels):
            if let reason = caps.sizes.violation(for: pixels) { throw .invalidRequest(reason, param: "size") }
            resolvedSize = pixels
        }

        let quality = try reader.string("quality") ?? "auto"
        guard quality == "auto" || caps.qualities.contains(quality) else {
            throw .invalidRequest(
                "Invalid quality '\(quality)' for \(caps.id). Supported values are: \(list(caps.qualities + ["auto"])).",
                param: "quality"
            )
        }
        let resolvedQuality = quality == "auto" ? caps.defaultQuality : quality

        let formatText = try reader.string("output_format") ?? "png"
        guard let outputFormat = ImageFormat(rawValue: formatText), caps.outputFormats.contains(outputFormat) else {
            let hint = formatText == "jpg" ? " Use 'jpeg'." : ""
            throw .invalidRequest(
                "Invalid output_format '\(formatText)'. Supported values are: \(list(caps.outputFormats.map(\.rawValue))).\(hint)",
                param: "output_format"
            )
        }

        let compression = try reader.integer("output_compression")
        if let compression {
            guard outputFormat == .jpeg || outputFormat == .webp else {
                throw .invalidRequest(
                    "'output_compression' is only supported with output_format 'jpeg' or 'webp', not '\(outputFormat.rawValue)'.",
                    param: "output_compression",
                    code: "unsupported_parameter"
                )
            }
            guard (0...100).contains(compression) else {
                throw .invalidRequest(
                    "Invalid 'output_compression': \(compression). It must be between 0 and 100.",
                    param: "output_compression"
                )
            }
        }

        let backgroundText = try reader.string("background") ?? "auto"
        guard let background = ImageBackground(rawValue: backgroundText) else {
            throw .invalidRequest(
                "Invalid background '\(backgroundText)'. Supported values are: 'transparent', 'opaque', and 'auto'.",
                param: "background"
            )
        }
        if background == .transparent {
            guard caps.supportsTransparentBackground else {
                throw .invalidRequest(
                    "\(caps.id) does not support a transparent background. Use 'opaque' or 'auto'.",
                    param: "background",
                    code: "unsupported_value"
                )
            }
            guard outputFormat == .png || outputFormat == .webp else {
                throw .invalidRequest(
                    "A transparent background requires output_format 'png' or 'webp', not '\(outputFormat.rawValue)'.",
                    param: "background",
                    code: "unsupported_value"
                )
            }
        }

        let moderation = try reader.string("moderation") ?? "auto"
        guard moderation == "auto" || moderation == "low" else {
            throw .invalidRequest(
                "Invalid moderation '\(moderation)'. Supported values are: 'low' and 'auto'.",
                param: "moderation"
            )
        }

        let stream = try reader.bool("stream") ?? false
        if stream && !caps.supportsStreaming {
            throw .invalidRequest("\(caps.id) does not support streaming.", param: "stream", code: "unsupported_value")
        }
        let partialImages = try reader.integer("partial_images") ?? 0
        guard (0...3).contains(partialImages) else {
            throw .invalidRequest(
                "Invalid 'partial_images': \(partialImages). It must be between 0 and 3.",
                param: "partial_images"
            )
        }

        let responseText = try reader.string("response_format") ?? "b64_json"
        guard let responseFormat = ResponseFormat(rawValue: responseText) else {
            throw .invalidRequest(
                "Invalid response_format '\(responseText)'. Supported values are: 'b64_json' and 'url'.",
                param: "response_format"
            )
        }
        if stream && responseFormat == .url {
            throw .invalidRequest(
                "response_format 'url' cannot be combined with stream=true.",
                param: "response_format",
                code: "unsupported_value"
            )
        }

        // `safety_identifier` supersedes `user` when both are present (SDK ≥ 3.40).
        var user = try reader.string("safety_identifier")
        if user?.isEmpty ?? true { user = try reader.string("user") }
        let seed = try reader.seed("seed") ?? defaultSeed

        return ImageRequest(
            prompt: prompt,
            model: caps.id,
            n: n,
            size: size,
            resolvedSize: resolvedSize,
            quality: quality,
            resolvedQuality: resolvedQuality,
            background: background,
            outputFormat: outputFormat,
            outputCompression: compression,
            moderation: moderation,
            stream: stream,
            partialImages: partialImages,
            responseFormat: responseFormat,
            user: user,
            seed: seed
        )
    }

    private static func list(_ values: [String]) -> String {
        values.map { "'\($0)'" }.joined(separator: ", ")
    }
}

/// Reads typed optional fields from a JSON object; `null` counts as absent. Also reads the string form of
/// numbers and booleans, since multipart bodies carry every field as text.
public struct FieldReader: Sendable {
    public var fields: [String: JSONValue]

    public init(fields: [String: JSONValue]) {
        self.fields = fields
    }

    public func string(_ key: String) throws(EaselError) -> String? {
        switch fields[key] {
        case nil, .null?: return nil
        case .string(let value)?: return value
        case let other?: throw .invalidType(key, expected: "a string", got: other)
        }
    }

    public func integer(_ key: String) throws(EaselError) -> Int? {
        switch fields[key] {
        case nil, .null?: return nil
        case .number(let value)?:
            guard value.rounded() == value, abs(value) < 1e9 else {
                throw .invalidRequest("Invalid '\(key)': expected an integer, got \(value).", param: key, code: "invalid_type")
            }
            return Int(value)
        case .string(let text)?:
            guard let value = Int(text.trimmingWhitespace) else {
                throw .invalidRequest("Invalid '\(key)': expected an integer, got '\(text)'.", param: key, code: "invalid_type")
            }
            return value
        case let other?: throw .invalidType(key, expected: "an integer", got: other)
        }
    }

    public func bool(_ key: String) throws(EaselError) -> Bool? {
        switch fields[key] {
        case nil, .null?: return nil
        case .bool(let value)?: return value
        case .string("true")?: return true
        case .string("false")?: return false
        case let other?: throw .invalidType(key, expected: "a boolean", got: other)
        }
    }

    /// A non-negative integer seed up to 2^53 (what a JSON number can carry exactly).
    public func seed(_ key: String) throws(EaselError) -> UInt64? {
        guard let value = try integerOrLarge(key) else { return nil }
        guard value >= 0 else {
            throw .invalidRequest("Invalid '\(key)': it must not be negative.", param: key, code: "integer_below_min_value")
        }
        return UInt64(value)
    }

    private func integerOrLarge(_ key: String) throws(EaselError) -> Int64? {
        switch fields[key] {
        case .number(let value)? where value.rounded() == value && abs(value) <= 9_007_199_254_740_992:
            return Int64(value)
        case .string(let text)?:
            if let value = Int64(text) { return value }
            throw .invalidRequest("Invalid '\(key)': expected an integer, got '\(text)'.", param: key, code: "invalid_type")
        default:
            return try integer(key).map(Int64.init)
        }
    }
}

extension String {
    public var trimmingWhitespace: String {
        var view = Substring(self)
        while view.first?.isWhitespace == true { view.removeFirst() }
        while view.last?.isWhitespace == true { view.removeLast() }
        return String(view)
    }
}
