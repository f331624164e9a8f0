import EaselCore
import Foundation
import Testing

@Suite("Generation request rules")
struct GenerationRequestParserTests {
    let parser = GenerationRequestParser(defaultModel: "easel-draft") { id in
        ModelCapabilities.builtIn.first { $0.id == id }
    }

    func body(_ fields: [String: JSONValue]) -> JSONValue { .object(fields) }

    func error(_ fields: [String: JSONValue]) -> EaselError? {
        do {
            _ = try parser.parse(body(fields), seed: 0)
            return nil
        } catch {
            return error
        }
    }

    @Test func resolvesDefaults() throws {
        let request = try parser.parse(body(["prompt": "an otter"]), seed: 17)
        #expect(request.model == "easel-draft")
        #expect(request.n == 1)
        #expect(request.size == .auto)
        #expect(request.resolvedSize == PixelSize(width: 1024, height: 1024))
        #expect(request.resolvedQuality == "medium")
        #expect(request.outputFormat == .png)
        #expect(request.resolvedBackground == .opaque)
        #expect(request.seed == 17)
        #expect(request.responseFormat == .b64JSON)
    }

    @Test func acceptsTheSDKWireForm() throws {
        // What openai-python 3.54 sends (openai-images-api.md §3.4), plus fields Easel tolerates.
        let request = try parser.parse(
            body([
                "model": "gpt-image-2", "prompt": "p", "moderation": "low", "n": 2, "quality": "low", "size": "1536x864",
                "style": "vivid", "unknown_future_field": .object(["x": 1]),
            ]),
            seed: 0
        )
        #expect(request.resolvedSize == PixelSize(width: 1536, height: 864))
        #expect(request.n == 2 && request.resolvedQuality == "low" && request.moderation == "low")
    }

    @Test(
        arguments: [
            (["size": "banana"], "size"),
            (["size": "1920x1080"], "size"),
            (["size": "4096x4096"], "size"),
            (["size": "3856x1024"], "size"),
            (["size": "48x48"], "size"),
            (["size": "-16x64"], "size"),
            (["n": 0], "n"),
            (["n": 11], "n"),
            (["n": 1.5], "n"),
            (["n": "two"], "n"),
            (["output_compression": 50], "output_compression"),
            (["output_format": "jpeg", "output_compression": 101], "output_compression"),
            (["output_format": "jpeg", "background": "transparent"], "background"),
            (["output_format": "gif"], "output_format"),
            (["output_format": "jpg"], "output_format"),
            (["quality": "hd"], "quality"),
            (["background": "green"], "background"),
            (["moderation": "off"], "moderation"),
            (["partial_images": 4], "partial_images"),
            (["stream": "yes"], "stream"),
            (["response_format": "png"], "response_format"),
            (["stream": true, "response_format": "url"], "response_format"),
            (["seed": -1], "seed"),
        ] as [([String: JSONValue], String)]
    )
    func rejectsBadFieldsNamingTheParam(fields: [String: JSONValue], param: String) throws {
        var all = fields
        all["prompt"] = "a valid prompt"
        let failure = try #require(error(all))
        #expect(failure.status == 400)
        #expect(failure.param == param)
        #expect(failure.type == "invalid_request_error")
    }

    @Test func promptRules() throws {
        #expect(error([:])?.param == "prompt")
        #expect(error([:])?.code == "missing_required_parameter")
        #expect(error(["prompt": ""])?.param == "prompt")
        #expect(error(["prompt": "   \n"])?.param == "prompt")
        #expect(error(["prompt": 42])?.code == "invalid_type")
        #expect(error(["prompt": .string(String(repeating: "a", count: 32001))])?.code == "string_above_max_length")
        #expect(error(["prompt": .string(String(repeating: "a", count: 32000))]) == nil)
    }

    @Test func unknownModelIs404() throws {
        let failure = try #require(error(["prompt": "p", "model": "dall-e-9"]))
        #expect(failure.status == 404)
        #expect(failure.code == "model_not_found")
        #expect(failure.param == "model")
    }

    @Test func gptImage2RulesAreEnforced() throws {
        func sizeError(_ size: String) -> EaselError? { error(["prompt": "p", "model": "gpt-image-2", "size": .string(size)]) }
        #expect(sizeError("1024x1024") == nil)
        #expect(sizeError("3840x2160") == nil)
        #expect(sizeError("2160x3840") == nil)
        #expect(sizeError("1024x640") == nil)
        #expect(sizeError("512x512")?.param == "size")  // under 655,360 pixels
        #expect(sizeError("3840x1024")?.param == "size")  // wider than 3:1
        #expect(sizeError("3840x3840")?.param == "size")  // over 8,294,400 pixels
        #expect(error(["prompt": "p", "model": "gpt-image-2", "background": "transparent"])?.param == "background")
        #expect(error(["prompt": "p", "model": "gpt-image-1.5", "size": "1536x864"])?.param == "size")
        #expect(error(["prompt": "p", "model": "gpt-image-1.5", "size": "1536x1024"]) == nil)
    }

    @Test func multipartStringsAreRead() throws {
        let request = try parser.parse(body(["prompt": "p", "n": "3", "stream": "true", "partial_images": "2"]), seed: 0)
        #expect(request.n == 3 && request.stream && request.partialImages == 2)
    }

    @Test func safetyIdentifierWinsOverUser() throws {
        #expect(try parser.parse(body(["prompt": "p", "user": "u", "safety_identifier": "s"]), seed: 0).user == "s")
        #expect(try parser.parse(body(["prompt": "p", "user": "u", "safety_identifier": ""]), seed: 0).user == "u")
    }

    @Test func nonObjectBodyIsRejected() {
        #expect(throws: EaselError.self) { try parser.parse(.array([]), seed: 0) }
    }
}
