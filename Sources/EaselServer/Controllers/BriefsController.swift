import EaselCore
import Hummingbird

/// Briefs compiled without making anything: the prompt, the size for the model, the lint and the cost.
struct BriefsController {
    let briefs: BriefService
    let maxBodyBytes: Int

    func addRoutes(to router: some RouterMethods<AuthenticatedContext>) {
        router.post("/api/briefs/compile", use: compile)
        // Bounded by construction: the fixed preset tables compiled into Easel.
        router.get("/api/briefs/presets") { _, _ -> JSONValue in Representations.presets() }
    }

    /// `{brief | template + variables, brand_kit?, model?, n?, quality?, output_format?}`.
    @Sendable func compile(_ request: Request, context: AuthenticatedContext) async throws -> JSONValue {
        Representations.compiled(try await briefs.compile(try await request.jsonObject(limit: maxBodyBytes), identity: context.identity))
    }
}

/// The template library: list, create, read, change (a new version each time), delete, versions, diff and
/// rollback.
struct TemplatesController {
    let templates: TemplateService
    let maxBodyBytes: Int

    func addRoutes(to router: some RouterMethods<AuthenticatedContext>) {
        router.get("/api/templates", use: list)
        router.post("/api/templates", use: create)
        router.get("/api/templates/{id}", use: show)
        router.put("/api/templates/{id}", use: update)
        router.delete("/api/templates/{id}", use: delete)
        router.get("/api/templates/{id}/versions", use: versions)
        router.get("/api/templates/{id}/diff", use: diff)
        router.post("/api/templates/{id}/rollback", use: rollback)
    }

    /// A page at a time (pickers read the first, 100); the built-in starters lead the first page.
    @Sendable func list(_ request: Request, context: AuthenticatedContext) async throws -> JSONValue {
        let paging = try PageQuery(request, cursorPrefix: "tpl", defaultLimit: PageQuery.maxLimit)
        let page = try await templates.list(identity: context.identity, before: paging.before, limit: paging.limit)
        return Representations.page(page.items.map(\.json), hasMore: page.hasMore, lastID: page.items.last?.id)
    }

    @Sendable func create(_ request: Request, context: AuthenticatedContext) async throws -> Response {
        let template = try await templates.create(body: try await request.jsonBody(limit: maxBodyBytes), identity: context.identity)
        return .json(template.json, status: .created, headers: [.location: "/api/templates/\(template.id)"])
    }

    @Sendable func show(_ request: Request, context: AuthenticatedContext) async throws -> JSONValue {
        try await templates.template(try context.parameters.require("id"), identity: context.identity).json
    }

    /// The whole new body; `If-Match: <version>` refuses the change if someone else made one since.
    @Sendable func update(_ request: Request, context: AuthenticatedContext) async throws -> JSONValue {
        var expected: Int?
        if let header = request.headers[.ifMatch] {
            guard let version = Int(header.trimmingCharacters(in: ["\"", " "])) else {
                throw EaselError.invalidRequest("If-Match takes the version number the change was made from.", param: "If-Match")
            }
            expected = version
        }
        let body = try await request.jsonBody(limit: maxBodyBytes)
        return try await templates.update(try context.parameters.require("id"), body: body, expected: expected, identity: context.identity).json
    }

    @Sendable func delete(_ request: Request, context: AuthenticatedContext) async throws -> JSONValue {
        let id = try context.parameters.require("id")
        try await templates.delete(id, identity: context.identity)
        return .object(["id": .string(id), "deleted": true])
    }

    /// The newest versions (`limit`, default 100), oldest first; `before=<version>` pages back through older ones.
    @Sendable func versions(_ request: Request, context: AuthenticatedContext) async throws -> JSONValue {
        let id = try context.parameters.require("id")
        let limit = try PageQuery.limit(request, default: PageQuery.maxLimit)
        var before: Int?
        if let text = request.uri.queryParameters["before"].map(String.init) {
            guard let version = Int(text), version > 0 else {
                throw EaselError.invalidRequest("Invalid 'before': '\(text)'. It must be a version number.", param: "before")
            }
            before = version
        }
        let page = try await templates.versions(id, identity: context.identity, before: before, limit: limit)
        return .object([
            "object": "list",
            "data": .array(page.items.map { Representations.version($0, id: id) }),
            "has_more": .bool(page.hasMore),
            "next_cursor": page.hasMore ? .optional(page.items.first.map { String($0.version) }) : .null,
        ])
    }

    /// `?from=1&to=2`: what changed, field by field.
    @Sendable func diff(_ request: Request, context: AuthenticatedContext) async throws -> JSONValue {
        let id = try context.parameters.require("id")
        let query = request.uri.queryParameters
        func version(_ name: String) throws -> Int {
            guard let text = query[Substring(name)].map(String.init), let value = Int(text) else {
                throw EaselError.invalidRequest("'\(name)' must be a version number.", param: name, code: "missing_required_parameter")
            }
            return value
        }
        let (from, to) = (try version("from"), try version("to"))
        let changes = try await templates.diff(id, from: from, to: to, identity: context.identity)
        return .object([
            "object": "template.diff", "template_id": .string(id), "from": .int(from), "to": .int(to), "changes": .array(changes.map(\.json)),
        ])
    }

    /// `{version}`: that version's body, published again as the newest.
    @Sendable func rollback(_ request: Request, context: AuthenticatedContext) async throws -> Response {
        guard let version = try FieldReader(fields: try await request.jsonObject(limit: 64 * 1024)).integer("version") else {
            throw EaselError.missing("version")
        }
        let template = try await templates.rollback(try context.parameters.require("id"), to: version, identity: context.identity)
        return .json(template.json, status: .created)
    }
}

/// Brand kits: a team's palette, style, constraints and banned words.
struct BrandKitsController {
    let kits: BrandKitService

    func addRoutes(to router: some RouterMethods<AuthenticatedContext>) {
        router.get("/api/brand-kits", use: list)
        router.post("/api/brand-kits", use: create)
        router.get("/api/brand-kits/{id}", use: show)
        router.put("/api/brand-kits/{id}", use: update)
        router.delete("/api/brand-kits/{id}", use: delete)
    }

    static func kit(_ kit: BrandKit, shared: Bool) -> JSONValue {
        var object = kit.json.objectValue ?? [:]
        object["shared"] = .bool(shared)
        return .object(object)
    }

    /// A page at a time (pickers read the first, 100).
    @Sendable func list(_ request: Request, context: AuthenticatedContext) async throws -> JSONValue {
        let paging = try PageQuery(request, cursorPrefix: "kit", defaultLimit: PageQuery.maxLimit)
        let page = try await kits.list(identity: context.identity, before: paging.before, limit: paging.limit)
        return Representations.page(page.items.map { Self.kit($0.0, shared: $0.shared) }, hasMore: page.hasMore, lastID: page.items.last?.0.id)
    }

    @Sendable func create(_ request: Request, context: AuthenticatedContext) async throws -> Response {
        let body = try await request.jsonBody(limit: 256 * 1024)
        let kit = try await kits.create(body: body, identity: context.identity)
        return .json(Self.kit(kit, shared: body["shared"] == .bool(true)), status: .created, headers: [.location: "/api/brand-kits/\(kit.id)"])
    }

    @Sendable func show(_ request: Request, context: AuthenticatedContext) async throws -> JSONValue {
        try await kits.kit(try context.parameters.require("id"), identity: context.identity).json
    }

    @Sendable func update(_ request: Request, context: AuthenticatedContext) async throws -> JSONValue {
        try await kits.update(try context.parameters.require("id"), body: try await request.jsonBody(limit: 256 * 1024), identity: context.identity)
            .json
    }

    @Sendable func delete(_ request: Request, context: AuthenticatedContext) async throws -> JSONValue {
        let id = try context.parameters.require("id")
        try await kits.delete(id, identity: context.identity)
        return .object(["id": .string(id), "deleted": true])
    }
}
