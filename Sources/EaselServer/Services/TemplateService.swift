import EaselCore
import EaselStore

/// The template library: the built-in starters and the templates users make, each change a new immutable
/// version (with a diff between any two, and rollback as a new version). A user sees their own templates and
/// the shared ones; only admins share.
struct TemplateService: Sendable {
    let store: any TemplateStore
    let ids: IDGenerator
    let clock: any EaselClock

    /// The template a reference names (`blog-banner`, `tpl_…`, either with `@version`), if the caller may
    /// use it; nil when there is no such template (or version).
    func find(_ reference: String, identity: Identity) async throws -> Template? {
        // Empty pieces are kept, so "", "@" and "@3" name no template rather than reading past the parts.
        let parts = reference.split(separator: "@", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        guard let id = parts.first, !id.isEmpty else { return nil }
        let pinned = parts.count == 2 ? Int(parts[1]) : nil
        if parts.count == 2 && pinned == nil { return nil }
        if let builtIn = BuiltInTemplates.named(id) { return pinned == nil || pinned == 1 ? builtIn : nil }
        guard EaselID.isValid(id, prefix: "tpl"), let stored = try await store.template(id: id), Self.visible(stored, to: identity) else {
            return nil
        }
        if let pinned, pinned != stored.version {
            guard let version = try await store.version(id: id, version: pinned) else { return nil }
            return try Self.template(id: id, version: pinned, body: version.body, ownerID: stored.ownerID)
        }
        return try Self.template(id: id, version: stored.version, body: stored.body, ownerID: stored.ownerID)
    }

    /// The review settings of the template version an asset came from (`id@version`), whoever may see it:
    /// for reviews and the approval gate. Built-in templates and unknown references have the standard ones.
    func reviewPolicy(_ reference: String) async throws -> ReviewPolicy {
        let parts = reference.split(separator: "@", maxSplits: 1).map(String.init)
        guard parts.count == 2, let number = Int(parts[1]), EaselID.isValid(parts[0], prefix: "tpl"),
            let version = try await store.version(id: parts[0], version: number)
        else { return ReviewPolicy() }
        return (try? Template(json: version.body, id: parts[0]))?.review ?? ReviewPolicy()
    }

    /// As `find`, or a 400 naming `param` (a template used by a request that does not exist).
    func resolve(_ reference: String, identity: Identity, param: String) async throws -> Template {
        guard let template = try await find(reference, identity: identity) else {
            throw EaselError.invalidRequest(
                "Unknown template '\(reference)'. See GET /api/templates for the templates you can use.",
                param: param,
                code: "unknown_template"
            )
        }
        return template
    }

    /// As `find`, or a 404 (a route about the template itself).
    func template(_ reference: String, identity: Identity) async throws -> Template {
        guard let template = try await find(reference, identity: identity) else { throw EaselError.notFound("template", id: reference, param: "id") }
        return template
    }

    /// A page of the templates the caller may use, newest first. The built-in starters (a fixed handful) lead
    /// the first page, besides `limit` of the stored ones.
    func list(identity: Identity, before: String?, limit: Int) async throws -> Page<Template> {
        let stored = try await store.templates(visibleTo: identity.userID, before: before, limit: limit + 1)
        let made = try stored.prefix(limit).map { try Self.template(id: $0.id, version: $0.version, body: $0.body, ownerID: $0.ownerID) }
        return Page(items: (before == nil ? BuiltInTemplates.all : []) + made, hasMore: stored.count > limit)
    }

    func create(body: JSONValue, identity: Identity) async throws -> Template {
        let now = clock.nowMillis()
        var template = try Template(json: body, id: ids.make(prefix: "tpl", millis: now))
        let shared = try FieldReader(fields: body.objectValue ?? [:]).bool("shared") ?? false
        if shared && !identity.isAdmin {
            throw EaselError.adminOnly("Only admins share templates with everyone.", param: "shared")
        }
        template.ownerID = shared ? nil : identity.userID
        try await store.create(
            id: template.id,
            ownerID: template.ownerID,
            name: template.name,
            jobType: template.jobType,
            body: template.body,
            authorID: identity.userID,
            note: body["note"]?.stringValue,
            now: now
        )
        return template
    }

    /// A new version with `body` as it is; 409 if someone else changed it since `expected` (when given).
    func update(_ id: String, body: JSONValue, expected: Int?, identity: Identity) async throws -> Template {
        let current = try await editable(id, identity: identity)
        var template = try Template(json: body, id: id)
        template.ownerID = current.ownerID
        return try await publish(template, over: current, expected: expected, note: body["note"]?.stringValue, identity: identity)
    }

    /// Publishes an earlier version's body again, as the newest version.
    func rollback(_ id: String, to version: Int, identity: Identity) async throws -> Template {
        let current = try await editable(id, identity: identity)
        guard let old = try await store.version(id: id, version: version) else {
            throw EaselError.invalidRequest("Template \(id) has no version \(version).", param: "version")
        }
        var template = try Self.template(id: id, version: current.version, body: old.body, ownerID: current.ownerID)
        template.ownerID = current.ownerID
        return try await publish(template, over: current, expected: nil, note: "rollback to version \(version)", identity: identity)
    }

    func delete(_ id: String, identity: Identity) async throws {
        _ = try await editable(id, identity: identity)
        guard try await store.delete(id: id, now: clock.nowMillis()) else { throw EaselError.notFound("template", id: id, param: "id") }
    }

    /// The newest `limit` versions older than `before`, oldest first.
    func versions(_ id: String, identity: Identity, before: Int?, limit: Int) async throws -> Page<TemplateVersion> {
        if let builtIn = BuiltInTemplates.named(id) { return Page(items: [Self.builtInVersion(builtIn)], hasMore: false) }
        _ = try await template(id, identity: identity)
        return try await store.versions(id: id, before: before, limit: limit)
    }

    /// What changed from version `from` to version `to`, field by field.
    func diff(_ id: String, from: Int, to: Int, identity: Identity) async throws -> [JSONDiff.Change] {
        let a = try await version(id, from, identity: identity, param: "from")
        let b = try await version(id, to, identity: identity, param: "to")
        return JSONDiff.changes(from: a.body, to: b.body)
    }

    /// One version of a template the caller may see, or 400 naming `param`.
    private func version(_ id: String, _ number: Int, identity: Identity, param: String) async throws -> TemplateVersion {
        let version: TemplateVersion?
        if let builtIn = BuiltInTemplates.named(id) {
            version = number == 1 ? Self.builtInVersion(builtIn) : nil
        } else {
            _ = try await template(id, identity: identity)
            version = try await store.version(id: id, version: number)
        }
        guard let version else { throw EaselError.invalidRequest("No version \(number).", param: param) }
        return version
    }

    private static func builtInVersion(_ template: Template) -> TemplateVersion {
        TemplateVersion(version: 1, body: template.body, authorID: nil, note: "built in", createdAt: 0)
    }

    private func publish(
        _ template: Template,
        over current: StoredTemplate,
        expected: Int?,
        note: String?,
        identity: Identity
    ) async throws -> Template {
        if let expected, expected != current.version {
            throw EaselError.conflict(
                "Template \(current.id) is at version \(current.version), not \(expected); fetch it again before changing it.",
                code: "version_conflict",
                param: "version"
            )
        }
        guard
            try await store.addVersion(
                id: current.id,
                expected: current.version,
                name: template.name,
                jobType: template.jobType,
                body: template.body,
                authorID: identity.userID,
                note: note,
                now: clock.nowMillis()
            )
        else {
            throw EaselError.conflict("Template \(current.id) changed while this change was made; fetch it and try again.", code: "version_conflict")
        }
        var published = template
        published.version = current.version + 1
        return published
    }

    /// A stored template the caller may change: their own, or a shared one if they are an admin.
    func editable(_ id: String, identity: Identity) async throws -> StoredTemplate {
        if BuiltInTemplates.named(id) != nil {
            throw EaselError(
                status: 403,
                type: "invalid_request_error",
                code: "built_in_template",
                param: "id",
                message: "'\(id)' is a built-in template and cannot be changed; create your own from its body (GET /api/templates/\(id))."
            )
        }
        guard EaselID.isValid(id, prefix: "tpl"), let stored = try await store.template(id: id), Self.visible(stored, to: identity) else {
            throw EaselError.notFound("template", id: id, param: "id")
        }
        guard stored.ownerID == identity.userID || (stored.ownerID == nil && identity.isAdmin) else {
            throw EaselError.adminOnly("Only admins change shared templates.", param: "id")
        }
        return stored
    }

    static func visible(_ stored: StoredTemplate, to identity: Identity) -> Bool { stored.ownerID == nil || stored.ownerID == identity.userID }

    static func template(id: String, version: Int, body: JSONValue, ownerID: String?) throws -> Template {
        var template = try Template(json: body, id: id)
        template.version = version
        template.ownerID = ownerID
        return template
    }
}
