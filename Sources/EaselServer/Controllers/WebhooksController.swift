import EaselCore
import Foundation
import Hummingbird

/// `/api/webhooks`: an account's endpoints, a test delivery, the delivery log and replays.
struct WebhooksController {
    let webhooks: WebhookService
    let maxBodyBytes: Int

    func addRoutes(to router: some RouterMethods<AuthenticatedContext>) {
        router.get("/api/webhooks", use: list)
        router.post("/api/webhooks", use: create)
        router.get("/api/webhooks/{id}", use: show)
        router.delete("/api/webhooks/{id}", use: delete)
        router.post("/api/webhooks/{id}/enable", use: enable)
        router.post("/api/webhooks/{id}/test", use: test)
        router.get("/api/webhooks/{id}/deliveries", use: deliveries)
        router.post("/api/webhooks/{id}/deliveries/{delivery}/replay", use: replay)
    }

    /// A page at a time (the account page reads the first, 100).
    @Sendable func list(_ request: Request, context: AuthenticatedContext) async throws -> JSONValue {
        let paging = try PageQuery(request, cursorPrefix: "whe", defaultLimit: PageQuery.maxLimit)
        let page = try await webhooks.list(userID: context.identity.userID, before: paging.before, limit: paging.limit)
        return Representations.page(page.items.map(Self.endpoint), hasMore: page.hasMore, lastID: page.items.last?.id)
    }

    /// `{url, events: [...], description}`; the answer carries the signing secret, this once.
    @Sendable func create(_ request: Request, context: AuthenticatedContext) async throws -> Response {
        let body = try await request.jsonObject(limit: maxBodyBytes)
        for key in body.keys.sorted() where !["url", "events", "description"].contains(key) {
            throw EaselError.invalidRequest("Unknown parameter: '\(key)'.", param: key, code: "unknown_parameter")
        }
        guard case .string(let url)? = body["url"] else { throw EaselError.missing("url") }
        guard case .array(let list)? = body["events"] else {
            throw EaselError.invalidRequest("'events' must be a list of: \(WebhookEvent.all.joined(separator: ", ")).", param: "events")
        }
        let events = try list.map { value -> String in
            guard let event = value.stringValue else { throw EaselError.invalidType("events", expected: "a list of strings", got: value) }
            return event
        }
        let created = try await webhooks.create(
            url: url,
            events: events,
            description: body["description"]?.stringValue,
            userID: context.identity.userID
        )
        var object = Self.endpoint(created.endpoint).objectValue ?? [:]
        object["secret"] = .string(created.secret)
        return .json(.object(object), status: .created, headers: [.location: "/api/webhooks/\(created.endpoint.id)"])
    }

    @Sendable func show(_ request: Request, context: AuthenticatedContext) async throws -> JSONValue {
        Self.endpoint(try await webhooks.endpoint(id: try context.parameters.require("id"), userID: context.identity.userID))
    }

    @Sendable func delete(_ request: Request, context: AuthenticatedContext) async throws -> JSONValue {
        let id = try context.parameters.require("id")
        try await webhooks.delete(id: id, userID: context.identity.userID)
        return ["id": .string(id), "object": "webhook_endpoint", "deleted": true]
    }

    @Sendable func enable(_ request: Request, context: AuthenticatedContext) async throws -> JSONValue {
        Self.endpoint(try await webhooks.enable(id: try context.parameters.require("id"), userID: context.identity.userID))
    }

    @Sendable func test(_ request: Request, context: AuthenticatedContext) async throws -> Response {
        let delivery = try await webhooks.test(id: try context.parameters.require("id"), userID: context.identity.userID)
        return .json(Self.delivery(delivery), status: .accepted)
    }

    @Sendable func deliveries(_ request: Request, context: AuthenticatedContext) async throws -> JSONValue {
        let query = request.uri.queryParameters
        let limit = try PageQuery.limit(request)
        let list = try await webhooks.deliveries(
            endpointID: try context.parameters.require("id"),
            userID: context.identity.userID,
            before: query["before"].map(String.init),
            limit: limit + 1
        )
        let page = Array(list.prefix(limit))
        return [
            "object": "list", "data": .array(page.map(Self.delivery)), "has_more": .bool(list.count > limit),
            "next_cursor": list.count > limit ? .optional(page.last?.id) : .null,
        ]
    }

    @Sendable func replay(_ request: Request, context: AuthenticatedContext) async throws -> Response {
        let delivery = try await webhooks.replay(
            endpointID: try context.parameters.require("id"),
            deliveryID: try context.parameters.require("delivery"),
            userID: context.identity.userID
        )
        return .json(Self.delivery(delivery), status: .accepted)
    }

    static func endpoint(_ endpoint: WebhookEndpoint) -> JSONValue {
        [
            "id": .string(endpoint.id), "object": "webhook_endpoint", "url": .string(endpoint.url),
            "events": .array(endpoint.events.map(JSONValue.string)), "description": .optional(endpoint.description),
            "from_request": .bool(endpoint.adHoc), "created_at": .int(endpoint.createdAt / 1000),
            "disabled": .bool(endpoint.disabledAt != nil), "disabled_reason": .optional(endpoint.disabledReason),
            "consecutive_failures": .int(endpoint.consecutiveFailures),
        ]
    }

    static func delivery(_ delivery: WebhookDelivery) -> JSONValue {
        [
            "id": .string(delivery.id), "object": "webhook_delivery", "endpoint_id": .string(delivery.endpointID),
            "event": .string(delivery.event), "subject_id": .string(delivery.subjectID), "status": .string(delivery.status.rawValue),
            "attempts": .int(delivery.attempts), "next_attempt_at": .optional(delivery.nextAttemptAt.map { $0 / 1000 }),
            "last_status": delivery.lastStatus.map { .int($0) } ?? .null, "last_error": .optional(delivery.lastError),
            "latency_ms": delivery.lastLatencyMs.map { .int($0) } ?? .null,
            "delivered_at": .optional(delivery.deliveredAt.map { $0 / 1000 }), "created_at": .int(delivery.createdAt / 1000),
        ]
    }
}

extension Optional {
    func asyncMap<T>(_ transform: (Wrapped) async throws -> T) async rethrows -> T? {
        guard let value = self else { return nil }
        return try await transform(value)
    }
}

/// A job or batch made with `webhook_url` says which endpoint hears it, and that endpoint's secret the
/// first time a request names the URL.
protocol AnswersWebhookURL {}

extension AnswersWebhookURL {
    static func withWebhook(_ answer: JSONValue, _ hook: (endpoint: WebhookEndpoint, secret: String?)?) -> JSONValue {
        guard let hook, case .object(var object) = answer else { return answer }
        var webhook: [String: JSONValue] = ["endpoint_id": .string(hook.endpoint.id), "url": .string(hook.endpoint.url)]
        if let secret = hook.secret { webhook["secret"] = .string(secret) }
        object["webhook"] = .object(webhook)
        return .object(object)
    }
}

extension JobsController: AnswersWebhookURL {}
extension BatchesController: AnswersWebhookURL {}
