import EaselCore
import Foundation
import Hummingbird

/// Runs one brief on several models at once, as a job group, so results can be judged side by side; and
/// shows any group (a comparison or an aspect set) with its jobs.
struct GroupsController {
    let groups: JobGroupService
    let maxBodyBytes: Int

    func addRoutes(to router: some RouterMethods<AuthenticatedContext>) {
        router.post("/api/compare", use: compare)
        router.get("/api/groups/{id}", use: group)
    }

    /// `{"prompt": …, "models": ["gpt-image-2", "easel-draft"], …generation fields}` → 202 with the group
    /// and one job per model. Every model is checked before anything is queued.
    @Sendable func compare(_ request: Request, context: AuthenticatedContext) async throws -> Response {
        let group = try await groups.compare(try await request.jsonObject(limit: maxBodyBytes), identity: context.identity)
        return .json(Representations.group(group.id, group.jobs), status: .accepted, headers: [.location: "/api/groups/\(group.id)"])
    }

    /// Bounded by construction: a comparison has at most 8 jobs, an aspect set at most 10.
    @Sendable func group(_ request: Request, context: AuthenticatedContext) async throws -> JSONValue {
        let group = try await groups.group(id: try context.parameters.require("id"), userID: context.identity.userID)
        return Representations.group(group.id, group.jobs)
    }
}
