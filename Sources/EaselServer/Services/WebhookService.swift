import EaselCore
import EaselStore
import Foundation

/// An account's webhook endpoints: made (the signing secret shown once), listed, deleted, enabled again,
/// tested; their delivery log and replays; and the endpoint a request's `webhook_url` stands for.
struct WebhookService: Sendable {
    let store: any WebhookStore
    let signing: WebhookSigning
    let policy: WebhookAddressPolicy
    let ids: IDGenerator
    let clock: any EaselClock
    /// Wakes the dispatcher when a delivery is due now.
    let signal: WorkSignal

    static let maxEndpoints = 20

    struct Created: Sendable {
        var endpoint: WebhookEndpoint
        /// Shown once, here; kept sealed.
        var secret: String
    }

    func create(url: String, events: [String], description: String?, userID: String) async throws -> Created {
        let destination = try WebhookDestination.parse(url, param: "url")
        guard !events.isEmpty else {
            throw EaselError.invalidRequest("'events' needs at least one of: \(WebhookEvent.all.joined(separator: ", ")).", param: "events")
        }
        for event in events where !WebhookEvent.all.contains(event) {
            throw EaselError.invalidRequest("Unknown event '\(event)'. Events are: \(WebhookEvent.all.joined(separator: ", ")).", param: "events")
        }
        if let description, description.count > 500 {
            throw EaselError.invalidRequest("'description' is longer than 500 characters.", param: "description", code: "string_above_max_length")
        }
        guard try await store.endpoints(userID: userID, adHoc: false, before: nil, limit: Self.maxEndpoints).count < Self.maxEndpoints else {
            throw EaselError.invalidRequest(
                "An account has at most \(Self.maxEndpoints) webhook endpoints; delete one first.",
                param: nil,
                code: "limit_reached"
            )
        }
        try await checkReachable(destination, param: "url")
        return try await make(url: url, events: Array(Set(events)).sorted(), description: description, userID: userID, adHoc: false)
    }

    /// The endpoint for a request's `webhook_url`: the one this user's requests made for that URL, or a new one
    /// (whose secret the answer carries, once).
    func adHoc(url: String, userID: String) async throws -> (endpoint: WebhookEndpoint, secret: String?) {
        let destination = try WebhookDestination.parse(url, param: "webhook_url")
        if let existing = try await store.adHocEndpoint(userID: userID, url: url) { return (existing, nil) }
        try await checkReachable(destination, param: "webhook_url")
        let created = try await make(url: url, events: [], description: "made by a request's webhook_url", userID: userID, adHoc: true)
        return (created.endpoint, created.secret)
    }

    private func checkReachable(_ destination: URLComponents, param: String) async throws {
        if let reason = await WebhookDestination.refusal(destination, policy: policy) {
            throw EaselError.invalidRequest(
                "Easel does not send webhooks there: \(reason). An admin can allow an address with EASEL_WEBHOOK_ALLOW.",
                param: param,
                code: "webhook_destination_refused"
            )
        }
    }

    private func make(url: String, events: [String], description: String?, userID: String, adHoc: Bool) async throws -> Created {
        let secret = WebhookSigning.newSecret()
        let endpoint = WebhookEndpoint(
            id: ids.make(prefix: "whe", millis: clock.nowMillis()),
            userID: userID,
            url: url,
            events: events,
            description: description,
            createdAt: clock.nowMillis(),
            adHoc: adHoc
        )
        try await store.create(endpoint, sealedSecret: try signing.seal(secret))
        return Created(endpoint: endpoint, secret: secret)
    }

    /// A page of the caller's endpoints, newest first. Registered ones are capped at `maxEndpoints`, but each
    /// distinct `webhook_url` of a request makes one too, so the list can grow.
    func list(userID: String, before: String?, limit: Int) async throws -> Page<WebhookEndpoint> {
        let rows = try await store.endpoints(userID: userID, adHoc: nil, before: before, limit: limit + 1)
        return Page(fetched: rows, limit: limit)
    }

    /// The caller's endpoint, or 404.
    func endpoint(id: String, userID: String) async throws -> WebhookEndpoint {
        guard let (endpoint, _) = try await store.endpoint(id: id), endpoint.userID == userID else {
            throw EaselError.notFound("webhook endpoint", id: id, param: "id")
        }
        return endpoint
    }

    func delete(id: String, userID: String) async throws {
        guard try await store.delete(id: id, userID: userID, now: clock.nowMillis()) else {
            throw EaselError.notFound("webhook endpoint", id: id, param: "id")
        }
    }

    /// Turns a disabled endpoint on again; its failure count starts over.
    func enable(id: String, userID: String) async throws -> WebhookEndpoint {
        _ = try await endpoint(id: id, userID: userID)
        try await store.setDisabled(id: id, reason: nil, now: clock.nowMillis())
        return try await endpoint(id: id, userID: userID)
    }

    /// A `webhook.test` delivery, sent now.
    func test(id: String, userID: String) async throws -> WebhookDelivery {
        let endpoint = try await endpoint(id: id, userID: userID)
        return try await send(event: WebhookEvent.test, subject: endpoint.id, to: endpoint)
    }

    func deliveries(endpointID: String, userID: String, before: String?, limit: Int) async throws -> [WebhookDelivery] {
        _ = try await endpoint(id: endpointID, userID: userID)
        return try await store.deliveries(endpointID: endpointID, before: before, limit: limit)
    }

    /// Sends a delivery's event again, as a new delivery with an id of its own.
    func replay(endpointID: String, deliveryID: String, userID: String) async throws -> WebhookDelivery {
        let endpoint = try await endpoint(id: endpointID, userID: userID)
        guard let earlier = try await store.delivery(id: deliveryID), earlier.endpointID == endpoint.id else {
            throw EaselError.notFound("delivery", id: deliveryID, param: "delivery_id")
        }
        return try await send(event: earlier.event, subject: earlier.subjectID, to: endpoint)
    }

    private func send(event: String, subject: String, to endpoint: WebhookEndpoint) async throws -> WebhookDelivery {
        let now = clock.nowMillis()
        let delivery = WebhookDelivery(
            id: ids.make(prefix: "whd", millis: now),
            endpointID: endpoint.id,
            userID: endpoint.userID,
            event: event,
            subjectID: subject,
            nextAttemptAt: now,
            createdAt: now
        )
        try await store.enqueue(delivery)
        signal.wake()
        return delivery
    }
}
