import EaselCore
import Foundation
import Hummingbird

/// Admin routes (the admin context admits admins only): users, keys, credits, everyone's usage, the report
/// queue and moderation events, hiding and deleting images.
struct AdminController {
    let accounts: AccountService
    let billing: BillingService
    let moderation: ModerationService
    /// Signs thumbnail links of reported images, so an admin sees what was reported.
    let links: FileLinks

    func addRoutes(to router: some RouterMethods<AdminContext>) {
        router.get("/api/admin/users", use: users)
        router.get("/api/admin/plans", use: plans)
        router.post("/api/admin/users", use: createUser)
        router.patch("/api/admin/users/{id}", use: updateUser)
        router.post("/api/admin/users/{id}/keys", use: createKey)
        router.post("/api/admin/users/{id}/credits", use: grant)
        router.get("/api/admin/usage", use: usage)
        router.get("/api/admin/reports", use: reports)
        router.get("/api/admin/moderation", use: events)
        router.post("/api/admin/assets/{id}/hide", use: hide)
        router.delete("/api/admin/assets/{id}", use: delete)
    }

    /// Newest first, a page at a time (the admin page reads the first, 100).
    @Sendable func users(_ request: Request, context: AdminContext) async throws -> JSONValue {
        let paging = try PageQuery(request, cursorPrefix: "usr", defaultLimit: PageQuery.maxLimit)
        let page = try await accounts.users(before: paging.before, limit: paging.limit)
        return Representations.page(
            page.items.map { Representations.user($0, plan: accounts.plan(named: $0.plan)) },
            hasMore: page.hasMore,
            lastID: page.items.last?.id
        )
    }

    /// Bounded by construction: the plans of the config file, a handful.
    @Sendable func plans(_ request: Request, context: AdminContext) async throws -> JSONValue {
        .object(["object": "list", "data": .array(accounts.allPlans.map { Representations.plan($0) })])
    }

    /// `{name, role?, plan?, password?}`.
    @Sendable func createUser(_ request: Request, context: AdminContext) async throws -> Response {
        let reader = FieldReader(fields: try await request.jsonObject(limit: 64 * 1024))
        guard let name = try reader.string("name") else { throw EaselError.missing("name") }
        let role = try Self.role(try reader.string("role") ?? "user")
        let user = try await accounts.createUser(name: name, role: role, plan: try reader.string("plan"), password: try reader.string("password"))
        return .json(Representations.user(user, plan: accounts.plan(named: user.plan)), status: .created)
    }

    /// `{plan?, role?, disabled?}`: moves the user to another plan, changes their role, disables or enables them.
    @Sendable func updateUser(_ request: Request, context: AdminContext) async throws -> JSONValue {
        var user = try await accounts.user(id: try context.parameters.require("id"))
        let reader = FieldReader(fields: try await request.jsonObject(limit: 64 * 1024))
        let role = try reader.string("role").map(Self.role)
        let disabled = try reader.bool("disabled")
        user = try await accounts.update(user, role: role, disabled: disabled, by: context.identity)
        if let plan = try reader.string("plan") { user = try await accounts.setPlan(plan, of: user) }
        return Representations.user(user, plan: accounts.plan(named: user.plan))
    }

    /// `before` of the moderation lists: an event id (upstream blocks have ids of their own shape, `mod_upstream_…`).
    static func eventCursor(_ request: Request) throws -> String? {
        guard let text = request.uri.queryParameters["before"].map(String.init) else { return nil }
        guard text.hasPrefix("mod_"), text.count <= 80 else {
            throw EaselError.invalidRequest("Invalid 'before' cursor '\(text)': use the next_cursor of a previous page.", param: "before")
        }
        return text
    }

    static func role(_ text: String) throws -> EaselUser.Role {
        guard let role = EaselUser.Role(rawValue: text) else {
            throw EaselError.invalidRequest("Invalid role '\(text)'. Use admin, user or guest.", param: "role")
        }
        return role
    }

    @Sendable func createKey(_ request: Request, context: AdminContext) async throws -> Response {
        let user = try await accounts.user(id: try context.parameters.require("id"))
        let name = try FieldReader(fields: try await request.optionalJSONObject()).string("name")
        let (key, record) = try await accounts.createKey(userID: user.id, name: name)
        return .json(Representations.key(record, secret: key), status: .created)
    }

    /// `{usd: "10.00", note?}`: adds credits (a negative amount takes them away).
    @Sendable func grant(_ request: Request, context: AdminContext) async throws -> JSONValue {
        let user = try await accounts.user(id: try context.parameters.require("id"))
        let body = try await request.jsonObject(limit: 64 * 1024)
        let micros: Int64?
        switch body["usd"] {
        case .string(let text)?: micros = Money.parseUSD(text)
        case .number(let value)?: micros = Money.parseUSD(value)
        default: micros = nil
        }
        guard let micros else { throw EaselError.invalidRequest("'usd' must be an amount such as \"10.00\".", param: "usd") }
        let balance = try await billing.grant(userID: user.id, micros: micros, note: try FieldReader(fields: body).string("note"))
        return .object(["user_id": .string(user.id), "granted_usd": .string(Money.usd(micros)), "balance_usd": .string(Money.usd(balance))])
    }

    @Sendable func usage(_ request: Request, context: AdminContext) async throws -> JSONValue {
        Representations.usage(try await billing.usage(userID: nil, days: try request.usageDays()), everyone: true)
    }

    /// Open reports, newest first, a page at a time (the admin page reads the first, 100).
    @Sendable func reports(_ request: Request, context: AdminContext) async throws -> JSONValue {
        let limit = try PageQuery.limit(request, default: PageQuery.maxLimit)
        let page = try await moderation.events(status: .open, kind: .report, before: try Self.eventCursor(request), limit: limit)
        let reports = page.items.map { report in
            var object = Representations.event(report).objectValue ?? [:]
            if let asset = report.assetID { object["signed_thumbnail_url"] = .string(links.signedPath(assetID: asset, thumbnail: true)) }
            return JSONValue.object(object)
        }
        return Representations.page(reports, hasMore: page.hasMore, lastID: page.items.last?.id)
    }

    @Sendable func events(_ request: Request, context: AdminContext) async throws -> JSONValue {
        var kind: ModerationEvent.Kind?
        if let text = request.uri.queryParameters["kind"].map(String.init) {
            guard let parsed = ModerationEvent.Kind(rawValue: text) else {
                throw EaselError.invalidRequest(
                    "Invalid kind '\(text)'. Use one of: \(ModerationEvent.Kind.allCases.map(\.rawValue).joined(separator: ", ")).",
                    param: "kind"
                )
            }
            kind = parsed
        }
        let limit = try PageQuery.limit(request, default: PageQuery.maxLimit)
        let page = try await moderation.events(status: nil, kind: kind, before: try Self.eventCursor(request), limit: limit)
        return Representations.page(page.items.map(Representations.event), hasMore: page.hasMore, lastID: page.items.last?.id)
    }

    @Sendable func hide(_ request: Request, context: AdminContext) async throws -> JSONValue {
        let asset = try await moderation.hide(assetID: try context.parameters.require("id"), by: context.identity)
        return .object(["id": .string(asset.id), "hidden": true])
    }

    @Sendable func delete(_ request: Request, context: AdminContext) async throws -> JSONValue {
        let asset = try await moderation.delete(assetID: try context.parameters.require("id"), by: context.identity)
        return .object(["id": .string(asset.id), "deleted": true])
    }
}
