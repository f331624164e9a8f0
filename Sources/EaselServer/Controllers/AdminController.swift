import EaselCore
import EaselStore
import Foundation
import Hummingbird

/// Admin routes (the auth middleware admits admins only): users, keys, credits, everyone's usage, the
/// report queue and moderation events, hiding and deleting images.
struct AdminController {
    let runtime: EaselRuntime

    func addRoutes(to router: Router<EaselRequestContext>) {
        router.get("/api/admin/users", use: users)
        router.post("/api/admin/users", use: createUser)
        router.patch("/api/admin/users/{id}", use: updateUser)
        router.post("/api/admin/users/{id}/keys", use: createKey)
        router.post("/api/admin/users/{id}/credits", use: grant)
        router.get("/api/admin/usage", use: usage)
        router.get("/api/admin/reports", use: reports)
        router.get("/api/admin/moderation", use: moderation)
        router.post("/api/admin/assets/{id}/hide", use: hide)
        router.delete("/api/admin/assets/{id}", use: delete)
    }

    func fields(_ request: Request) async throws -> [String: JSONValue] {
        try await request.jsonObject(limit: 64 * 1024)
    }

    func user(_ context: EaselRequestContext) async throws -> EaselUser {
        let id = try context.parameters.require("id")
        guard let user = try await runtime.accountStore.user(id: id) else { throw EaselError.notFound("user", id: id, param: "id") }
        return user
    }

    @Sendable func users(_ request: Request, context: EaselRequestContext) async throws -> JSONValue {
        let list = try await runtime.accountStore.users(limit: 1000)
        return .object(["object": "list", "data": .array(list.map { AccountsController.user($0, plan: runtime.accounts.plan(named: $0.plan)) })])
    }

    /// `{name, role?, plan?, password?}`.
    @Sendable func createUser(_ request: Request, context: EaselRequestContext) async throws -> Response {
        let reader = FieldReader(fields: try await fields(request))
        guard let name = try reader.string("name") else { throw EaselError.missing("name") }
        let roleText = try reader.string("role") ?? "user"
        guard let role = EaselUser.Role(rawValue: roleText) else {
            throw EaselError.invalidRequest("Invalid role '\(roleText)'. Use admin, user or guest.", param: "role")
        }
        let user = try await runtime.accounts.createUser(name: name, role: role, plan: try reader.string("plan"), password: try reader.string("password"))
        return .json(AccountsController.user(user, plan: runtime.accounts.plan(named: user.plan)), status: .created)
    }

    @Sendable func updateUser(_ request: Request, context: EaselRequestContext) async throws -> JSONValue {
        var user = try await user(context)
        let reader = FieldReader(fields: try await fields(request))
        if let plan = try reader.string("plan") {
            guard runtime.accounts.policy.plans[plan] != nil else {
                throw EaselError.invalidRequest("Unknown plan '\(plan)'.", param: "plan")
            }
            _ = try await runtime.accountStore.setPlan(userID: user.id, plan: plan)
            user.plan = plan
        }
        return AccountsController.user(user, plan: runtime.accounts.plan(named: user.plan))
    }

    @Sendable func createKey(_ request: Request, context: EaselRequestContext) async throws -> Response {
        let user = try await user(context)
        let name = try FieldReader(fields: (try? await fields(request)) ?? [:]).string("name")
        let (key, record) = try await runtime.accounts.createKey(userID: user.id, name: name)
        var object = AccountsController.key(record).objectValue ?? [:]
        object["key"] = .string(key)
        return .json(.object(object), status: .created)
    }

    /// `{usd: "10.00", note?}`: adds credits (a negative amount takes them away).
    @Sendable func grant(_ request: Request, context: EaselRequestContext) async throws -> JSONValue {
        let user = try await user(context)
        let body = try await fields(request)
        let micros: Int64?
        switch body["usd"] {
        case .string(let text)?: micros = Money.parseUSD(text)
        case .number(let value)?: micros = Money.parseUSD(value)
        default: micros = nil
        }
        guard let micros else { throw EaselError.invalidRequest("'usd' must be an amount such as \"10.00\".", param: "usd") }
        let now = runtime.clock.nowMillis()
        let balance = try await runtime.accountStore.grant(userID: user.id, micros: micros, note: try FieldReader(fields: body).string("note"),
                                                           id: runtime.ids.make(prefix: "led", millis: now), now: now)
        return .object(["user_id": .string(user.id), "granted_usd": .string(Money.usd(micros)), "balance_usd": .string(Money.usd(balance))])
    }

    @Sendable func usage(_ request: Request, context: EaselRequestContext) async throws -> JSONValue {
        try await AccountsController.usage(runtime: runtime, userID: nil, request: request)
    }

    @Sendable func reports(_ request: Request, context: EaselRequestContext) async throws -> JSONValue {
        let events = try await runtime.accountStore.moderationEvents(status: "open", kind: "report", limit: 500)
        return .object(["object": "list", "data": .array(events.map(AccountsController.event))])
    }

    @Sendable func moderation(_ request: Request, context: EaselRequestContext) async throws -> JSONValue {
        let events = try await runtime.accountStore.moderationEvents(status: nil, kind: request.uri.queryParameters["kind"].map(String.init), limit: 500)
        return .object(["object": "list", "data": .array(events.map(AccountsController.event))])
    }

    func asset(_ context: EaselRequestContext) async throws -> AssetRecord {
        let id = try context.parameters.require("id")
        guard EaselID.isValid(id, prefix: "img"), let asset = try await runtime.assetStore.asset(id: id) else {
            throw EaselError.notFound("asset", id: id, param: "id")
        }
        return asset
    }

    @Sendable func hide(_ request: Request, context: EaselRequestContext) async throws -> JSONValue {
        let asset = try await asset(context)
        let now = runtime.clock.nowMillis()
        _ = try await runtime.assetStore.hide(assetID: asset.id, at: now)
        try await runtime.accountStore.closeModerationEvents(assetID: asset.id)
        try await runtime.accountStore.record(ModerationEvent(
            id: runtime.ids.make(prefix: "mod", millis: now), userID: try context.requireIdentity().userID, kind: "hidden", category: nil,
            assetID: asset.id, jobID: asset.jobID, detail: nil, status: "closed", createdAt: now))
        return .object(["id": .string(asset.id), "hidden": true])
    }

    @Sendable func delete(_ request: Request, context: EaselRequestContext) async throws -> JSONValue {
        let asset = try await asset(context)
        let now = runtime.clock.nowMillis()
        for key in try await runtime.assetStore.delete(assetID: asset.id) { try await runtime.blobs.delete(key: key) }
        try await runtime.accountStore.closeModerationEvents(assetID: asset.id)
        try await runtime.accountStore.record(ModerationEvent(
            id: runtime.ids.make(prefix: "mod", millis: now), userID: try context.requireIdentity().userID, kind: "deleted", category: nil,
            assetID: asset.id, jobID: asset.jobID, detail: nil, status: "closed", createdAt: now))
        return .object(["id": .string(asset.id), "deleted": true])
    }
}
