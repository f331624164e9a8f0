import EaselCore

/// Jobs submitted together as one group: a brief compared across models, or one brief at several aspect
/// ratios. Every member is checked before any is queued.
struct JobGroupService: Sendable {
    let jobs: JobService
    let catalog: ModelCatalog
    let ids: IDGenerator
    let clock: any EaselClock

    struct Group: Sendable {
        var id: String
        var jobs: [JobRecord]
    }

    /// `{"prompt": …, "models": ["gpt-image-2", "easel-draft"], …generation fields}`: one job per model.
    func compare(_ body: [String: JSONValue], identity: Identity) async throws -> Group {
        var fields = body
        guard case .array(let list)? = fields.removeValue(forKey: "models"), !list.isEmpty else {
            throw EaselError.invalidRequest("'models' must be a non-empty list of model names.", param: "models", code: "missing_required_parameter")
        }
        guard list.count <= 8 else {
            throw EaselError.invalidRequest("Compare at most 8 models at once.", param: "models", code: "array_above_max_length")
        }
        var requests: [ImageRequest] = []
        var seen: Set<String> = []
        let seed = IterationService.newSeed()
        let parser = catalog.parser
        for (index, item) in list.enumerated() {
            guard let model = item.stringValue else { throw EaselError.invalidType("models[\(index)]", expected: "a string", got: item) }
            guard seen.insert(model).inserted else {
                throw EaselError.invalidRequest("Model '\(model)' is listed twice.", param: "models[\(index)]")
            }
            var single = fields
            single["model"] = .string(model)
            do {
                requests.append(try parser.parse(.object(single), seed: seed))
            } catch {
                var scoped = error
                scoped.message = "For models[\(index)] ('\(model)'): " + error.message
                if scoped.param == "model" { scoped.param = "models[\(index)]" }
                throw scoped
            }
        }
        return try await submit(
            requests.map { request in
                var raw = fields
                raw["model"] = .string(request.model)
                return (request, raw)
            },
            identity: identity
        )
    }

    /// `aspects: ["1:1", "16:9", …]` on a generation body: one job per aspect (see `AspectSetPlan`).
    func aspectSet(_ body: [String: JSONValue], identity: Identity) async throws -> (Group, AspectSetPlan) {
        var fields = body
        let aspects = fields.removeValue(forKey: "aspects") ?? .null
        let plan = try AspectSetPlan(fields: fields, aspects: aspects, parser: catalog.parser, seed: IterationService.newSeed())
        let group = try await submit(
            plan.members.map { member in
                var raw = fields
                raw["aspect"] = .string(member.aspect.description)
                return (member.request, raw)
            },
            identity: identity
        )
        return (group, plan)
    }

    private func submit(_ members: [(ImageRequest, [String: JSONValue])], identity: Identity) async throws -> Group {
        let priority = try JobPriority.read(members.first?.1 ?? [:])
        let groupID = ids.make(prefix: "grp", millis: clock.nowMillis())
        var queued: [JobRecord] = []
        for (request, fields) in members {
            var streaming = request
            streaming.stream = request.partialImages > 0
            var raw = fields
            raw["group"] = .string(groupID)
            queued.append(
                try await jobs.enqueue(
                    .init(
                        payload: JobPayload(request: streaming),
                        userID: identity.userID,
                        rawRequest: .object(raw),
                        priority: priority,
                        groupID: groupID,
                        identity: identity
                    )
                ).job
            )
        }
        return Group(id: groupID, jobs: queued)
    }

    /// The caller's group with its jobs, oldest first.
    func group(id: String, userID: String) async throws -> Group {
        guard EaselID.isValid(id, prefix: "grp") else { throw EaselError.notFound("job group", id: id, param: "id") }
        let page = try await jobs.list(userID: userID, status: nil, groupID: id, before: nil, limit: 100)
        guard !page.items.isEmpty else { throw EaselError.notFound("job group", id: id, param: "id") }
        return Group(id: id, jobs: page.items.sorted { $0.id < $1.id })
    }
}
