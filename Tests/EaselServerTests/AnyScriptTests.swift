import EaselCore
import EaselTesting
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Testing

/// Prompts in any script go in and come back out unchanged: JSON, server-sent events, errors, multipart
/// fields and download names; the prompt limit counts code points as OpenAI does.
@Suite("Any script through the API")
struct AnyScriptTests {
    static let chinese = "春季营销活动海报，明亮鲜艳的色调"

    @Test func thirtyTwoThousandChineseCharactersPassAndOneMoreIsRefused() async throws {
        try await AppHarness.run { client, _ in
            let longest = String(repeating: "春", count: 32_000)
            let accepted = try await client.post("/v1/images/generations", json: ["prompt": .string(longest), "size": "64x64"])
            #expect(accepted.status == .ok)
            let refused = try await client.post("/v1/images/generations", json: ["prompt": .string(longest + "春"), "size": "64x64"])
            #expect(refused.status == .badRequest)
            #expect(try refused.errorObject["param"] == "prompt")
            #expect(try refused.errorObject["code"] == "string_above_max_length")
        }
    }

    @Test func theUsersWordsComeBackUnchangedInJSONEventsAndErrors() async throws {
        try await AppHarness.run { client, _ in
            let created = try await client.post("/api/jobs", json: ["prompt": .string(Self.chinese), "size": "64x64"]).json
            let id = try #require(created["id"]?.stringValue)
            #expect(created["prompt"]?.stringValue == Self.chinese)
            let job = try await client.finishedJob(id)
            #expect(job["prompt"]?.stringValue == Self.chinese)
            let asset = try #require(job["asset_ids"]?.arrayValue?.first?.stringValue)
            #expect(try await client.get("/api/assets/\(asset)").json["prompt"]?.stringValue == Self.chinese)
            // The event stream of a finished job: its state, as UTF-8 JSON.
            let events = try SSE.parse(try await client.get("/api/jobs/\(id)/events").text)
            #expect(events.contains { $0.data["prompt"]?.stringValue == Self.chinese })
            // An error naming what the user sent repeats it as sent.
            let unknown = try await client.post("/v1/images/generations", json: ["prompt": "x", "model": "模型-二"])
            #expect(unknown.status == .notFound)
            #expect(try unknown.errorObject["message"]?.stringValue?.contains("'模型-二'") == true)
            #expect(unknown.headers[.contentType] == "application/json")
        }
    }

    @Test func multipartFieldsInAnyScriptReachTheJob() async throws {
        try await AppHarness.run { client, _ in
            let arabic = "منارة عند الغسق، ألوان داكنة"
            var form = EditFixtures.Form(["model": "easel-draft", "prompt": arabic])
            form.file("image", try EditFixtures.picture(width: 64, height: 64))
            let response = try await client.post("/v1/images/edits", form: form)
            #expect(response.status == .ok)
            let jobID = try #require(response.headers[HTTPField.Name("x-easel-job-id")!])
            #expect(try await client.get("/api/jobs/\(jobID)").json["prompt"]?.stringValue == arabic)
        }
    }

    @Test func aDownloadIsNamedInTheUsersScript() async throws {
        try await AppHarness.run { client, _ in
            let response = try await client.post("/v1/images/generations", json: ["prompt": .string(Self.chinese), "size": "64x64"])
            let id = try #require(response.headers[HTTPField.Name("x-easel-job-id")!])
            let asset = try #require(try await client.get("/api/jobs/\(id)").json["asset_ids"]?.arrayValue?.first?.stringValue)

            // MUT
            let download = try await client.get("/files/\(asset)?download=1")

            // validate
            #expect(download.status == .ok)
            let disposition = try #require(download.headers[.contentDisposition])
            #expect(disposition.hasPrefix("attachment; filename=\"\(asset).png\"; filename*=UTF-8''"))
            let encoded = try #require(disposition.components(separatedBy: "filename*=UTF-8''").last)
            // Only RFC 5987 attr-chars and %XX are on the wire.
            #expect(encoded.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "!#$&+-.^_`|~%".contains($0)) })
            #expect(encoded.removingPercentEncoding == "春季营销活动海报-\(asset).png")
            // Shown in place, it keeps the same names; an ASCII prompt needs no filename*.
            #expect(
                try await client.get("/files/\(asset)").headers[.contentDisposition]?.hasPrefix("inline; filename=\"\(asset).png\"; filename*=")
                    == true
            )
            let plain = try await client.post("/v1/images/generations", json: ["prompt": "a red fox", "size": "64x64"])
            let plainJob = try #require(plain.headers[HTTPField.Name("x-easel-job-id")!])
            let plainAsset = try #require(try await client.get("/api/jobs/\(plainJob)").json["asset_ids"]?.arrayValue?.first?.stringValue)
            #expect(
                try await client.get("/files/\(plainAsset)?download=1").headers[.contentDisposition]
                    == "attachment; filename=\"A-red-fox-\(plainAsset).png\""
            )
        }
    }
}
