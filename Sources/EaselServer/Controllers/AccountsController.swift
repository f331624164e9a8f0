import EaselCore
import Foundation
import Hummingbird

/// The caller's own account: `GET /api/me`, usage, API keys, and reporting an image.
struct AccountsController {
    let accounts: AccountService
    let billing: BillingService
    let moderation: ModerationService

    func addRoutes(to router: some RouterMethods<AuthenticatedContext>) {
        router.get("/api/me", use: me)
        router.get("/api/usage", use: usage)
        router.get("/api/keys", use: keys)
        router.post("/api/keys", use: createKey)
        router.delete("/api/keys/{id}", use: revokeKey)
        router.post("/api/assets/{id}/reports", use: report)
    }

    @Sendable func me(_ request: Request, context: AuthenticatedContext) async throws -> JSONValue {
        let identity = context.identity
        let user = try await accounts.current(identity)
        let today = try await billing.today(for: identity)
        var object = Representations.user(user, plan: identity.plan).objectValue ?? [:]
        object["today"] = .object([
            "day": .string(today.day),
            "images_used": .int(today.imagesUsed),
            "images_remaining": today.imagesRemaining.map { .int($0) } ?? .null,
        ])
        return .object(object)
    }

    @Sendable func usage(_ request: Request, context: AuthenticatedContext) async throws -> JSONValue {
        let usage = try await billing.usage(userID: context.identity.userID, days: try request.usageDays())
        return Representations.usage(usage, everyone: false)
    }

    /// Revoked keys stay listed, so the list grows: a page at a time (the account page reads the first, 100).
    @Sendable func keys(_ request: Request, context: AuthenticatedContext) async throws -> JSONValue {
        let paging = try PageQuery(request, cursorPrefix: "key", defaultLimit: PageQuery.maxLimit)
        let page = try await accounts.keys(of: context.identity, before: paging.before, limit: paging.limit)
        return Representations.page(page.items.map { Representations.key($0) }, hasMore: page.hasMore, lastID: page.items.last?.id)
    }

    @Sendable func createKey(_ request: Request, context: AuthenticatedContext) async throws -> Response {
        let name = try FieldReader(fields: try await request.optionalJSONObject()).string("name")
        let (key, record) = try await accounts.createKey(for: context.identity, name: name)
        return .json(Representations.key(record, secret: key), status: .created)
    }

    @Sendable func revokeKey(_ request: Request, context: AuthenticatedContext) async throws -> JSONValue {
        let id = try context.parameters.require("id")
        try await accounts.revokeKey(id: id, of: context.identity)
        return .object(["id": .string(id), "revoked": true])
    }

    @Sendable func report(_ request: Request, context: AuthenticatedContext) async throws -> Response {
        let reason = try FieldReader(fields: try await request.optionalJSONObject()).string("reason") ?? ""
        let event = try await moderation.report(assetID: try context.parameters.require("id"), reason: reason, identity: context.identity)
        return .json(Representations.event(event), status: .created)
    }
}
