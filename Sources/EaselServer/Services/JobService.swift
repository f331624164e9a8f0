import Crypto
import EaselCore
import EaselStore
import Foundation

/// The job API used by HTTP handlers and the CLI: submit, look up, cancel, list, watch.
public struct JobService: Sendable {
    let jobs: any JobStore
    let assets: AssetService
    let billing: BillingService
    let moderation: ModerationService
    let hub: JobEventHub
    let signal: WorkSignal
    /// Wakes the economy batcher (a job for a provider batch was queued, or one it holds was cancelled).
    let economySignal: WorkSignal
    let running: RunningJobs
    let dispatch: LocalDispatch
    let ids: IDGenerator
    let clock: any EaselClock
    let metrics: EaselMetrics
    /// Which models honour seeds (the request cache keys on the seed only for them).
    let catalog: ModelCatalog
    /// Attempts each job gets for retryable failures.
    let maxAttempts: Int
    /// How often waiters look at the store for jobs other processes finish.
    let pollIntervalMs: Int64

    /// A submission as the caller made it.
    public struct Submission: Sendable {
        public var kind: JobKind
        public var payload: JobPayload
        public var userID: String
        /// The body as the client sent it, hashed to check a reused idempotency key.
        public var rawRequest: JSONValue
        public var idempotencyKey: String?
        public var priority: Int
        public var groupID: String?
        /// Who asks: their plan is checked and the job's cost reserved before it is queued. Nil only for the
        /// operator's own CLI.
        public var identity: Identity?
        /// The caller allows an identical earlier image (the request cache): a finished one answers at no
        /// cost, one in flight is joined.
        public var cache = false
        /// The caller chose the seed (it then decides the picture on models that honour seeds).
        public var explicitSeed = false
        /// Admission already reserved this job (a batch admits all its items at once).
        var preAdmitted = false
        /// `economy` for jobs a provider batch takes (`EconomyPolicy`); the workers' queue otherwise.
        var queue = "default"

        public init(
            kind: JobKind = .generate,
            payload: JobPayload,
            userID: String,
            rawRequest: JSONValue,
            idempotencyKey: String? = nil,
            priority: Int = 0,
            groupID: String? = nil,
            identity: Identity? = nil
        ) {
            self.identity = identity
            self.kind = kind
            self.payload = payload
            self.userID = userID
            self.rawRequest = rawRequest
            self.idempotencyKey = idempotencyKey
            self.priority = priority
            self.groupID = groupID
        }
    }

    /// Plan rules and the prompt filter: checked before anything is stored or reserved.
    public func screen(_ request: ImageRequest, identity: Identity) async throws {
        try billing.checkPlan(request, identity: identity)
        try await moderation.screen(request.prompt, identity: identity)
    }

    /// How the caller wants to hear about the job: not at all (the job API answers at once), as a stream of
    /// events, or by waiting for its end (the synchronous door).
    public enum Delivery: Sendable {
        case none
        case stream
        case wait(seconds: Int)
    }

    public struct Submitted: Sendable {
        public var outcome: PushOutcome
        /// What the caller has left today, for plans with a daily limit.
        public var rateLimit: RateLimitStatus?
        /// `.stream`: the job's events, subscribed before it could run.
        public var watch: JobWatch?
        /// `.wait`: the job as it ended with its images, or nil when the wait ran out first.
        public var finished: (job: JobRecord, outputs: [JobOutput])?
        /// What the request cache did, when the caller allowed it.
        public var cache: CacheOutcome?

        public var job: JobRecord { outcome.job }
        public var isNew: Bool {
            if case .created = outcome { return true }
            return false
        }
    }

    public enum CacheOutcome: String, Sendable {
        /// An identical earlier image answered; nothing was charged.
        case hit
        /// An identical request in flight was joined.
        case joined
        /// Nothing identical: a new job.
        case miss
    }

    public func submit(_ submission: Submission, delivery: Delivery) async throws -> Submitted {
        var submitted: Submitted
        switch delivery {
        case .none:
            let (outcome, receipt) = try await push(submission, id: ids.make(prefix: "job", millis: clock.nowMillis()))
            submitted = Submitted(outcome: outcome, rateLimit: try await rateLimit(submission, outcome: outcome, receipt: receipt))
        case .stream:
            let (outcome, receipt, watch) = try await submitWatching(submission)
            submitted = Submitted(outcome: outcome, rateLimit: try await rateLimit(submission, outcome: outcome, receipt: receipt), watch: watch)
        case .wait(let seconds):
            let (outcome, receipt, finished) = try await submitAndWait(submission, timeoutSeconds: seconds)
            submitted = Submitted(
                outcome: outcome,
                rateLimit: try await rateLimit(submission, outcome: outcome, receipt: receipt),
                finished: finished
            )
        }
        if submission.cache {
            let fromCache = submitted.job.result?.cachedFrom != nil
            submitted.cache = fromCache ? .hit : submitted.isNew ? .miss : submission.idempotencyKey == nil ? .joined : .miss
        }
        return submitted
    }

    /// Enqueues without watching (the job API answers at once and needs no events).
    public func enqueue(_ submission: Submission) async throws -> PushOutcome {
        try await push(submission, id: ids.make(prefix: "job", millis: clock.nowMillis())).0
    }

    /// Enqueues a job whose id admission already reserved under (a batch item).
    func enqueueAdmitted(_ submission: Submission, id: String) async throws -> PushOutcome {
        var admitted = submission
        admitted.preAdmitted = true
        return try await push(admitted, id: id).0
    }

    /// A new job id, for admissions made before the jobs exist.
    func newJobID() -> String { ids.make(prefix: "job", millis: clock.nowMillis()) }

    /// Every job of a group (a batch's items and their retries), oldest first.
    func groupJobs(_ groupID: String, userID: String) async throws -> [JobRecord] {
        var all: [JobRecord] = []
        var before: String?
        while true {
            let page = try await jobs.jobs(userID: userID, status: nil, groupID: groupID, before: before, limit: 500)
            all += page.items
            guard page.hasMore, let last = page.items.last else { break }
            before = last.id
        }
        return all.reversed()
    }

    /// Admission just counted today's images, unless an earlier job answered (its reservation went back).
    private func rateLimit(_ submission: Submission, outcome: PushOutcome, receipt: AdmissionReceipt?) async throws -> RateLimitStatus? {
        guard let identity = submission.identity else { return nil }
        if case .created = outcome, let receipt { return try await billing.rateLimit(for: identity, imagesToday: receipt.imagesToday) }
        return try await billing.rateLimit(for: identity)
    }

    /// Enqueues a job (or finds the one its idempotency key already made) and starts watching it before
    /// any worker can touch it, so no partial image is missed.
    private func submitWatching(_ submission: Submission) async throws -> (PushOutcome, AdmissionReceipt?, JobWatch) {
        let id = ids.make(prefix: "job", millis: clock.nowMillis())
        let watch = JobWatch(jobID: id, hub: hub)
        let pushed: (PushOutcome, AdmissionReceipt?)
        do {
            pushed = try await push(submission, id: id)
        } catch {
            watch.cancel()
            throw error
        }
        switch pushed.0 {
        case .created(let record):
            watch.known.withLock { $0 = record }
            return (pushed.0, pushed.1, watch)
        case .existing(let record):
            watch.cancel()
            return (pushed.0, pushed.1, JobWatch(jobID: record.id, hub: hub))
        }
    }

    /// Enqueues and waits for the job to end: nil when `timeoutSeconds` pass first.
    @inline(never) private func submitAndWait(
        _ submission: Submission,
        timeoutSeconds: Int
    ) async throws -> (PushOutcome, AdmissionReceipt?, (job: JobRecord, outputs: [JobOutput])?) {
        let deadline = ContinuousClock.now + .seconds(timeoutSeconds)
        let completions = hub.completions
        // Registered under the id the job will have, before it exists, so its end cannot slip by.
        let provisional = ids.make(prefix: "job", millis: clock.nowMillis())
        let ticket = completions.register(jobID: provisional, deadline: deadline)
        let pushed: (PushOutcome, AdmissionReceipt?)
        do {
            pushed = try await push(submission, id: provisional)
        } catch {
            completions.cancel(ticket)
            throw error
        }
        let (outcome, receipt) = pushed
        var waiting = ticket
        if outcome.job.id != provisional {
            completions.cancel(ticket)
            waiting = completions.register(jobID: outcome.job.id, deadline: deadline)
        }
        if outcome.job.status.isTerminal {
            completions.cancel(waiting)
            return (outcome, receipt, (outcome.job, []))
        }
        guard let event = await completions.wait(waiting, store: jobs, pollIntervalMs: pollIntervalMs), let job = event.job,
            job.status.isTerminal
        else {
            return (outcome, receipt, nil)
        }
        return (outcome, receipt, (job, event.outputs))
    }

    /// Stores the job under `id` (or finds the one its idempotency key made) and, if new, tells workers.
    @inline(never) private func push(_ submission: Submission, id: String) async throws -> (PushOutcome, AdmissionReceipt?) {
        if let key = submission.idempotencyKey {
            guard !key.isEmpty, key.count <= 255 else {
                throw EaselError.invalidRequest("The Idempotency-Key header must be 1 to 255 characters.", param: nil)
            }
        }
        let postpaid = submission.identity?.plan.limitsNothing ?? false
        var payload = submission.payload
        payload.billed = submission.identity != nil
        payload.postpaid = postpaid
        var job = NewJob(
            id: id,
            userID: submission.userID,
            queue: submission.queue,
            kind: submission.kind,
            payload: payload,
            requestHash: Self.hash(submission.rawRequest),
            priority: submission.priority,
            maxAttempts: maxAttempts,
            idempotencyKey: submission.idempotencyKey,
            groupID: submission.groupID
        )
        var receipt: AdmissionReceipt?
        if let identity = submission.identity, !submission.preAdmitted {
            try await screen(submission.payload.request, identity: identity)
        }
        if submission.cache {
            job.cacheKey = try await cacheKey(submission)
            if let hit = try await cacheHit(job, submission: submission) { return (hit, nil) }
        }
        if let identity = submission.identity, !submission.preAdmitted, !postpaid {
            receipt = try await billing.admit(
                jobID: id,
                request: submission.payload.request,
                inputImages: submission.payload.inputAssetIDs.count,
                percent: submission.payload.pricePercent,
                identity: identity
            )
        }
        // A free slot on this process's worker: the job is inserted claimed and starts without a queue trip.
        // Jobs for a provider batch wait for the batcher instead.
        if submission.queue == "default" { job.claim = dispatch.reserveForSubmission() }
        let outcome: PushOutcome
        do {
            outcome = try await jobs.push(job)
        } catch is CacheRace {
            // The identical job finished between the insert and the join: its images answer this one.
            if job.claim != nil { dispatch.release() }
            if receipt != nil { await billing.refund(jobID: id) }
            if let hit = try await cacheHit(job, submission: submission) { return (hit, nil) }
            throw EaselError.unavailable("An identical request finished just now without its images; send this one again.", retryAfter: 1)
        } catch {
            if job.claim != nil { dispatch.release() }
            if receipt != nil { await billing.refund(jobID: id) }
            throw error
        }
        switch outcome {
        case .existing:
            if job.claim != nil { dispatch.release() }
            // A repeated idempotency key found the first job: this request's reservation is returned.
            if receipt != nil { await billing.refund(jobID: id) }
        case .created(let record):
            metrics.jobEnqueued(model: record.model)
            if job.claim != nil {
                // It never waited: watchers see it running (the runner says so as it starts).
                dispatch.launch(record)
            } else {
                hub.publish(.queued(record))
                if record.queue == EconomyPolicy.queue { economySignal.wake() } else { signal.wake() }
            }
        }
        return (outcome, receipt)
    }

    /// The job, if it exists and belongs to `userID`; otherwise 404 (never someone else's job).
    /// What a finished job was charged, in micro-dollars (nil until it is settled).
    public func cost(of job: JobRecord) async throws -> Int64? { try await billing.settledCost(jobID: job.id) }

    public func job(id: String, userID: String?) async throws -> JobRecord {
        guard EaselID.isValid(id, prefix: "job"), let job = try await jobs.job(id: id), userID == nil || job.userID == userID else {
            throw EaselError.notFound("job", id: id, param: "id")
        }
        return job
    }

    /// Cancels a queued or running job of the caller; 409 if it already ended.
    public func cancel(id: String, userID: String?) async throws -> JobRecord {
        guard EaselID.isValid(id, prefix: "job") else { throw EaselError.notFound("job", id: id, param: "id") }
        switch try await jobs.cancel(jobID: id, userID: userID) {
        case .notFound:
            throw EaselError.notFound("job", id: id, param: "id")
        case .alreadyFinished(let job):
            throw EaselError.conflict("Job \(id) already \(job.status.rawValue); there is nothing to cancel.", code: "job_finished")
        case .cancelled(let job, let wasRunning):
            if wasRunning { running.stop(id, reason: .cancelledByUser) }
            await billing.finish(job)
            hub.publish(.cancelled(job))
            // A provider batch none of whose jobs is wanted any more is cancelled upstream.
            if job.upstreamBatchID != nil { economySignal.wake() }
            return job
        }
    }

    /// Withdraws a job just submitted, if it has not ended (a session turn that lost a race).
    func withdraw(id: String, userID: String) async {
        _ = try? await cancel(id: id, userID: userID)
    }

    public func list(userID: String?, status: JobStatus?, groupID: String? = nil, before: String?, limit: Int) async throws -> Page<JobRecord> {
        try await jobs.jobs(userID: userID, status: status, groupID: groupID, before: before, limit: limit)
    }

    /// Follows an existing job.
    public func watch(jobID: String) -> JobWatch { JobWatch(jobID: jobID, hub: hub) }

    /// The job's events from its stored state on, until it ends or the deadline passes.
    public func events(of watch: JobWatch, deadline: ContinuousClock.Instant? = nil) -> AsyncStream<JobEvent> {
        watch.events(store: jobs, pollIntervalMs: pollIntervalMs, deadline: deadline)
    }

    public func queuePosition(of job: JobRecord) async throws -> Int? { try await jobs.queuePosition(of: job) }
    public func attempts(of job: JobRecord) async throws -> [JobAttempt] { try await jobs.attempts(jobID: job.id) }

    /// Jobs per state, across every process (readiness and metrics).
    public func countsByStatus() async throws -> [JobStatus: Int] { try await jobs.countsByStatus() }

    /// What the job cost (for `x-easel-cost-usd`).
    public func cost(of job: JobRecord) -> Int64 { billing.cost(of: job) }

    /// The job's output images in order, with bytes (from memory when given, else from the blob store).
    public func outputs(of job: JobRecord, inMemory: [JobOutput] = []) async throws -> [JobOutput] {
        if !inMemory.isEmpty, inMemory.allSatisfy({ $0.data != nil }) { return inMemory }
        var outputs: [JobOutput] = []
        for asset in try await assets.records(ids: job.result?.assetIDs ?? []) {
            outputs.append(JobOutput(asset: asset, data: try await assets.data(of: asset)))
        }
        return outputs
    }

    static func hash(_ value: JSONValue) -> String {
        hexString(SHA256.hash(data: value.serialized()))
    }

    // MARK: The request cache

    /// SHA-256 of what decides the image: the request's identity and the content of its inputs.
    private func cacheKey(_ submission: Submission) async throws -> String {
        let payload = submission.payload
        let inputs = try await assets.records(ids: payload.inputAssetIDs)
        let mask = try await assets.records(ids: payload.maskAssetID.map { [$0] } ?? []).first
        let seedMatters = submission.explicitSeed && catalog.isDraft(payload.request.model)
        var identity = payload.request.identity(inputDigests: inputs.map(\.sha256), maskDigest: mask?.sha256, seedMatters: seedMatters)
        if case .object(var object) = identity {
            object["kind"] = .string(submission.kind.rawValue)
            object["upscale"] = payload.upscaleFactor.map { .int($0) } ?? .null
            identity = .object(object)
        }
        return hexString(SHA256.hash(data: identity.serialized()))
    }

    /// An identical finished job of this user whose images are all still there (never hidden or deleted),
    /// stored as a new finished job with a zero-cost ledger row.
    private func cacheHit(_ job: NewJob, submission: Submission) async throws -> PushOutcome? {
        guard let key = job.cacheKey else { return nil }
        for earlier in try await jobs.cachedJobs(userID: job.userID, cacheKey: key, limit: 5) {
            guard let result = earlier.result, !result.assetIDs.isEmpty else { continue }
            let images = try await assets.records(ids: result.assetIDs).filter { $0.isVisible(to: job.userID) }
            guard images.count == result.assetIDs.count else { continue }
            var answered = job
            answered.cacheKey = nil
            answered.claim = nil
            let outcome = try await jobs.insertFinished(
                answered,
                result: JobResult(assetIDs: result.assetIDs, usage: nil, provider: result.provider, isDraft: result.isDraft, cachedFrom: earlier.id)
            )
            if case .created(let record) = outcome {
                if submission.preAdmitted {
                    // Its reservation exists: settled at zero, it gives everything back.
                    await billing.settleAtZero(record)
                } else if submission.identity != nil {
                    await billing.recordCacheHit(record)
                }
                metrics.jobEnqueued(model: record.model)
                hub.publish(.succeeded(record, []))
            }
            return outcome
        }
        return nil
    }
}
