import EaselCore
import Foundation
import Hummingbird

/// Runs one brief on several models at once, as a job group, so results can be judged side by side.
struct CompareController {
    let runtime: EaselRuntime

    func addRoutes(to router: Router<EaselRequestContext>) {
        router.post("/api/compare", use: compare)
        router.get("/api/groups/{id}", use: group)
    }

    /// `{"prompt": …, "models": ["gpt-image-2", "easel-draft"], …generation fields}` → 202 with the group
    /// and one job per model. Every model is checked before anything is queued.
    @Sendable func compare(_ request: Request, context: EaselRequestContext) async throws -> Response {
        let identity = try context.requireIdentity()
        let user = identity.userID
        let body = try await request.jsonBody(limit: runtime.config.maxJSONBodyBytes)
        guard case .object(var fields) = body else {
            throw EaselError.invalidRequest("The request body must be a JSON object.", param: nil, code: "invalid_json")
        }
        guard case .array(let list)? = fields.removeValue(forKey: "models"), !list.isEmpty else {
            throw EaselError.invalidRequest("'models' must be a non-empty list of model names.", param: "models", code: "missing_required_parameter")
        }
        guard list.count <= 8 else {
            throw EaselError.invalidRequest("Compare at most 8 models at once.", param: "models", code: "array_above_max_length")
        }
        var requests: [ImageRequest] = []
        var seen: Set<String> = []
        let seed = UInt64.random(in: 0...(1 << 53))
        for (index, item) in list.enumerated() {
            guard let model = item.stringValue else {
                throw EaselError.invalidType("models[\(index)]", expected: "a string", got: item)
            }
            guard seen.insert(model).inserted else {
                throw EaselError.invalidRequest("Model '\(model)' is listed twice.", param: "models[\(index)]")
            }
            var single = fields
            single["model"] = .string(model)
            do {
                var parsed = try runtime.parser.parse(.object(single), seed: seed)
                parsed.stream = parsed.partialImages > 0
                requests.append(parsed)
            } catch {
                var scoped = error
                scoped.message = "For models[\(index)] ('\(model)'): " + error.message
                if scoped.param == "model" { scoped.param = "models[\(index)]" }
                throw scoped
            }
        }
        let groupID = runtime.ids.make(prefix: "grp", millis: runtime.clock.nowMillis())
        var jobs: [JobRecord] = []
        for parsed in requests {
            var raw = fields
            raw["model"] = .string(parsed.model)
            raw["group"] = .string(groupID)
            jobs.append(try await runtime.jobService.enqueue(.init(
                payload: JobPayload(request: parsed), userID: user, rawRequest: .object(raw), groupID: groupID, identity: identity)).job)
        }
        return .json(Self.representation(groupID, jobs), status: .accepted, headers: [.location: "/api/groups/\(groupID)"])
    }

    @Sendable func group(_ request: Request, context: EaselRequestContext) async throws -> JSONValue {
        let identity = try context.requireIdentity()
        let user = identity.userID
        let id = try context.parameters.require("id")
        guard EaselID.isValid(id, prefix: "grp") else { throw EaselError.notFound("job group", id: id, param: "id") }
        let page = try await runtime.jobService.list(userID: user, status: nil, groupID: id, before: nil, limit: 100)
        guard !page.items.isEmpty else { throw EaselError.notFound("job group", id: id, param: "id") }
        return Self.representation(id, page.items.sorted { $0.id < $1.id })
    }

    static func representation(_ id: String, _ jobs: [JobRecord]) -> JSONValue {
        let finished = jobs.filter(\.status.isTerminal).count
        return .object([
            "object": "job_group",
            "id": .string(id),
            "status": .string(finished == jobs.count ? "finished" : "running"),
            "finished": .int(finished),
            "jobs": .array(jobs.map { Representations.job($0) }),
        ])
    }
}
