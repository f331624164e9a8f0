import EaselCore
import EaselStore
import Foundation
import Hummingbird

/// The caller's own account: studio login and guest sessions, `GET /api/me`, usage, API keys, and
/// reporting an image.
struct AccountsController {
    let runtime: EaselRuntime
    var accounts: AccountService { runtime.accounts }

    func addRoutes(to router: Router<EaselRequestContext>) {
        router.post("/api/auth/login", use: login)
        router.post("/api/auth/guest", use: guest)
        router.post("/api/auth/logout", use: logout)
        router.get("/api/me", use: me)
        router.get("/api/usage", use: usage)
        router.get("/api/keys", use: keys)
        router.post("/api/keys", use: createKey)
        router.delete("/api/keys/{id}", use: revokeKey)
        router.post("/api/assets/{id}/reports", use: report)
    }

    func fields(_ request: Request) async throws -> [String: JSONValue] {
        try await request.jsonObject(limit: 64 * 1024)
    }

    func sessionResponse(_ user: EaselUser) -> Response {
        let cookie = "\(AccountService.cookieName)=\(accounts.sessionCookie(userID: user.id)); Path=/; HttpOnly; SameSite=Lax; Max-Age=2592000"
        return .json(.object(["user": Self.user(user, plan: accounts.plan(named: user.plan))]), status: .ok, headers: [.setCookie: cookie])
    }

    @Sendable func login(_ request: Request, context: EaselRequestContext) async throws -> Response {
        let reader = FieldReader(fields: try await fields(request))
        guard let name = try reader.string("name") else { throw EaselError.missing("name") }
        guard let password = try reader.string("password") else { throw EaselError.missing("password") }
        return sessionResponse(try await accounts.login(name: name, password: password))
    }

    @Sendable func guest(_ request: Request, context: EaselRequestContext) async throws -> Response {
        sessionResponse(try await accounts.createGuest())
    }

    @Sendable func logout(_ request: Request, context: EaselRequestContext) async throws -> Response {
        .json(.object(["ok": true]), status: .ok, headers: [.setCookie: "\(AccountService.cookieName)=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0"])
    }

    @Sendable func me(_ request: Request, context: EaselRequestContext) async throws -> JSONValue {
        let identity = try context.requireIdentity()
        let user = try await runtime.accountStore.user(id: identity.userID) ?? identity.user
        let used = try await runtime.accountStore.imagesUsed(userID: user.id, day: UTCDay.string(millis: runtime.clock.nowMillis()))
        var object = Self.user(user, plan: identity.plan).objectValue ?? [:]
        object["today"] = .object([
            "day": .string(UTCDay.string(millis: runtime.clock.nowMillis())),
            "images_used": .int(used),
            "images_remaining": identity.plan.imagesPerDay.map { .int(max(0, $0 - used)) } ?? .null,
        ])
        return .object(object)
    }

    @Sendable func usage(_ request: Request, context: EaselRequestContext) async throws -> JSONValue {
        let identity = try context.requireIdentity()
        return try await Self.usage(runtime: runtime, userID: identity.userID, request: request)
    }

    static func usage(runtime: EaselRuntime, userID: String?, request: Request) async throws -> JSONValue {
        let days = Int(request.uri.queryParameters["days"].map(String.init) ?? "30") ?? 30
        guard (1...366).contains(days) else { throw EaselError.invalidRequest("'days' must be between 1 and 366.", param: "days") }
        let from = UTCDay.string(millis: runtime.clock.nowMillis() - Int64(days - 1) * 86_400_000)
        let rows = try await runtime.accountStore.usage(userID: userID, fromDay: from)
        return .object([
            "object": "usage",
            "from": .string(from),
            "total_cost_usd": .string(Money.usd(rows.reduce(0) { $0 + $1.costMicros })),
            "total_images": .int(rows.reduce(0) { $0 + $1.images }),
            "data": .array(rows.map { row in
                var object: [String: JSONValue] = [
                    "day": .string(row.day), "model": .string(row.model), "images": .int(row.images), "jobs": .int(row.jobs),
                    "cost_usd": .string(Money.usd(row.costMicros)),
                ]
                if userID == nil { object["user_id"] = .string(row.userID) }
                return .object(object)
            }),
        ])
    }

    @Sendable func keys(_ request: Request, context: EaselRequestContext) async throws -> JSONValue {
        let identity = try context.requireIdentity()
        return .object(["object": "list", "data": .array(try await runtime.accountStore.keys(userID: identity.userID).map(Self.key))])
    }

    @Sendable func createKey(_ request: Request, context: EaselRequestContext) async throws -> Response {
        let identity = try context.requireIdentity()
        guard identity.user.role != .guest else {
            throw EaselError(status: 403, type: "invalid_request_error", code: "guests_cannot_create_keys", param: nil,
                             message: "Guests cannot create API keys; register first.")
        }
        let name = try FieldReader(fields: (try? await fields(request)) ?? [:]).string("name")
        let (key, record) = try await accounts.createKey(userID: identity.userID, name: name)
        var object = Self.key(record).objectValue ?? [:]
        object["key"] = .string(key)
        return .json(.object(object), status: .created)
    }

    @Sendable func revokeKey(_ request: Request, context: EaselRequestContext) async throws -> JSONValue {
        let identity = try context.requireIdentity()
        let id = try context.parameters.require("id")
        guard try await runtime.accountStore.revokeKey(id: id, userID: identity.userID, at: runtime.clock.nowMillis()) else {
            throw EaselError.notFound("API key", id: id, param: "id")
        }
        return .object(["id": .string(id), "revoked": true])
    }

    @Sendable func report(_ request: Request, context: EaselRequestContext) async throws -> Response {
        let identity = try context.requireIdentity()
        let asset = try await runtime.assetService.asset(id: try context.parameters.require("id"), userID: identity.userID)
        let reason = try FieldReader(fields: (try? await fields(request)) ?? [:]).string("reason") ?? ""
        guard reason.count <= 2000 else {
            throw EaselError.invalidRequest("'reason' may be at most 2000 characters.", param: "reason", code: "string_above_max_length")
        }
        let now = runtime.clock.nowMillis()
        let event = ModerationEvent(id: runtime.ids.make(prefix: "mod", millis: now), userID: identity.userID, kind: "report", category: nil,
                                    assetID: asset.id, jobID: asset.jobID, detail: reason, status: "open", createdAt: now)
        try await runtime.accountStore.record(event)
        return .json(Self.event(event), status: .created)
    }

    static func user(_ user: EaselUser, plan: Plan) -> JSONValue {
        .object([
            "object": "user",
            "id": .string(user.id),
            "name": .string(user.name),
            "role": .string(user.role.rawValue),
            "balance_usd": .string(Money.usd(user.balanceMicros)),
            "active_jobs": .int(user.activeJobs),
            "plan": .object([
                "name": .string(plan.name),
                "images_per_day": plan.imagesPerDay.map { .int($0) } ?? .null,
                "images_per_minute": plan.imagesPerMinute.map { .int($0) } ?? .null,
                "max_n": .int(plan.maxN),
                "max_pixels": plan.maxPixels.map { .int($0) } ?? .null,
                "models": plan.models.map { .array($0.map(JSONValue.string)) } ?? .null,
                "qualities": plan.qualities.map { .array($0.map(JSONValue.string)) } ?? .null,
                "sizes": plan.sizes.map { .array($0.map(JSONValue.string)) } ?? .null,
                "concurrent_jobs": plan.concurrentJobs.map { .int($0) } ?? .null,
                "budget_usd": plan.budgetMicros.map { .string(Money.usd($0)) } ?? .null,
                "budget_period": .string(plan.budgetPeriod.rawValue),
            ]),
            "created_at": .int(user.createdAt.unixSeconds),
        ])
    }

    static func key(_ key: APIKeyRecord) -> JSONValue {
        .object([
            "object": "api_key", "id": .string(key.id), "prefix": .string(key.prefix), "name": .optional(key.name),
            "created_at": .int(key.createdAt.unixSeconds), "revoked_at": .optional(key.revokedAt.map(\.unixSeconds)),
        ])
    }

    static func event(_ event: ModerationEvent) -> JSONValue {
        .object([
            "object": "moderation_event", "id": .string(event.id), "kind": .string(event.kind), "category": .optional(event.category),
            "user_id": .optional(event.userID), "asset_id": .optional(event.assetID), "job_id": .optional(event.jobID),
            "detail": .optional(event.detail), "status": .string(event.status), "created_at": .int(event.createdAt.unixSeconds),
        ])
    }
}
