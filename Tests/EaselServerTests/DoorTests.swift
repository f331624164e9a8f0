import EaselCore
import EaselImaging
import EaselServer
import EaselStore
import EaselTesting
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Testing

/// `/v1/images/generations` end to end through the router, the queue and the draft renderer.
@Suite("OpenAI-compatible door")
struct DoorTests {
    @Test func generatesARealImageOfTheRequestedSize() async throws {
        try await AppHarness.run { client, runtime in
            let response = try await client.post(
                "/v1/images/generations",
                json: [
                    "model": "easel-draft", "prompt": "a lighthouse at dusk", "size": "320x192",
                ]
            )
            #expect(response.status == .ok)
            let body = try response.json
            let b64 = try #require(body["data"].flatMap { if case .array(let items) = $0 { items.first?["b64_json"]?.stringValue } else { nil } })
            let png = try #require(Data(base64Encoded: b64))
            #expect(try ImageHeader.decoding(png) == ImageHeader(format: .png, width: 320, height: 192, hasAlpha: false))
            #expect(body["size"] == "320x192")
            #expect(body["quality"] == "medium")
            #expect(body["background"] == "opaque")
            #expect(body["output_format"] == "png")
            #expect(body["usage"]?["total_tokens"] == 0)
            if case .number(let created)? = body["created"] { #expect(created > 1_700_000_000) } else { Issue.record("no created") }
            #expect(response.headers[HTTPField.Name("x-easel-draft")!] == "true")
            #expect(response.headers[HTTPField.Name("x-request-id")!]?.hasPrefix("req_") == true)

            // The job behind it is stored, succeeded, and points at a real file.
            let jobID = try #require(response.headers[HTTPField.Name("x-easel-job-id")!])
            let job = try await client.get("/api/jobs/\(jobID)").json
            #expect(job["status"] == "succeeded")
            #expect(job["draft"] == true)
            guard case .array(let assetIDs)? = job["asset_ids"], let assetID = assetIDs.first?.stringValue else {
                Issue.record("no asset")
                return
            }
            let file = try await client.get("/files/\(assetID)")
            #expect(file.status == .ok)
            #expect(file.headers[.contentType] == "image/png")
            #expect(Data(buffer: file.body) == png)
            let etag = try #require(file.headers[.eTag])
            let again = try await client.get("/files/\(assetID)", headers: [.ifNoneMatch: etag])
            #expect(again.status == .notModified)
            let thumb = try await client.get("/files/\(assetID)/thumb")
            #expect(thumb.status == .ok)
            #expect(thumb.headers[.contentType] == "image/webp")
            #expect(try ImageHeader.decoding(Data(buffer: thumb.body)).width == 256)
            let asset = try await client.get("/api/assets/\(assetID)").json
            #expect(asset["width"] == 320)
            #expect(asset["draft"] == true)
            _ = runtime
        }
    }

    /// A provider's image (bytes, not pixels in hand) gets its thumbnail in the background once the job is done,
    /// without anyone asking for it; the first request for it then finds it ready.
    @Test func providerImagesGetThumbnailsWithoutBeingAsked() async throws {
        let provider = ScriptedProvider([])
        try await AppHarness.run(routes: [.init(model: .easelDraft, providers: [provider])]) { client, runtime in
            let response = try await client.post("/v1/images/generations", json: ["prompt": "a mug", "size": "320x192"])
            #expect(response.status == .ok)
            let jobID = try #require(response.headers[HTTPField.Name("x-easel-job-id")!])
            let job = try await client.get("/api/jobs/\(jobID)").json
            guard case .array(let assetIDs)? = job["asset_ids"], let assetID = assetIDs.first?.stringValue else {
                Issue.record("no asset")
                return
            }
            let store = SQLAssetStore(database: runtime.database)
            var thumbKey: String?
            for _ in 0..<200 where thumbKey == nil {
                thumbKey = try await store.asset(id: assetID)?.thumbKey
                if thumbKey == nil { try await Task.sleep(for: .milliseconds(25)) }
            }
            #expect(thumbKey != nil, "no thumbnail 5 s after the job")
            let thumb = try await client.get("/files/\(assetID)/thumb")
            #expect(thumb.status == .ok)
            #expect(try ImageHeader.decoding(Data(buffer: thumb.body)) == ImageHeader(format: .webp, width: 256, height: 154, hasAlpha: false))
            #expect(try await store.asset(id: assetID)?.thumbKey == thumbKey)
        }
    }

    @Test func urlResponseFormatPointsAtEaselsOwnFile() async throws {
        try await AppHarness.run { client, _ in
            let body = try await client.post(
                "/v1/images/generations",
                json: [
                    "prompt": "teal bottle product shot", "size": "64x64", "response_format": "url", "n": 2,
                    "output_format": "webp", "output_compression": 40,
                ]
            ).json
            guard case .array(let items)? = body["data"] else {
                Issue.record("no data")
                return
            }
            #expect(items.count == 2)
            for item in items {
                let url = try #require(item["url"]?.stringValue)
                let path = try #require(URL(string: url)?.path)
                #expect(path.hasPrefix("/files/img_"))
                let file = try await client.get(path)
                #expect(file.headers[.contentType] == "image/webp")
                #expect(ImageFormat.sniff(Data(buffer: file.body)) == .webp)
            }
        }
    }

    @Test func streamsPartialImagesThenTheFinalImage() async throws {
        try await AppHarness.run { client, _ in
            let response = try await client.post(
                "/v1/images/generations",
                json: [
                    "prompt": "green forest by a lake", "size": "128x128", "stream": true, "partial_images": 2,
                ],
                headers: [.accept: "application/json"]
            )  // the SDK sends this even when streaming
            #expect(response.status == .ok)
            #expect(response.headers[.contentType] == "text/event-stream")
            let events = try SSE.parse(response.text)
            #expect(events.map(\.event) == ["image_generation.partial_image", "image_generation.partial_image", "image_generation.completed"])
            #expect(events.map { $0.data["type"]?.stringValue } == events.map(\.event))
            #expect(events[0].data["partial_image_index"] == 0)
            #expect(events[1].data["partial_image_index"] == 1)
            #expect(events[2].data["usage"]?["total_tokens"] == 0)
            for event in events {
                let data = try #require(event.data["b64_json"]?.stringValue.flatMap { Data(base64Encoded: $0) })
                #expect(try ImageHeader.decoding(data).width == 128)
                #expect(event.data["size"] == "128x128")
                #expect(event.data["output_format"] == "png")
            }
        }
    }

    @Test func everyBadInputGetsAnEnvelopeNamingTheParamAndStoresNothing() async throws {
        try await AppHarness.run { client, runtime in
            let cases: [(JSONValue, Int, String?)] = [
                (["size": "1024x1024"], 400, "prompt"),
                (["prompt": ""], 400, "prompt"),
                (["prompt": .string(String(repeating: "x", count: 32001))], 400, "prompt"),
                (["prompt": "p", "size": "banana"], 400, "size"),
                (["prompt": "p", "size": "1920x1080"], 400, "size"),
                (["prompt": "p", "size": "4096x1024"], 400, "size"),
                (["prompt": "p", "n": 0], 400, "n"),
                (["prompt": "p", "n": 11], 400, "n"),
                (["prompt": "p", "output_compression": 80], 400, "output_compression"),
                (["prompt": "p", "output_format": "jpeg", "background": "transparent"], 400, "background"),
                (["prompt": "p", "model": "no-such-model"], 404, "model"),
                (.array([]), 400, nil),
            ]
            for (body, status, param) in cases {
                let response = try await client.post("/v1/images/generations", json: body)
                #expect(Int(response.status.code) == status, "\(body)")
                let error = try response.errorObject
                #expect(Set(error.keys) == ["message", "type", "param", "code"], "\(body)")
                #expect(error["param"] == (param.map(JSONValue.string) ?? .null), "\(body)")
                #expect(error["message"]?.stringValue?.isEmpty == false)
            }
            let malformed = try await client.execute(
                uri: "/v1/images/generations",
                method: .post,
                headers: [.contentType: "application/json"],
                body: ByteBuffer(string: "{\"prompt\": ")
            )
            #expect(malformed.status == .badRequest)
            #expect(try malformed.errorObject["code"] == "invalid_json")
            // JSON is UTF-8: bytes that are not are refused, not repaired into U+FFFD, on every JSON route.
            let notUTF8 = Array("{\"prompt\":\"".utf8) + [0xFF, 0xFE, 0xFA] + Array("\",\"size\":\"64x64\"}".utf8)
            for uri in ["/v1/images/generations", "/api/jobs", "/api/compare"] {
                let refused = try await client.execute(
                    uri: uri,
                    method: .post,
                    headers: [.contentType: "application/json"],
                    body: ByteBuffer(bytes: notUTF8)
                )
                #expect(refused.status == .badRequest, "\(uri)")
                #expect(try refused.errorObject["type"] == "invalid_request_error", "\(uri)")
                #expect(try refused.errorObject["message"]?.stringValue?.contains("UTF-8") == true, "\(uri)")
            }
            // Escapes still decode: a valid surrogate pair is fine, overlong or truncated sequences are not.
            for bytes: [UInt8] in [[0xC0, 0xAF], [0xE6, 0x98], [0xED, 0xA0, 0x80]] {
                let body = Array("{\"prompt\":\"a".utf8) + bytes + Array("\"}".utf8)
                let refused = try await client.execute(
                    uri: "/v1/images/generations",
                    method: .post,
                    headers: [.contentType: "application/json"],
                    body: ByteBuffer(bytes: body)
                )
                #expect(refused.status == .badRequest, "\(bytes)")
            }
            var form = EditFixtures.Form(["model": "easel-draft", "prompt": "PLACEHOLDER"])
            form.file("image", try EditFixtures.picture(width: 64, height: 64))
            var body = form.writer.body()
            body.replaceSubrange(try #require(body.range(of: Data("PLACEHOLDER".utf8))), with: [0x61, 0xFF, 0xFE])
            let multipart = try await client.execute(
                uri: "/v1/images/edits",
                method: .post,
                headers: [.contentType: form.writer.contentType],
                body: ByteBuffer(bytes: body)
            )
            #expect(multipart.status == .badRequest)
            #expect(try multipart.errorObject["param"] == "prompt")
            // Nothing was queued, and the server still works.
            #expect(try await runtime.jobStore.countsByStatus().isEmpty)
            let ok = try await client.post("/v1/images/generations", json: ["prompt": "still serving", "size": "64x64"])
            #expect(ok.status == .ok)
        }
    }

    @Test func unknownAndMaliciousIdsAre404WithoutTouchingStorage() async throws {
        try await AppHarness.run { client, _ in
            let made = try await client.post("/v1/images/generations", json: ["prompt": "keep me", "size": "64x64"])
            let jobID = try #require(made.headers[HTTPField.Name("x-easel-job-id")!])
            for uri in [
                "/api/jobs/job_01M7ZJWJ091HH3DTWQYKQGDCVX", "/api/jobs/..%2F..%2Fetc%2Fpasswd", "/api/jobs/job_..%2F",
                "/api/assets/img_01M7ZJWJ091HH3DTWQYKQGDCVX", "/files/..%2Feasel.sqlite", "/files/img_../thumb",
                "/api/jobs/job_01M7ZJWJ091HH3DTWQYKQGDCVX/events",
            ] {
                let response = try await client.get(uri)
                #expect(response.status == .notFound, "\(uri)")
                #expect(try response.errorObject["param"] == "id", "\(uri)")
            }
            let delete = try await client.execute(uri: "/api/jobs/..%2F..", method: .delete, headers: [:], body: nil)
            #expect(delete.status == .notFound)
            #expect(try await client.get("/api/jobs/\(jobID)").json["status"] == "succeeded")
            let unknownRoute = try await client.get("/v2/nothing")
            #expect(unknownRoute.status == .notFound)
            #expect(try unknownRoute.errorObject["type"] == "invalid_request_error")
        }
    }

    @Test func modelsListTheRoutes() async throws {
        try await AppHarness.run { client, _ in
            let body = try await client.get("/v1/models").json
            guard case .array(let models)? = body["data"] else {
                Issue.record("no models")
                return
            }
            #expect(models.map { $0["id"] } == ["easel-draft"])
            #expect(models.first?["object"] == "model")
            #expect(try await client.get("/v1/models/easel-draft").json["owned_by"] == "easel")
            #expect(try await client.get("/v1/models/gpt-9").status == .notFound)
        }
    }

    @Test func idempotencyKeyGivesTheSameJob() async throws {
        try await AppHarness.run { client, runtime in
            let key: HTTPFields = [HTTPField.Name("Idempotency-Key")!: "order-42"]
            let first = try await client.post("/v1/images/generations", json: ["prompt": "once", "size": "64x64"], headers: key)
            let second = try await client.post("/v1/images/generations", json: ["prompt": "once", "size": "64x64"], headers: key)
            let id = HTTPField.Name("x-easel-job-id")!
            #expect(first.headers[id] != nil)
            #expect(first.headers[id] == second.headers[id])
            #expect(first.body == second.body)
            let changed = try await client.post("/v1/images/generations", json: ["prompt": "twice", "size": "64x64"], headers: key)
            #expect(changed.status == .conflict)
            #expect(try changed.errorObject["code"] == "idempotency_key_reused")
            #expect(try await runtime.jobStore.countsByStatus()[.succeeded] == 1)
        }
    }

    @Test func anAdminKeyActsAsTheBootstrapAdminAndEverythingElseNeedsAKey() async throws {
        try await AppHarness.run(configure: .with { $0.adminKey = "s3cret-admin" }) { client, _ in
            #expect(try await client.get("/healthz").status == .ok)
            #expect(try await client.get("/", headers: [.authorization: "none"]).status == .ok)
            let denied = try await client.get("/v1/models", headers: [.authorization: "none"])
            #expect(denied.status == .unauthorized)
            #expect(!denied.text.contains("s3cret"))
            let wrong = try await client.get("/v1/models", headers: [.authorization: "Bearer nope"])
            #expect(wrong.status == .unauthorized)
            #expect(try wrong.errorObject["code"] == "invalid_api_key")
            let allowed = try await client.get("/api/me", headers: [.authorization: "Bearer s3cret-admin"])
            #expect(allowed.status == .ok)
            #expect(try allowed.json["role"] == "admin")
            #expect(!allowed.text.contains("s3cret"))
        }
    }

    @Test func opsEndpoints() async throws {
        try await AppHarness.run { client, _ in
            let generated = try await client.post("/v1/images/generations", json: ["prompt": "count me", "size": "64x64"])
            #expect(generated.status == .ok, "\(generated.text)")
            #expect(try await client.get("/readyz").json["status"] == "ready")
            // Workers record a job's duration just after completing it; the door may answer first.
            #expect(
                try await eventually {
                    let text = try await client.get("/metrics").text
                    return text.contains(#"easel_jobs{state="succeeded"} 1"#) && text.contains("easel_job_duration_seconds")
                }
            )
            let metrics = try await client.get("/metrics")
            #expect(metrics.status == .ok)
            #expect(metrics.text.contains("easel_job_duration_seconds"))
            #expect(metrics.text.contains("easel_provider_latency_seconds"))
            let studio = try await client.get("/")
            #expect(studio.headers[.contentType]?.hasPrefix("text/html") == true)
            #expect(studio.text.contains("/studio/app.js"))
        }
    }
}
