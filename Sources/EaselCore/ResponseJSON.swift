/// The `Response` object and its stream events exactly as the contract has them: every field the SDKs'
/// strict parsers require, every time (openai-python 3.57, `_strict_response_validation=True`).
public enum ResponseJSON {
    /// The whole response: an in-progress snapshot has no output yet and no usage.
    public static func object(_ record: ResponseRecord, _ state: ResponseState) -> JSONValue {
        var object: [String: JSONValue] = [
            "id": .string(record.id),
            "object": "response",
            "created_at": .int(record.createdAt / 1000),
            "status": .string(state.status.rawValue),
            "background": false,
            "completed_at": state.status == .completed ? .int((state.completedAt ?? record.createdAt) / 1000) : .null,
            "error": state.error.map { .object(["code": .string($0.code), "message": .string($0.message)]) } ?? .null,
            "incomplete_details": .null,
            "instructions": record.echo["instructions"] ?? .null,
            "max_output_tokens": .null,
            "max_tool_calls": .null,
            "model": record.echo["model"] ?? .null,
            "output": .array(output(record, state)),
            "parallel_tool_calls": record.echo["parallel_tool_calls"] ?? true,
            "previous_response_id": .optional(record.previousResponseID),
            "reasoning": ["effort": .null, "summary": .null],
            "safety_identifier": record.echo["safety_identifier"] ?? .null,
            "service_tier": "default",
            "store": record.echo["store"] ?? true,
            "temperature": 1.0,
            "text": ["format": ["type": "text"], "verbosity": "medium"],
            "tool_choice": record.echo["tool_choice"] ?? "auto",
            "tools": record.echo["tools"] ?? [],
            "top_logprobs": 0,
            "top_p": 1.0,
            "truncation": "disabled",
            "user": record.echo["user"] ?? .null,
            "metadata": record.echo["metadata"] ?? [:],
            "usage": .null,
            "tool_usage": .null,
        ]
        // The text-model settings the client sent come back as sent.
        for (key, value) in record.echo["settings"]?.objectValue ?? [:] { object[key] = value }
        if state.status != .inProgress {
            object["usage"] = [
                "input_tokens": 0, "input_tokens_details": ["cached_tokens": 0, "cache_write_tokens": 0],
                "output_tokens": 0, "output_tokens_details": ["reasoning_tokens": 0], "total_tokens": 0,
            ]
            object["tool_usage"] = ["image_gen": (state.usage ?? .zero).json, "web_search": ["num_requests": 0]]
        }
        return .object(object)
    }

    static func output(_ record: ResponseRecord, _ state: ResponseState) -> [JSONValue] {
        switch state.status {
        case .inProgress: []
        case .completed: [imageCall(record, state), message(record, done: true)]
        case .failed, .cancelled: [imageCall(record, state)]
        }
    }

    /// The `image_generation_call` item: `completed` whenever it carries its image.
    public static func imageCall(_ record: ResponseRecord, _ state: ResponseState) -> JSONValue {
        var item: [String: JSONValue] = ["id": .string(record.imageCallID), "type": "image_generation_call", "result": .null]
        switch state.status {
        case .inProgress:
            item["status"] = "in_progress"
        case .completed:
            item["status"] = "completed"
            item["action"] = .string(record.action)
            item["revised_prompt"] = .string(state.revisedPrompt ?? record.prompt)
            if let image = state.image {
                item["result"] = .string(image.base64)
                item["size"] = .string(image.size)
                item["quality"] = .string(image.quality)
                item["background"] = .string(image.background)
                item["output_format"] = .string(image.format)
            }
        case .failed, .cancelled:
            item["status"] = "failed"
            item["action"] = .string(record.action)
            if let error = state.error {
                item["error"] = ["code": .string(error.code), "message": .string(error.message), "type": "image_generation_error"]
            }
        }
        return .object(item)
    }

    static func messageText(_ record: ResponseRecord) -> String {
        record.action == "edit" ? "Here is the edited image." : "Here is the image."
    }

    /// The short assistant message after the image.
    static func message(_ record: ResponseRecord, done: Bool) -> JSONValue {
        [
            "id": .string(record.messageID), "type": "message", "role": "assistant", "status": done ? "completed" : "in_progress",
            "content": done ? [outputText(messageText(record))] : [],
        ]
    }

    static func outputText(_ text: String) -> JSONValue {
        ["type": "output_text", "text": .string(text), "annotations": [], "logprobs": []]
    }

    // MARK: events

    /// Events are numbered from 0: five that open the stream, one per partial image, then the ones that
    /// close it. A resumed stream numbers them the same way.
    public static let openingEvents = 5

    /// `response.created` … `response.image_generation_call.generating`.
    public static func opening(_ record: ResponseRecord) -> [JSONValue] {
        let snapshot = object(record, .inProgress)
        let item: JSONValue = ["id": .string(record.imageCallID), "type": "image_generation_call", "status": "in_progress", "result": .null]
        return [
            event("response.created", 0, ["response": snapshot]),
            event("response.in_progress", 1, ["response": snapshot]),
            event("response.output_item.added", 2, ["output_index": 0, "item": item]),
            event("response.image_generation_call.in_progress", 3, ["output_index": 0, "item_id": .string(record.imageCallID)]),
            event("response.image_generation_call.generating", 4, ["output_index": 0, "item_id": .string(record.imageCallID)]),
        ]
    }

    /// One partial image (`index` from 0), with the request's output settings.
    public static func partial(_ record: ResponseRecord, index: Int, base64: String) -> JSONValue {
        let tool = record.echo["tools"]?.arrayValue?.first ?? [:]
        return event(
            "response.image_generation_call.partial_image",
            openingEvents + index,
            [
                "output_index": 0, "item_id": .string(record.imageCallID), "partial_image_index": .int(index),
                "partial_image_b64": .string(base64), "size": tool["size"] ?? "auto", "quality": tool["quality"] ?? "auto",
                "background": tool["background"] ?? "auto", "output_format": tool["output_format"] ?? "png",
            ]
        )
    }

    /// From the end of the image to `response.completed` (or `response.failed`), after `partials` partials.
    public static func closing(_ record: ResponseRecord, _ state: ResponseState, partials: Int) -> [JSONValue] {
        var number = openingEvents + partials
        func next(_ type: String, _ fields: [String: JSONValue]) -> JSONValue {
            defer { number += 1 }
            return event(type, number, fields)
        }
        let itemID: JSONValue = .string(record.imageCallID)
        let messageID: JSONValue = .string(record.messageID)
        var events: [JSONValue] = []
        guard state.status == .completed else {
            events.append(next("response.output_item.done", ["output_index": 0, "item": imageCall(record, state)]))
            events.append(next("response.failed", ["response": object(record, state)]))
            return events
        }
        let text = messageText(record)
        let part = ["content_index": 0, "item_id": messageID, "output_index": 1] as [String: JSONValue]
        events.append(next("response.image_generation_call.completed", ["output_index": 0, "item_id": itemID]))
        events.append(next("response.output_item.done", ["output_index": 0, "item": imageCall(record, state)]))
        events.append(next("response.output_item.added", ["output_index": 1, "item": message(record, done: false)]))
        events.append(next("response.content_part.added", part.merging(["part": outputText("")]) { $1 }))
        events.append(next("response.output_text.delta", part.merging(["delta": .string(text), "logprobs": []]) { $1 }))
        events.append(next("response.output_text.done", part.merging(["text": .string(text), "logprobs": []]) { $1 }))
        events.append(next("response.content_part.done", part.merging(["part": outputText(text)]) { $1 }))
        events.append(next("response.output_item.done", ["output_index": 1, "item": message(record, done: true)]))
        events.append(next("response.completed", ["response": object(record, state)]))
        return events
    }

    static func event(_ type: String, _ number: Int, _ fields: [String: JSONValue]) -> JSONValue {
        var object = fields
        object["type"] = .string(type)
        object["sequence_number"] = .int(number)
        return .object(object)
    }
}
