import EaselCore
import EaselProviders
import EaselServer
import EaselTesting
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Testing

@Suite("Edits door")
struct EditDoorTests {
    func image(_ response: TestResponse) throws -> Data {
        let b64 = try #require(try response.json["data"]?.arrayValue?.first?["b64_json"]?.stringValue)
        return try #require(Data(base64Encoded: b64))
    }

    @Test func multipartEditWithOneImageKeepsItsSizeAndRecordsLineage() async throws {
        try await AppHarness.run { client, _ in
            var form = EditFixtures.Form(["prompt": "make it a sunset", "model": "easel-draft"])
            form.file("image", try EditFixtures.picture())
            let response = try await client.post("/v1/images/edits", form: form)
            #expect(response.status == .ok, "\(response.text)")
            let info = try #require(ImageHeader.read(try image(response)))
            #expect(info.width == 256 && info.height == 192)
            #expect(try response.json["size"] == "256x192")
            #expect(response.headers[HTTPField.Name("x-easel-draft")!] == "true")
            let jobID = try #require(response.headers[HTTPField.Name("x-easel-job-id")!])
            let job = try await client.get("/api/jobs/\(jobID)").json
            #expect(job["kind"] == "edit")
            let assetID = try #require(job["asset_ids"]?.arrayValue?.first?.stringValue)
            let asset = try await client.get("/api/assets/\(assetID)").json
            let parent = try #require(asset["parent_asset_id"]?.stringValue)
            let upload = try await client.get("/api/assets/\(parent)").json
            #expect(upload["role"] == "upload")
            #expect(upload["width"] == 256)
        }
    }

    @Test func maskedEditKeepsEveryPixelOutsideTheMask() async throws {
        try await AppHarness.run { client, _ in
            let source = try EditFixtures.picture()
            var form = EditFixtures.Form(["prompt": "a red lighthouse", "model": "easel-draft"])
            form.file("image[]", source)
            form.file("mask", try EditFixtures.mask(), filename: "mask.png")
            let response = try await client.post("/v1/images/edits", form: form)
            #expect(response.status == .ok, "\(response.text)")
            let before = try EditFixtures.rgb(source)
            let after = try EditFixtures.rgb(try image(response))
            #expect(before.count == after.count)
            var outside = 0
            var inside = 0
            for y in 0..<192 {
                for x in 0..<256 {
                    let i = (y * 256 + x) * 3
                    let same = before[i..<(i + 3)] == after[i..<(i + 3)]
                    if (64..<160).contains(x) && (32..<128).contains(y) { if !same { inside += 1 } } else if !same { outside += 1 }
                }
            }
            #expect(outside == 0)
            #expect(inside > 96 * 96 / 2)
        }
    }

    @Test func streamsEditEvents() async throws {
        try await AppHarness.run { client, _ in
            var form = EditFixtures.Form(["prompt": "a red lighthouse", "model": "easel-draft", "stream": "true", "partial_images": "2"])
            form.file("image", try EditFixtures.picture())
            let response = try await client.post("/v1/images/edits", form: form)
            #expect(response.status == .ok)
            let events = try SSE.parse(response.text)
            #expect(
                events.map { $0.data["type"]?.stringValue ?? "" } == ["image_edit.partial_image", "image_edit.partial_image", "image_edit.completed"]
            )
        }
    }

    @Test func jsonFormTakesDataURLsAndAssetIDs() async throws {
        try await AppHarness.run { client, _ in
            let dataURL = "data:image/png;base64," + (try EditFixtures.picture()).base64EncodedString()
            let first = try await client.post(
                "/v1/images/edits",
                json: [
                    "prompt": "restyle", "model": "easel-draft", "images": [["image_url": .string(dataURL)]],
                ]
            )
            #expect(first.status == .ok, "\(first.text)")
            let jobID = try #require(first.headers[HTTPField.Name("x-easel-job-id")!])
            let assetID = try #require(try await client.get("/api/jobs/\(jobID)").json["asset_ids"]?.arrayValue?.first?.stringValue)
            let byID = try await client.post(
                "/v1/images/edits",
                json: [
                    "prompt": "again", "model": "easel-draft", "images": [["file_id": .string(assetID)]],
                ]
            )
            #expect(byID.status == .ok, "\(byID.text)")
            let byURL = try await client.post(
                "/v1/images/edits",
                json: [
                    "prompt": "again", "model": "easel-draft", "images": [["image_url": .string("http://127.0.0.1:8080/files/\(assetID)")]],
                ]
            )
            #expect(byURL.status == .ok, "\(byURL.text)")
            let remote = try await client.post(
                "/v1/images/edits",
                json: [
                    "prompt": "again", "model": "easel-draft", "images": [["image_url": "https://example.com/cat.png"]],
                ]
            )
            #expect(remote.status == .badRequest)
            #expect(try remote.errorObject["param"] == "images[0].image_url")
        }
    }

    /// Each rule: status 400 (or 404 for an unknown model) in OpenAI's envelope, naming its param.
    @Test func everyBadInputGetsItsOwnError() async throws {
        let noMask = ModelCapabilities(id: "no-mask", sizes: ModelCapabilities.easelDraft.sizes, supportsMask: false, isDraft: true, ownedBy: "easel")
        let noEdit = ModelCapabilities(
            id: "no-edit",
            sizes: ModelCapabilities.easelDraft.sizes,
            supportsEdits: false,
            isDraft: true,
            ownedBy: "easel"
        )
        let draft = DraftProvider(threads: 1)
        let routes = [
            ProviderRouter.Route(model: .easelDraft, providers: [draft]),
            ProviderRouter.Route(model: noMask, providers: [draft]),
            ProviderRouter.Route(model: noEdit, providers: [draft]),
        ]
        try await AppHarness.run(routes: routes) { client, runtime in
            let picture = try EditFixtures.picture()
            func expectError(
                _ form: EditFixtures.Form,
                param: String?,
                code: String? = nil,
                status: HTTPResponse.Status = .badRequest,
                _ comment: Comment
            ) async throws {
                let response = try await client.post("/v1/images/edits", form: form)
                #expect(response.status == status, comment)
                let error = try response.errorObject
                #expect(error["param"] == param.map(JSONValue.string) ?? .null, comment)
                if let code { #expect(error["code"]?.stringValue == code, comment) }
                #expect(error["message"]?.stringValue?.isEmpty == false, comment)
                #expect(error["type"] == "invalid_request_error", comment)
            }
            let base = ["prompt": "edit", "model": "easel-draft"]

            try await expectError(EditFixtures.Form(base), param: "image", code: "missing_required_parameter", "no image")

            var noPrompt = EditFixtures.Form(["model": "easel-draft"])
            noPrompt.file("image", picture)
            try await expectError(noPrompt, param: "prompt", "no prompt")

            var mixed = EditFixtures.Form(base)
            mixed.file("image", picture)
            mixed.file("image[]", picture)
            try await expectError(mixed, param: "image", code: "invalid_parameter_combination", "image and image[] together")

            var tooMany = EditFixtures.Form(base)
            for _ in 0..<17 { tooMany.file("image[]", try EditFixtures.picture(width: 64, height: 64)) }
            try await expectError(tooMany, param: "image[]", code: "array_above_max_length", "17 images")

            var gif = EditFixtures.Form(base)
            gif.file("image", Data("GIF89a\u{1}\u{0}\u{1}\u{0}".utf8), filename: "x.png", type: "image/png")
            try await expectError(gif, param: "image", code: "unsupported_file_type", "a GIF labelled PNG")

            var bomb = EditFixtures.Form(base)
            bomb.file("image", EditFixtures.bombHeader(width: 30000, height: 30000))
            try await expectError(bomb, param: "image", code: "image_too_large", "decompression bomb")

            var jpegMask = EditFixtures.Form(base)
            jpegMask.file("image", picture)
            let jpeg = try EditFixtures.jpeg(try EditFixtures.picture())
            jpegMask.file("mask", jpeg, filename: "mask.jpg", type: "image/jpeg")
            try await expectError(jpegMask, param: "mask", code: "invalid_mask", "JPEG mask")

            var opaqueMask = EditFixtures.Form(base)
            opaqueMask.file("image", picture)
            opaqueMask.file("mask", try EditFixtures.mask(alpha: false))
            try await expectError(opaqueMask, param: "mask", code: "invalid_mask", "mask without alpha")

            var wrongSize = EditFixtures.Form(base)
            wrongSize.file("image", picture)
            wrongSize.file("mask", try EditFixtures.mask(width: 128, height: 128, hole: (0..<10, 0..<10)))
            try await expectError(wrongSize, param: "mask", code: "invalid_mask", "mask of another size")

            var maskless = EditFixtures.Form(["prompt": "edit", "model": "no-mask"])
            maskless.file("image", picture)
            maskless.file("mask", try EditFixtures.mask())
            try await expectError(maskless, param: "mask", code: "unsupported_parameter", "a route without masks")

            var cannotEdit = EditFixtures.Form(["prompt": "edit", "model": "no-edit"])
            cannotEdit.file("image", picture)
            try await expectError(cannotEdit, param: "model", code: "unsupported_model", "a route that cannot edit")

            var unknown = EditFixtures.Form(["prompt": "edit", "model": "nope"])
            unknown.file("image", picture)
            try await expectError(unknown, param: "model", code: "model_not_found", status: .notFound, "unknown model")

            var badFidelity = EditFixtures.Form(["prompt": "edit", "model": "easel-draft", "input_fidelity": "extreme"])
            badFidelity.file("image", picture)
            try await expectError(badFidelity, param: "input_fidelity", "bad input_fidelity")

            var badN = EditFixtures.Form(["prompt": "edit", "model": "easel-draft", "n": "11"])
            badN.file("image", picture)
            try await expectError(badN, param: "n", "n = 11")

            var stray = EditFixtures.Form(base)
            stray.file("image", picture)
            stray.file("extra", picture)
            try await expectError(stray, param: "extra", code: "unknown_parameter", "a file in an unknown field")

            // A file over 50 MB is refused while it streams in.
            var huge = EditFixtures.Form(base)
            huge.file("image", picture + Data(count: 50 * 1024 * 1024))
            try await expectError(huge, param: "image", code: "file_too_large", "a 50 MB+ file")

            // Nothing was stored for any of the refused requests, and the server still serves.
            let page = try await client.get("/api/jobs").json
            #expect(page["data"]?.arrayValue?.isEmpty == true)
            var good = EditFixtures.Form(base)
            good.file("image", picture)
            #expect(try await client.post("/v1/images/edits", form: good).status == .ok)
            _ = runtime
        }
    }
}
