/// A `POST /v1/responses` body for an image conversation, read and checked as OpenAI's contract defines it
/// (openai-python 3.57's `ResponseCreateParams`). Easel has no text model, so the only tool is
/// `image_generation`; the text-model knobs are accepted and echoed, and what needs a text model is refused.
public struct ResponsesRequest: Sendable {
    /// An image named in the input: a URL (data URL or Easel file URL) or an Easel asset id.
    public struct ImageInput: Sendable, Hashable {
        public var reference: String
        public var param: String
    }

    public enum Item: Sendable {
        /// A message; `texts` are its `input_text`/`output_text` parts (or its string content).
        case message(role: String, texts: [String], images: [ImageInput])
        /// An earlier image by id (`{"type": "image_generation_call", "id": "ig_…"}` or an `item_reference`),
        /// or the whole earlier item with its base64 `result`.
        case imageCall(id: String, result: String?, param: String)
    }

    public var model: String
    public var items: [Item]
    /// The input items as sent (`input_items` lists them).
    public var input: [JSONValue]
    public var instructions: String?
    /// The `image_generation` tool as sent.
    public var tool: [String: JSONValue]
    public var toolChoice: JSONValue
    public var previousResponseID: String?
    public var store: Bool
    public var stream: Bool
    public var metadata: [String: String]
    public var user: String?
    public var safetyIdentifier: String?
    public var parallelToolCalls: Bool
    /// Text-model settings Easel accepts and echoes unchanged.
    public var echoed: [String: JSONValue]

    public var action: String { tool["action"]?.stringValue ?? "auto" }
    public var partialImages: Int { tool["partial_images"].flatMap(\.intValue) ?? 0 }

    /// This turn's user text, in order.
    public var userText: String {
        items.compactMap { item -> String? in
            guard case .message("user", let texts, _) = item else { return nil }
            return texts.joined(separator: "\n")
        }.filter { !$0.isEmpty }.joined(separator: "\n")
    }

    /// System and developer messages and `instructions`: context for the prompt.
    public var guidance: [String] {
        var guidance = instructions.map { [$0] } ?? []
        for case .message(let role, let texts, _) in items where role == "system" || role == "developer" { guidance += texts }
        return guidance.filter { !$0.isEmpty }
    }

    public static let toolKeys: Set<String> = [
        "type", "model", "action", "size", "quality", "background", "output_format", "output_compression", "partial_images",
        "moderation", "input_fidelity", "input_image_mask",
    ]
    /// Known to OpenAI's tool but not made by Easel's image routes.
    static let unsupportedToolKeys: Set<String> = ["complexity", "frame_count", "frame_duration_ms", "svg"]
    static let echoedKeys: Set<String> = [
        "temperature", "top_p", "top_logprobs", "max_output_tokens", "max_tool_calls", "truncation", "reasoning", "text",
        "service_tier", "include", "prompt_cache_key", "prompt_cache_options", "prompt_cache_retention", "context_management",
        "access_programs", "image", "moderation", "stream_options",
    ]
    static let ownKeys: Set<String> = [
        "model", "input", "instructions", "tools", "tool_choice", "previous_response_id", "store", "stream", "metadata",
        "safety_identifier", "user", "parallel_tool_calls", "background", "background_options", "conversation", "prompt",
    ]

    public init(_ body: [String: JSONValue]) throws(EaselError) {
        for key in body.keys.sorted() where !Self.ownKeys.contains(key) && !Self.echoedKeys.contains(key) {
            throw .invalidRequest("Unknown parameter: '\(key)'.", param: key, code: "unknown_parameter")
        }
        guard case .string(let model)? = body["model"], !model.isEmpty else {
            throw body["model"] == nil || body["model"] == .null
                ? .missing("model") : .invalidType("model", expected: "a non-empty string", got: body["model"]!)
        }
        self.model = model
        for key in ["conversation", "prompt", "background_options"] where body[key] != nil && body[key] != .null {
            throw .invalidRequest(
                "'\(key)' is not supported by Easel's Responses API (it has no stored conversations or prompts).",
                param: key,
                code: "unsupported_parameter"
            )
        }
        if try Self.bool(body, "background") == true {
            throw .invalidRequest(
                "Background mode is not available on Easel: leave 'background' out and use stream=true, or follow the job Easel makes.",
                param: "background",
                code: "unsupported_parameter"
            )
        }
        store = try Self.bool(body, "store") ?? true
        stream = try Self.bool(body, "stream") ?? false
        parallelToolCalls = try Self.bool(body, "parallel_tool_calls") ?? true
        instructions = try Self.string(body, "instructions")
        previousResponseID = try Self.string(body, "previous_response_id")
        user = try Self.string(body, "user")
        safetyIdentifier = try Self.string(body, "safety_identifier")
        if let safetyIdentifier, safetyIdentifier.count > 128 {
            throw .invalidRequest("'safety_identifier' is longer than 128 characters.", param: "safety_identifier", code: "string_above_max_length")
        }
        metadata = try Self.metadata(body["metadata"])
        tool = try Self.imageTool(body["tools"])
        toolChoice = try Self.toolChoice(body["tool_choice"])
        (items, input) = try Self.items(body["input"])
        echoed = body.filter { Self.echoedKeys.contains($0.key) && $0.value != .null }
        if userText.isEmpty {
            throw .invalidRequest(
                "'input' needs the user's text for this turn (a string, or a user message with 'input_text'): it is the image prompt.",
                param: "input",
                code: "missing_required_parameter"
            )
        }
    }

    // MARK: fields

    static func bool(_ body: [String: JSONValue], _ key: String) throws(EaselError) -> Bool? {
        switch body[key] {
        case nil, .null?: return nil
        case .bool(let value)?: return value
        case let other?: throw .invalidType(key, expected: "a boolean", got: other)
        }
    }

    static func string(_ body: [String: JSONValue], _ key: String, param: String? = nil) throws(EaselError) -> String? {
        switch body[key] {
        case nil, .null?: return nil
        case .string(let value)?: return value
        case let other?: throw .invalidType(param ?? key, expected: "a string", got: other)
        }
    }

    static func metadata(_ value: JSONValue?) throws(EaselError) -> [String: String] {
        guard let value, value != .null else { return [:] }
        guard case .object(let object) = value else { throw .invalidType("metadata", expected: "an object of strings", got: value) }
        guard object.count <= 16 else {
            throw .invalidRequest(
                "'metadata' has \(object.count) keys; at most 16 are allowed.",
                param: "metadata",
                code: "object_above_max_properties"
            )
        }
        var metadata: [String: String] = [:]
        for (key, entry) in object {
            guard key.count <= 64 else {
                throw .invalidRequest(
                    "Metadata key '\(key.prefix(20))…' is longer than 64 characters.",
                    param: "metadata",
                    code: "string_above_max_length"
                )
            }
            guard case .string(let text) = entry else { throw .invalidType("metadata.\(key)", expected: "a string", got: entry) }
            guard text.count <= 512 else {
                throw .invalidRequest(
                    "Metadata value of '\(key)' is longer than 512 characters.",
                    param: "metadata.\(key)",
                    code: "string_above_max_length"
                )
            }
            metadata[key] = text
        }
        return metadata
    }

    /// Exactly one `image_generation` tool, with only the keys OpenAI's tool has.
    static func imageTool(_ value: JSONValue?) throws(EaselError) -> [String: JSONValue] {
        guard case .array(let tools)? = value, !tools.isEmpty else {
            throw .invalidRequest(
                "Easel's Responses API makes images: send tools=[{\"type\": \"image_generation\"}].",
                param: "tools",
                code: value == nil || value == .null ? "missing_required_parameter" : "invalid_value"
            )
        }
        var found: [String: JSONValue]?
        for (index, entry) in tools.enumerated() {
            guard case .object(let tool) = entry else { throw .invalidType("tools[\(index)]", expected: "an object", got: entry) }
            guard tool["type"]?.stringValue == "image_generation" else {
                throw .invalidRequest(
                    "Easel supports only the 'image_generation' tool; '\(tool["type"]?.stringValue ?? "?")' needs a text model, which Easel does not have.",
                    param: "tools",
                    code: "unsupported_value"
                )
            }
            guard found == nil else {
                throw .invalidRequest("Send one 'image_generation' tool, not several.", param: "tools", code: "invalid_value")
            }
            for key in tool.keys.sorted() where !toolKeys.contains(key) {
                let param = "tools[\(index)].\(key)"
                if unsupportedToolKeys.contains(key) {
                    throw .invalidRequest("'\(param)' is not supported by Easel's image routes.", param: param, code: "unsupported_parameter")
                }
                throw .invalidRequest("Unknown parameter: '\(param)'.", param: param, code: "unknown_parameter")
            }
            if let action = tool["action"], action != .null {
                guard let text = action.stringValue, ["auto", "generate", "edit"].contains(text) else {
                    throw .invalidRequest(
                        "'tools[\(index)].action' must be 'auto', 'generate' or 'edit'.",
                        param: "tools[\(index)].action",
                        code: "invalid_value"
                    )
                }
            }
            if let partials = tool["partial_images"], partials != .null {
                guard let count = partials.intValue, (0...3).contains(count) else {
                    throw .invalidRequest(
                        "'tools[\(index)].partial_images' must be an integer from 0 to 3.",
                        param: "tools[\(index)].partial_images",
                        code: "invalid_value"
                    )
                }
            }
            found = tool.filter { $0.value != .null }
        }
        return found ?? [:]
    }

    /// `auto`, `required`, `{"type": "image_generation"}` or `allowed_tools` naming it all mean "make the image";
    /// `none` would ask a text model to answer instead.
    static func toolChoice(_ value: JSONValue?) throws(EaselError) -> JSONValue {
        switch value {
        case nil, .null?: return "auto"
        case .string("auto")?, .string("required")?: return value!
        case .string("none")?:
            throw .invalidRequest(
                "tool_choice 'none' asks for a text answer, and Easel has no text model: use 'auto' or {\"type\": \"image_generation\"}.",
                param: "tool_choice",
                code: "invalid_value"
            )
        case .object(let object)?:
            if object["type"]?.stringValue == "image_generation" { return value! }
            if object["type"]?.stringValue == "allowed_tools", case .array(let tools)? = object["tools"],
                tools.contains(where: { $0["type"]?.stringValue == "image_generation" })
            {
                return value!
            }
            throw .invalidRequest("tool_choice must choose the 'image_generation' tool.", param: "tool_choice", code: "invalid_value")
        case let other?:
            throw .invalidType("tool_choice", expected: "'auto', 'required' or {\"type\": \"image_generation\"}", got: other)
        }
    }

    static func items(_ value: JSONValue?) throws(EaselError) -> ([Item], [JSONValue]) {
        switch value {
        case .string(let text)?:
            return ([.message(role: "user", texts: [text], images: [])], [["role": "user", "content": .string(text)]])
        case .array(let list)?:
            var items: [Item] = []
            for (index, entry) in list.enumerated() {
                if let item = try Self.item(entry, param: "input[\(index)]") { items.append(item) }
            }
            return (items, list)
        case nil, .null?:
            throw .missing("input")
        case let other?:
            throw .invalidType("input", expected: "a string or a list of input items", got: other)
        }
    }

    static func item(_ value: JSONValue, param: String) throws(EaselError) -> Item? {
        guard case .object(let object) = value else { throw .invalidType(param, expected: "an input item object", got: value) }
        let type = object["type"]?.stringValue ?? (object["role"] != nil ? "message" : nil)
        switch type {
        case "message":
            guard let role = object["role"]?.stringValue, ["user", "assistant", "system", "developer"].contains(role) else {
                throw .invalidRequest(
                    "'\(param).role' must be 'user', 'assistant', 'system' or 'developer'.",
                    param: "\(param).role",
                    code: "invalid_value"
                )
            }
            return try message(role: role, content: object["content"], param: param)
        case "image_generation_call", "item_reference":
            guard let id = object["id"]?.stringValue, !id.isEmpty else { throw .missing("\(param).id") }
            let result = type == "image_generation_call" ? object["result"]?.stringValue : nil
            return .imageCall(id: id, result: result, param: param)
        case "reasoning":
            return nil
        default:
            throw .invalidRequest(
                "Input items of type '\(type ?? "?")' are not supported by Easel: send messages (input_text, input_image) and image_generation_call items.",
                param: "\(param).type",
                code: "unsupported_value"
            )
        }
    }

    static func message(role: String, content: JSONValue?, param: String) throws(EaselError) -> Item {
        switch content {
        case .string(let text)?:
            return .message(role: role, texts: [text], images: [])
        case .array(let parts)?:
            var texts: [String] = []
            var images: [ImageInput] = []
            for (index, part) in parts.enumerated() {
                let partParam = "\(param).content[\(index)]"
                guard case .object(let object) = part else { throw .invalidType(partParam, expected: "a content part object", got: part) }
                switch object["type"]?.stringValue {
                case "input_text", "output_text":
                    guard case .string(let text)? = object["text"] else { throw .missing("\(partParam).text") }
                    texts.append(text)
                case "input_image":
                    guard role == "user" else {
                        throw .invalidRequest("Images go in user messages.", param: "\(partParam).type", code: "invalid_value")
                    }
                    if let url = object["image_url"]?.stringValue {
                        images.append(ImageInput(reference: url, param: "\(partParam).image_url"))
                    } else if let file = object["file_id"]?.stringValue {
                        images.append(ImageInput(reference: file, param: "\(partParam).file_id"))
                    } else {
                        throw .invalidRequest("'\(partParam)' needs 'image_url' or 'file_id'.", param: partParam, code: "missing_required_parameter")
                    }
                case "refusal":
                    continue
                default:
                    throw .invalidRequest(
                        "Content parts of type '\(object["type"]?.stringValue ?? "?")' are not supported by Easel: send input_text and input_image.",
                        param: "\(partParam).type",
                        code: "unsupported_value"
                    )
                }
            }
            return .message(role: role, texts: texts, images: images)
        case nil, .null?:
            throw .missing("\(param).content")
        case let other?:
            throw .invalidType("\(param).content", expected: "a string or a list of content parts", got: other)
        }
    }
}
