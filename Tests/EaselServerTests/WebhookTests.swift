import Crypto
import EaselCore
import EaselServer
import EaselTesting
import Foundation
import HTTPTypes
import HummingbirdTesting
import SQLKit
import Testing

/// Webhooks through real HTTP to a receiver on loopback: signed as Standard Webhooks says, written with the
/// job's end, retried, disabled when an endpoint keeps failing, and never sent where they must not go.
@Suite("Webhooks")
struct WebhookTests {
    /// Waits long enough for a machine busy with every other suite (PostgreSQL's run above all).
    static let patience = Duration.seconds(60)

    static let quick = ConfigChange.with {
        $0.webhookAllow = ["127.0.0.1"]
        $0.webhookTickMs = 20
        $0.webhookRetryBaseMs = 50
        $0.webhookDisableAfter = 3
    }

    /// The receiver's check of a delivery: `v1,` + base64 HMAC-SHA256 of `id.timestamp.body` under the secret.
    static func verify(_ received: WebhookReceiver.Received, secret: String) -> Bool {
        guard let id = received.headers["webhook-id"], let timestamp = received.headers["webhook-timestamp"],
            let signature = received.headers["webhook-signature"], let key = Data(base64Encoded: String(secret.dropFirst(6)))
        else { return false }
        let mac = HMAC<SHA256>.authenticationCode(for: Data("\(id).\(timestamp).".utf8) + received.body, using: SymmetricKey(data: key))
        return signature == "v1," + Data(mac).base64EncodedString()
    }

    static func endpoint(_ client: some TestClientProtocol, url: String, events: [String]) async throws -> (id: String, secret: String) {
        let created = try await client.post("/api/webhooks", json: ["url": .string(url), "events": .array(events.map(JSONValue.string))])
        #expect(created.status == .created)
        let body = try created.json
        return (try #require(body["id"]?.stringValue), try #require(body["secret"]?.stringValue))
    }

    @Test func aJobsEndIsDeliveredSignedAndRetriedAfterAFailure() async throws {
        let receiver = try await WebhookReceiver.start(script: [.init(503, headers: ["Retry-After": "0"])])
        defer { receiver.stop() }
        try await AppHarness.run(configure: Self.quick) { client, runtime in
            let (endpointID, secret) = try await Self.endpoint(client, url: receiver.url, events: ["job.succeeded", "job.failed"])
            #expect(secret.hasPrefix("whsec_"))
            #expect(!(try await client.get("/api/webhooks").text.contains(secret)), "the secret is shown once")
            let job = try await client.post("/api/jobs", json: ["model": "easel-draft", "prompt": "a kite", "size": "64x64"]).json
            let jobID = try #require(job["id"]?.stringValue)
            #expect(try await eventually(timeout: Self.patience) { receiver.received.count >= 2 })
            let (first, second) = (receiver.received[0], receiver.received[1])
            // The same message twice: one id, a valid signature each time, ids and links only.
            #expect(first.headers["webhook-id"] == second.headers["webhook-id"])
            #expect(Self.verify(first, secret: secret) && Self.verify(second, secret: secret))
            #expect(!Self.verify(second, secret: "whsec_" + Data(repeating: 7, count: 24).base64EncodedString()))
            let payload = try #require(second.json)
            #expect(payload["type"] == "job.succeeded")
            #expect(payload["data"]?["id"]?.stringValue == jobID)
            #expect(payload["data"]?["links"]?["self"]?.stringValue == "/api/jobs/\(jobID)")
            #expect(payload["data"]?["asset_ids"]?.arrayValue?.count == 1)
            #expect(second.body.count < 2_000, "no image bytes")
            #expect(!String(decoding: second.body, as: UTF8.self).contains(secret))

            // The receiver has answered; the log says so once the dispatcher has written it down.
            #expect(
                try await eventually(timeout: Self.patience) {
                    try await client.get("/api/webhooks/\(endpointID)/deliveries").json["data"]?.arrayValue?.first?["status"] == "delivered"
                }
            )
            let log = try await client.get("/api/webhooks/\(endpointID)/deliveries").json["data"]?.arrayValue ?? []
            #expect(log.count == 1)
            #expect(log.first?["attempts"] == 2)
            #expect(log.first?["last_status"] == 200)
            _ = runtime
        }
    }

    @Test func theOutboxIsWrittenWithTheTerminalStateItself() async throws {
        let receiver = try await WebhookReceiver.start()
        defer { receiver.stop() }
        // No workers: nothing runs and nothing is sent, so what is stored is only what the cancel wrote.
        try await AppHarness.run(workers: 0, configure: Self.quick) { client, runtime in
            let (endpointID, _) = try await Self.endpoint(client, url: receiver.url, events: ["job.cancelled"])
            let job = try await client.post("/api/jobs", json: ["model": "easel-draft", "prompt": "later", "size": "64x64"]).json
            let jobID = try #require(job["id"]?.stringValue)
            _ = try await client.execute(uri: "/api/jobs/\(jobID)", method: .delete, headers: [:], body: nil)
            let log = try await client.get("/api/webhooks/\(endpointID)/deliveries").json["data"]?.arrayValue ?? []
            #expect(log.map { $0["event"]?.stringValue } == ["job.cancelled"])
            #expect(log.first?["subject_id"]?.stringValue == jobID)
            #expect(log.first?["status"] == "pending")
            // Cancelling again changes nothing; the delivery is not written twice.
            _ = try await client.execute(uri: "/api/jobs/\(jobID)", method: .delete, headers: [:], body: nil)
            let count = try await runtime.database.reader.raw("SELECT COUNT(*) AS n FROM webhook_deliveries").all().first?.decode(
                column: "n",
                as: Int.self
            )
            #expect(count == 1)
        }
    }

    @Test func forbiddenDestinationsAndBadEndpointsAreRefused() async throws {
        try await AppHarness.run(workers: 0) { client, _ in
            for url in [
                "http://127.0.0.1:9/hook", "http://169.254.169.254/latest/meta-data", "http://10.1.2.3/x", "http://[::1]:8080/", "http://localhost/",
            ] {
                let refused = try await client.post("/api/webhooks", json: ["url": .string(url), "events": ["job.succeeded"]])
                #expect(refused.status == .badRequest, "\(url)")
                #expect(try refused.errorObject["code"] == "webhook_destination_refused", "\(url)")
            }
            let ftp = try await client.post("/api/webhooks", json: ["url": "ftp://example.com/x", "events": ["job.succeeded"]])
            #expect(try ftp.errorObject["code"] == "invalid_url")
            let events = try await client.post("/api/webhooks", json: ["url": "https://example.com/x", "events": ["job.exploded"]])
            #expect(try events.errorObject["param"] == "events")
            let job = try await client.post(
                "/api/jobs",
                json: ["model": "easel-draft", "prompt": "x", "size": "64x64", "webhook_url": "http://192.168.1.1/"]
            )
            #expect(try job.errorObject["param"] == "webhook_url")
        }
    }

    @Test func redirectsAreNotFollowedAndAFailingEndpointIsDisabled() async throws {
        let receiver = try await WebhookReceiver.start(script: Array(repeating: .init(302, headers: ["Location": "/elsewhere"]), count: 10))
        defer { receiver.stop() }
        try await AppHarness.run(configure: Self.quick) { client, _ in
            let (endpointID, _) = try await Self.endpoint(client, url: receiver.url, events: ["job.succeeded"])
            _ = try await client.post("/api/jobs", json: ["model": "easel-draft", "prompt": "a kite", "size": "64x64"])
            #expect(try await eventually(timeout: Self.patience) { try await client.get("/api/webhooks/\(endpointID)").json["disabled"] == true })
            #expect(receiver.received.allSatisfy { $0.path == "/hook" }, "the redirect was never followed")
            #expect(receiver.received.count == 3)
            let endpoint = try await client.get("/api/webhooks/\(endpointID)").json
            #expect(endpoint["disabled_reason"]?.stringValue?.contains("HTTP 302") == true)
            // Enabled again, a test delivery goes out (the receiver now answers 200).
            #expect(try await client.post("/api/webhooks/\(endpointID)/enable", json: [:]).json["disabled"] == false)
        }
    }

    @Test func testDeliveriesReplaysAndARequestsOwnWebhookURL() async throws {
        let receiver = try await WebhookReceiver.start()
        defer { receiver.stop() }
        try await AppHarness.run(configure: Self.quick) { client, _ in
            let (endpointID, secret) = try await Self.endpoint(client, url: receiver.url, events: ["review.approved"])
            let test = try await client.post("/api/webhooks/\(endpointID)/test", json: [:])
            #expect(test.status == .accepted)
            #expect(try await eventually(timeout: Self.patience) { receiver.received.count == 1 })
            #expect(receiver.received[0].json?["type"] == "webhook.test")
            #expect(Self.verify(receiver.received[0], secret: secret))
            let deliveryID = try #require(try test.json["id"]?.stringValue)
            let replay = try await client.post("/api/webhooks/\(endpointID)/deliveries/\(deliveryID)/replay", json: [:]).json
            #expect(replay["id"]?.stringValue != deliveryID)
            #expect(try await eventually(timeout: Self.patience) { receiver.received.count == 2 })
            #expect(receiver.received[1].headers["webhook-id"] != receiver.received[0].headers["webhook-id"])

            // An approval is told to the endpoints that hear it, with the asset's id.
            let made = try await client.post("/api/jobs", json: ["model": "easel-draft", "prompt": "a mug", "size": "64x64"]).json
            let madeID = try #require(made["id"]?.stringValue)
            #expect(try await eventually(timeout: Self.patience) { try await client.get("/api/jobs/\(madeID)").json["status"] == "succeeded" })
            let assetID = try #require(try await client.get("/api/jobs/\(madeID)").json["asset_ids"]?.arrayValue?.first?.stringValue)
            let approved = try await client.post(
                "/api/assets/\(assetID)/review",
                json: [
                    "status": "approved", "alt_text": "A white mug.",
                    "checklist": [["key": "brand_fit", "result": "pass"], ["key": "text_accuracy", "result": "na", "note": "no text"]],
                ]
            )
            #expect(try approved.json["status"] == "approved")
            #expect(try await eventually(timeout: Self.patience) { receiver.received.count == 3 })
            #expect(receiver.received[2].json?["type"] == "review.approved")
            #expect(receiver.received[2].json?["data"]?["id"]?.stringValue == assetID)

            // A job's own webhook_url: its secret comes with the first answer, and only that job is sent there.
            let other = try await WebhookReceiver.start()
            defer { other.stop() }
            let first = try await client.post(
                "/api/jobs",
                json: ["model": "easel-draft", "prompt": "one", "size": "64x64", "webhook_url": .string(other.url)]
            ).json
            let ownSecret = try #require(first["webhook"]?["secret"]?.stringValue)
            let second = try await client.post(
                "/api/jobs",
                json: ["model": "easel-draft", "prompt": "two", "size": "64x64", "webhook_url": .string(other.url)]
            ).json
            #expect(second["webhook"]?["secret"] == nil, "the same URL reuses its endpoint")
            #expect(second["webhook"]?["endpoint_id"] == first["webhook"]?["endpoint_id"])
            _ = try await client.post("/api/jobs", json: ["model": "easel-draft", "prompt": "three", "size": "64x64"])
            #expect(try await eventually(timeout: Self.patience) { other.received.count == 2 })
            try await Task.sleep(for: .milliseconds(300))
            #expect(other.received.count == 2)
            #expect(
                Set(other.received.compactMap { $0.json?["data"]?["id"]?.stringValue })
                    == Set([first["id"], second["id"]].compactMap { $0?.stringValue })
            )
            #expect(other.received.allSatisfy { Self.verify($0, secret: ownSecret) })
        }
    }

    @Test func aBatchTellsItsEndOnce() async throws {
        let receiver = try await WebhookReceiver.start()
        defer { receiver.stop() }
        try await AppHarness.run(configure: Self.quick) { client, _ in
            _ = try await Self.endpoint(client, url: receiver.url, events: ["batch.completed"])
            let batch = try await client.post(
                "/api/batches",
                json: ["template": "product-hero", "rows": [["product": "a mug"], ["product": "a lamp"]], "size": "64x64"]
            ).json
            let batchID = try #require(batch["id"]?.stringValue)
            #expect(try await eventually(timeout: Self.patience) { receiver.received.count == 1 })
            try await Task.sleep(for: .milliseconds(1_500))
            #expect(receiver.received.count == 1, "once, however often the sweep looks")
            #expect(receiver.received[0].json?["type"] == "batch.completed")
            #expect(receiver.received[0].json?["data"]?["id"]?.stringValue == batchID)
        }
    }
}
