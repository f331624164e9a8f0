import Crypto
import EaselCore
import EaselProviders
import EaselStore
import Foundation
import Logging

/// The job API used by HTTP handlers and the CLI: submit, look up, cancel, list, watch. Handlers never
/// touch SQL; they come here.
public struct JobService: Sendable {
    let jobs: any JobStore
    let assets: any AssetStore
    let blobs: any BlobStore
    let accounts: AccountService
    let hub: JobEventHub
    let signal: WorkSignal
    let running: RunningJobs
    let dispatch: LocalDispatch
    let ids: IDGenerator
    let clock: any EaselClock
    let metrics: EaselMetrics
    let config: EaselConfig

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

        public init(kind: JobKind = .generate, payload: JobPayload, userID: String, rawRequest: JSONValue,
                    idempotencyKey: String? = nil, priority: Int = 0, groupID: String? = nil, identity: Identity? = nil) {
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

    /// Enqueues a job (or finds the one its idempotency key already made) and starts watching it before
    /// any worker can touch it, so no partial image is missed.
    public func submit(_ submission: Submission) async throws -> (PushOutcome, JobWatch) {
        let (outcome, watch) = try await submit(submission, watching: true)
        return (outcome, watch!)
    }

    /// Enqueues and waits for the job to end (the synchronous door): nil when `timeoutSeconds` pass first.
    @inline(never) public func submitAndWait(_ submission: Submission, timeoutSeconds: Int) async throws -> (PushOutcome, (JobRecord, [JobOutput])?) {
        let deadline = ContinuousClock.now + .seconds(timeoutSeconds)
        let completions = hub.completions
        // Registered under the id the job will have, before it exists, so its end cannot slip by.
        let provisional = ids.make(prefix: "job", millis: clock.nowMillis())
        let ticket = completions.register(jobID: provisional, deadline: deadline)
        let outcome: PushOutcome
        do {
            outcome = try await push(submission, id: provisional)
        } catch {
            completions.cancel(ticket)
            throw error
        }
        var waiting = ticket
        if outcome.job.id != provisional {
            completions.cancel(ticket)
            waiting = completions.register(jobID: outcome.job.id, deadline: deadline)
        }
        if outcome.job.status.isTerminal {
            completions.cancel(waiting)
            return (outcome, (outcome.job, []))
        }
        guard let event = await completions.wait(waiting, store: jobs, pollIntervalMs: config.pollIntervalMs),
              let job = event.job, job.status.isTerminal else {
            return (outcome, nil)
        }
        return (outcome, (job, event.outputs))
    }

    /// Enqueues without watching (the job API answers at once and needs no events).
    public func enqueue(_ submission: Submission) async throws -> PushOutcome {
        try await submit(submission, watching: false).0
    }

    private func submit(_ submission: Submission, watching: Bool) async throws -> (PushOutcome, JobWatch?) {
        let id = ids.make(prefix: "job", millis: clock.nowMillis())
        let watch = watching ? JobWatch(jobID: id, hub: hub) : nil
        let outcome: PushOutcome
        do {
            outcome = try await push(submission, id: id)
        } catch {
            watch?.cancel()
            throw error
        }
        switch outcome {
        case .created(let record):
            watch?.known.withLock { $0 = record }
            return (outcome, watch)
        case .existing(let record):
            watch?.cancel()
            return (outcome, watching ? JobWatch(jobID: record.id, hub: hub) : nil)
        }
    }

    /// Stores the job under `id` (or finds the one its idempotency key made) and, if new, tells workers.
    @inline(never) private func push(_ submission: Submission, id: String) async throws -> PushOutcome {
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
            id: id, userID: submission.userID, kind: submission.kind, payload: payload,
            requestHash: Self.hash(submission.rawRequest), priority: submission.priority,
            maxAttempts: config.retry.maxAttempts, idempotencyKey: submission.idempotencyKey, groupID: submission.groupID)
        if let identity = submission.identity {
            try await accounts.check(submission.payload.request, identity: identity)
            if !postpaid {
                _ = try await accounts.admit(jobID: id, request: submission.payload.request,
                                             inputImages: submission.payload.inputAssetIDs.count, identity: identity)
            }
        }
        // A free slot on this process's worker: the job is inserted claimed and starts without a queue trip.
        job.claim = dispatch.reserveForSubmission()
        let outcome: PushOutcome
        do {
            outcome = try await jobs.push(job)
        } catch {
            if job.claim != nil { dispatch.release() }
            if submission.identity != nil && !postpaid { await accounts.refund(jobID: id) }
            throw error
        }
        switch outcome {
        case .existing:
            if job.claim != nil { dispatch.release() }
            // A repeated idempotency key found the first job: this request's reservation is returned.
            if submission.identity != nil, !postpaid { await accounts.refund(jobID: id) }
        case .created(let record):
            metrics.jobEnqueued(model: record.model)
            if job.claim != nil {
                // It never waited: watchers see it running (the runner says so as it starts).
                dispatch.launch(record)
            } else {
                hub.publish(.queued(record))
                signal.wake()
            }
        }
        return outcome
    }

    /// The job, if it exists and belongs to `userID`; otherwise 404 (never someone else's job).
    public func job(id: String, userID: String?) async throws -> JobRecord {
        guard EaselID.isValid(id, prefix: "job"), let job = try await jobs.job(id: id), userID == nil || job.userID == userID else {
            throw EaselError.notFound("job", id: id, param: "id")
        }
        return job
    }

    public func cancel(id: String, userID: String?) async throws -> JobRecord {
        guard EaselID.isValid(id, prefix: "job") else { throw EaselError.notFound("job", id: id, param: "id") }
        switch try await jobs.cancel(jobID: id, userID: userID) {
        case .notFound:
            throw EaselError.notFound("job", id: id, param: "id")
        case .alreadyFinished(let job):
            return job
        case .cancelled(let job, let wasRunning):
            if wasRunning { running.stop(id, reason: .cancelledByUser) }
            await accounts.finish(job)
            hub.publish(.cancelled(job))
            return job
        }
    }

    public func list(userID: String?, status: JobStatus?, groupID: String? = nil, before: String?, limit: Int) async throws -> Page<JobRecord> {
        try await jobs.jobs(userID: userID, status: status, groupID: groupID, before: before, limit: limit)
    }

    /// Follows an existing job.
    public func watch(jobID: String) -> JobWatch { JobWatch(jobID: jobID, hub: hub) }

    public func queuePosition(of job: JobRecord) async throws -> Int? { try await jobs.queuePosition(of: job) }
    public func attempts(of job: JobRecord) async throws -> [JobAttempt] { try await jobs.attempts(jobID: job.id) }

    /// The job's output images in order, with bytes (from memory when given, else from the blob store).
    public func outputs(of job: JobRecord, inMemory: [JobOutput] = []) async throws -> [JobOutput] {
        if !inMemory.isEmpty, inMemory.allSatisfy({ $0.data != nil }) { return inMemory }
        let records = try await assets.assets(ids: job.result?.assetIDs ?? [])
        var outputs: [JobOutput] = []
        for asset in records {
            outputs.append(JobOutput(asset: asset, data: try await blobs.get(key: asset.blobKey)))
        }
        return outputs
    }

    static func hash(_ value: JSONValue) -> String {
        hexString(SHA256.hash(data: value.serialized()))
    }
}
