import EaselCore
import Foundation
import HTTPTypes
import Hummingbird

/// `POST /v1/responses` with the `image_generation` tool, in the contract's shape: the body is checked as
/// OpenAI checks it (unknown tool keys such as `n` are refused), one image is made from the user's text (an
/// edit when the input carries images), and nothing is kept (`store: false` is what Easel sends).
extension FakeOpenAIServer {
    func responses(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let raw = try await request.body.collect(upTo: 64 << 20)
        let json = try? JSONParser.parse(raw.readableBytesView)
        let served = state.record(Self.recorded(request, path: "/v1/responses", json: json, fields: [], files: []))
        let requestID = "req_fake_\(served)"
        if let refusal = try await preamble(request, requestID: requestID) { return refusal }
        guard case .object(let body)? = json else {
            return Self.error(400, "invalid_request_error", "invalid_json", nil, "We could not parse the JSON body of your request.", requestID)
        }
        let parsed: ResponsesRequest
        do {
            parsed = try ResponsesRequest(body)
        } catch {
            return Self.error(error.status, error.type, error.code, error.param, error.message, requestID)
        }
        var inputSizes: [PixelSize] = []
        for case .message(_, _, let images) in parsed.items {
            for image in images {
                guard let comma = image.reference.firstIndex(of: ","),
                    let data = Data(base64Encoded: String(image.reference[image.reference.index(after: comma)...])),
                    let header = ImageHeader.read(Array(data.prefix(4096)))
                else {
                    return Self.error(
                        400,
                        "invalid_request_error",
                        "invalid_image_url",
                        image.param,
                        "Could not read the image at '\(image.param)'.",
                        requestID
                    )
                }
                inputSizes.append(PixelSize(width: header.width, height: header.height))
            }
        }
        var fields: [String: JSONValue] = ["prompt": .string(parsed.userText), "model": parsed.tool["model"] ?? "gpt-image-2"]
        for key in ["size", "quality", "background", "output_format", "output_compression", "moderation"] {
            if let value = parsed.tool[key] { fields[key] = value }
        }
        let made: Made
        do {
            made = try make(fields: fields, inputSizes: inputSizes)
        } catch {
            return error.response(requestID)
        }
        let id = "resp_fake\(String(format: "%040d", served))"
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        let record = ResponseRecord(
            id: id,
            userID: "fake",
            jobID: "",
            previousResponseID: nil,
            createdAt: now,
            echo: ["model": .string(parsed.model), "tools": [.object(parsed.tool)], "tool_choice": parsed.toolChoice, "store": .bool(parsed.store)],
            inputItems: [],
            turnText: parsed.userText,
            action: inputSizes.isEmpty ? "generate" : "edit",
            prompt: parsed.userText
        )
        let image = ResponseState.Image(
            base64: made.b64,
            size: made.size.description,
            quality: made.request.resolvedQuality,
            background: made.request.resolvedBackground.rawValue,
            format: made.request.outputFormat.rawValue
        )
        let finished = ResponseState(
            status: .completed,
            image: image,
            usage: made.usage,
            completedAt: now,
            revisedPrompt: "A picture: " + parsed.userText
        )
        return Self.json(ResponseJSON.object(record, finished), headers: [HTTPField.Name("x-request-id")!: requestID])
    }
}
