import EaselCore
import Foundation
import Hummingbird

/// Queue health for admins: how many jobs are in each state, and everyone's jobs, newest first.
struct AdminQueueController {
    let jobs: JobService

    func addRoutes(to router: some RouterMethods<AdminContext>) {
        router.get("/api/admin/queue", use: queue)
        router.get("/api/admin/jobs", use: list)
    }

    @Sendable func queue(_ request: Request, context: AdminContext) async throws -> JSONValue {
        let counts = try await jobs.countsByStatus()
        return .object([
            "object": "queue",
            "counts": .object(Dictionary(uniqueKeysWithValues: JobStatus.allCases.map { ($0.rawValue, JSONValue.int(counts[$0] ?? 0)) })),
        ])
    }

    /// `?status=&limit=&before=`, across every user; each job names its user.
    @Sendable func list(_ request: Request, context: AdminContext) async throws -> JSONValue {
        let paging = try PageQuery(request, cursorPrefix: "job")
        let page = try await jobs.list(userID: nil, status: try request.jobStatusFilter(), before: paging.before, limit: paging.limit)
        let items = page.items.map { job -> JSONValue in
            var object = Representations.job(job).objectValue ?? [:]
            object["user_id"] = .string(job.userID)
            return .object(object)
        }
        return Representations.page(items, hasMore: page.hasMore, lastID: page.items.last?.id)
    }
}
