import AsyncHTTPClient
import EaselCore
import EaselStore
import Foundation
import Logging
import NIOCore
import ServiceLifecycle

/// Sends due webhook deliveries: signed, with a short timeout, no redirects followed and at most a small
/// part of the answer read. A failure is tried again later (backoff with jitter, at least `Retry-After`) for
/// a day; an endpoint that keeps failing is disabled with the reason. It also writes `batch.completed`
/// deliveries for batches that have ended.
struct WebhookDispatcher: Service {
    let store: any WebhookStore
    let jobs: any JobStore
    let signing: WebhookSigning
    let policy: WebhookAddressPolicy
    let client: HTTPClient
    let clock: any EaselClock
    let owner: String
    let signal: WorkSignal
    let tickMs: Int64
    let retryBaseMs: Int64
    let disableAfter: Int
    /// Absolute links in payloads when set; paths otherwise.
    let publicBaseURL: String?
    let logger: Logger

    static let timeout = TimeAmount.seconds(10)
    static let maxAnswerBytes = 64 * 1024
    static let width = 8

    func run() async throws {
        await cancelWhenGracefulShutdown {
            var lastSweep: Int64 = 0
            while !Task.isCancelled {
                let now = clock.nowMillis()
                if now - lastSweep >= 1_000 {
                    lastSweep = now
                    do {
                        if try await store.sweepEndedBatches(now: now) > 0 { signal.wake() }
                    } catch {
                        logger.error("looking for ended batches failed", metadata: ["error": "\(error)"])
                    }
                }
                var busy = false
                do {
                    let due = try await store.claimDue(owner: owner, leaseMs: 60_000, now: now, limit: 32)
                    busy = due.count == 32
                    await withTaskGroup(of: Void.self) { group in
                        for (index, delivery) in due.enumerated() {
                            if index >= Self.width { await group.next() }
                            group.addTask { await deliver(delivery) }
                        }
                    }
                } catch {
                    logger.error("claiming webhook deliveries failed", metadata: ["error": "\(error)"])
                }
                if !busy { await signal.wait(timeoutMs: tickMs) }
            }
        }
    }

    func deliver(_ claimed: WebhookDelivery) async {
        var delivery = claimed
        let now = clock.nowMillis()
        delivery.attempts += 1
        var outcome: (status: Int?, error: String?, retryAfter: Int?) = (nil, nil, nil)
        var latency: Int?
        if let (endpoint, sealed) = try? await store.endpoint(id: delivery.endpointID) {
            if let reason = endpoint.disabledReason, endpoint.disabledAt != nil {
                delivery.status = .failed
                delivery.nextAttemptAt = nil
                delivery.lastError = "the endpoint is disabled: \(reason)"
                _ = try? await store.record(delivery, owner: owner, succeeded: false)
                return
            }
            let started = ContinuousClock.now
            outcome = await post(delivery, to: endpoint, sealedSecret: sealed)
            latency = Int((ContinuousClock.now - started) / .milliseconds(1))
        } else {
            delivery.status = .failed
            delivery.nextAttemptAt = nil
            delivery.lastError = "the endpoint was deleted"
            _ = try? await store.record(delivery, owner: owner, succeeded: false)
            return
        }
        delivery.lastStatus = outcome.status
        delivery.lastError = outcome.error
        delivery.lastLatencyMs = latency
        let succeeded = outcome.status.map { (200..<300).contains($0) } ?? false
        if succeeded {
            delivery.status = .delivered
            delivery.deliveredAt = clock.nowMillis()
            delivery.nextAttemptAt = nil
        } else if now - delivery.createdAt >= WebhookRetry.giveUpAfterMs {
            delivery.status = .failed
            delivery.nextAttemptAt = nil
        } else {
            let delay = WebhookRetry.delayMs(
                attempt: delivery.attempts,
                retryAfterSeconds: outcome.retryAfter,
                unit: Double.random(in: 0..<1),
                baseMs: retryBaseMs
            )
            delivery.nextAttemptAt = now + delay
        }
        do {
            let failures = try await store.record(delivery, owner: owner, succeeded: succeeded)
            if !succeeded && failures >= disableAfter {
                let last = outcome.status.map { "HTTP \($0)" } ?? outcome.error ?? "no answer"
                try await store.setDisabled(
                    id: delivery.endpointID,
                    reason: "Disabled after \(failures) failed deliveries in a row (the last: \(last)). Enable it again when it answers 2xx.",
                    now: clock.nowMillis()
                )
                logger.warning("webhook endpoint disabled", metadata: ["endpoint": "\(delivery.endpointID)", "failures": "\(failures)"])
            }
        } catch {
            logger.error("recording a webhook delivery failed", metadata: ["delivery": "\(delivery.id)", "error": "\(error)"])
        }
    }

    /// One signed POST; the answer's status, or why there was none.
    private func post(_ delivery: WebhookDelivery, to endpoint: WebhookEndpoint, sealedSecret: String) async -> (Int?, String?, Int?) {
        guard let url = try? WebhookDestination.parse(endpoint.url, param: "url") else { return (nil, "the endpoint's URL is not valid", nil) }
        if let reason = await WebhookDestination.refusal(url, policy: policy) { return (nil, "refused: \(reason)", nil) }
        let secret: String
        do {
            secret = try signing.open(sealedSecret)
        } catch {
            return (nil, "the endpoint's secret cannot be opened (was the deployment secret changed?)", nil)
        }
        let body = await payload(delivery)
        let timestamp = clock.nowMillis() / 1000
        var request = HTTPClientRequest(url: endpoint.url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "User-Agent", value: "Easel-Webhooks/1")
        request.headers.add(name: "webhook-id", value: delivery.id)
        request.headers.add(name: "webhook-timestamp", value: String(timestamp))
        request.headers.add(
            name: "webhook-signature",
            value: WebhookSigning.signature(id: delivery.id, timestamp: timestamp, body: body, secret: secret)
        )
        request.body = .bytes(ByteBuffer(bytes: body))
        do {
            let response = try await client.execute(request, timeout: Self.timeout, logger: logger)
            // Read a little of the answer (so the connection can be reused), never all of it.
            var read = 0
            for try await chunk in response.body {
                read += chunk.readableBytes
                if read >= Self.maxAnswerBytes { break }
            }
            let status = Int(response.status.code)
            let retryAfter = response.headers.first(name: "retry-after").flatMap { Int($0.trimmingCharacters(in: .whitespaces)) }
            return (status, (200..<300).contains(status) ? nil : "HTTP \(status)", retryAfter)
        } catch {
            return (nil, "\(error)".prefix(300).description, nil)
        }
    }

    /// `{type, timestamp, data}` with ids and links: never image bytes, never keys.
    func payload(_ delivery: WebhookDelivery) async -> [UInt8] {
        let base = publicBaseURL.map { $0.hasSuffix("/") ? String($0.dropLast()) : $0 } ?? ""
        var data: [String: JSONValue] = ["id": .string(delivery.subjectID)]
        switch delivery.event {
        case _ where delivery.event.hasPrefix("job."):
            data["object"] = "job"
            data["links"] = ["self": .string(base + "/api/jobs/" + delivery.subjectID)]
            if let job = try? await jobs.job(id: delivery.subjectID) {
                data["status"] = .string(job.status.rawValue)
                data["model"] = .string(job.model)
                data["batch_id"] = .optional(job.groupID)
                let assets = job.result?.assetIDs ?? []
                data["asset_ids"] = .array(assets.map(JSONValue.string))
                data["links"] = [
                    "self": .string(base + "/api/jobs/" + job.id), "files": .array(assets.map { .string(base + "/api/assets/" + $0) }),
                ]
                if let error = job.lastError, job.status == .failed {
                    data["error"] = ["code": .optional(error.code), "message": .string(error.message)]
                }
            }
        case "batch.completed":
            data["object"] = "batch"
            data["links"] = ["self": .string(base + "/api/batches/" + delivery.subjectID)]
        case _ where delivery.event.hasPrefix("review."):
            data["object"] = "asset"
            data["review_status"] = .string(String(delivery.event.dropFirst("review.".count)))
            data["links"] = ["self": .string(base + "/api/assets/" + delivery.subjectID)]
        default:
            data["object"] = "webhook_endpoint"
            data["message"] = "A test delivery from Easel."
        }
        let timestamp = ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: Double(delivery.createdAt) / 1000))
        let body: JSONValue = ["type": .string(delivery.event), "timestamp": .string(timestamp), "data": .object(data)]
        return body.serialized()
    }
}
