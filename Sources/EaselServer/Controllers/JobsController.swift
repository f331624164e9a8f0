import EaselCore
import Foundation
import Hummingbird

/// Easel's job API: submit without waiting, look up, list, cancel, and follow a job's events.
struct JobsController {
    let jobs: JobService
    let groups: JobGroupService
    let briefs: BriefService
    let webhooks: WebhookService
    let maxBodyBytes: Int

    func addRoutes(to router: some RouterMethods<AuthenticatedContext>) {
        router.post("/api/jobs", use: create)
        router.get("/api/jobs", use: list)
        router.get("/api/jobs/{id}", use: show)
        router.delete("/api/jobs/{id}", use: cancel)
        router.get("/api/jobs/{id}/events", use: events)
    }

    /// Same body as `/v1/images/generations` (a prompt, or a `brief`, or a `template` with `variables`), plus
    /// `priority` (-10…10). Partial images, when asked for, are delivered on the job's event stream. With
    /// `aspects`, one job group with a job per aspect.
    @Sendable func create(_ request: Request, context: AuthenticatedContext) async throws -> Response {
        let identity = context.identity
        let fields = try await request.jsonObject(limit: maxBodyBytes)
        if let aspects = fields["aspects"], aspects != .null {
            let (group, plan) = try await groups.aspectSet(fields, identity: identity)
            var object = Representations.group(group.id, group.jobs).objectValue ?? [:]
            object["aspects"] = .array(
                plan.members.map { .object(["aspect": .string($0.aspect.description), "size": .string($0.request.resolvedSize.description)]) }
            )
            return .json(.object(object), status: .accepted, headers: [.location: "/api/groups/\(group.id)"])
        }
        let priority = try JobPriority.read(fields)
        var body = fields
        body.removeValue(forKey: "priority")
        let webhookURL = try FieldReader(fields: body).string("webhook_url")
        body.removeValue(forKey: "webhook_url")
        let hook = try await webhookURL.asyncMap { try await webhooks.adHoc(url: $0, userID: identity.userID) }
        var submission = try await briefs.submission(
            body,
            identity: identity,
            idempotencyKey: request.headers[.idempotencyKey],
            cacheRequested: request.wantsCachedImage,
            priority: priority
        )
        submission.payload.webhookEndpointID = hook?.endpoint.id
        let submitted = try await jobs.submit(submission, delivery: .none)
        let job = submitted.job
        let position = try await jobs.queuePosition(of: job)
        return .json(
            Self.withWebhook(Representations.job(job, position: position), hook),
            status: submitted.isNew ? .accepted : .ok,
            headers: Self.headers(job, cache: submitted.cache)
        )
    }

    @Sendable func list(_ request: Request, context: AuthenticatedContext) async throws -> JSONValue {
        let user = context.identity.userID
        let paging = try PageQuery(request, cursorPrefix: "job")
        let page = try await jobs.list(userID: user, status: try request.jobStatusFilter(), before: paging.before, limit: paging.limit)
        return Representations.page(page.items.map { Representations.job($0) }, hasMore: page.hasMore, lastID: page.items.last?.id)
    }

    @Sendable func show(_ request: Request, context: AuthenticatedContext) async throws -> JSONValue {
        let job = try await jobs.job(id: try Self.id(context), userID: context.identity.userID)
        let position = try await jobs.queuePosition(of: job)
        let attempts = try await jobs.attempts(of: job)
        var object = Representations.job(job, position: position, attempts: attempts).objectValue ?? [:]
        // What it was charged once settled (a failed or cancelled job was refunded: null).
        object["cost_usd"] = try await jobs.cost(of: job).map { .string(Money.usd($0)) } ?? .null
        return .object(object)
    }

    @Sendable func cancel(_ request: Request, context: AuthenticatedContext) async throws -> JSONValue {
        Representations.job(try await jobs.cancel(id: try Self.id(context), userID: context.identity.userID))
    }

    /// SSE: the current state first (so a late client is never left guessing), then `queued`, `running`,
    /// `partial`, `retrying`, and one of `succeeded` / `failed` / `cancelled`, after which the stream ends.
    @Sendable func events(_ request: Request, context: AuthenticatedContext) async throws -> Response {
        let id = try Self.id(context)
        _ = try await jobs.job(id: id, userID: context.identity.userID)
        let watch = jobs.watch(jobID: id)
        let jobs = self.jobs
        return ServerSentEvents.response(headers: [.xEaselJobID: id]) { send in
            for await event in jobs.events(of: watch) {
                switch event {
                case .partial(_, let partial):
                    send(
                        Base64JSON.event(
                            "partial",
                            [
                                "job_id": .string(id), "image_index": .int(partial.imageIndex),
                                "partial_index": .int(partial.partialIndex), "mime_type": .string(partial.format.mimeType),
                            ],
                            base64Key: "b64_json",
                            data: partial.data
                        )
                    )
                default:
                    guard let job = event.job else { continue }
                    let name: String
                    switch event {
                    case .state: name = "state"
                    case .queued: name = "queued"
                    case .running: name = "running"
                    case .retrying: name = "retrying"
                    case .succeeded: name = "succeeded"
                    case .failed: name = "failed"
                    case .cancelled: name = "cancelled"
                    case .partial: continue
                    }
                    let position = job.status.isReady ? try? await jobs.queuePosition(of: job) : nil
                    send(ServerSentEvents.frame(event: name, data: Representations.job(job, position: position ?? nil)))
                    // A terminal state seen by polling is announced under its own name too.
                    if case .state = event, job.status.isTerminal {
                        send(ServerSentEvents.frame(event: job.status.rawValue, data: Representations.job(job)))
                    }
                }
            }
        }
    }

    static func headers(_ job: JobRecord, cache: JobService.CacheOutcome?) -> HTTPFields {
        let fields: HTTPFields = [.location: "/api/jobs/\(job.id)", .xEaselJobID: job.id]
        return fields.adding(cache: cache)
    }

    static func id(_ context: AuthenticatedContext) throws -> String {
        let id = try context.parameters.require("id")
        guard EaselID.isValid(id, prefix: "job") else {
            throw EaselError(
                status: 404,
                type: "invalid_request_error",
                code: "not_found",
                param: "id",
                message: "No job with id '\(id)' exists (job ids look like job_01JD…)."
            )
        }
        return id
    }
}

extension Request {
    /// The `status` filter of a job listing, or nil when absent.
    func jobStatusFilter() throws -> JobStatus? {
        guard let text = uri.queryParameters["status"].map(String.init) else { return nil }
        guard let parsed = JobStatus(rawValue: text) else {
            throw EaselError.invalidRequest(
                "Invalid status '\(text)'. Use one of: \(JobStatus.allCases.map(\.rawValue).joined(separator: ", ")).",
                param: "status"
            )
        }
        return parsed
    }
}
