import EaselCore
import Foundation

/// A job inserted already claimed by a worker in the submitting process (see `LocalDispatch`).
public struct JobClaim: Sendable, Equatable {
    public var worker: String
    public var leaseMs: Int64

    public init(worker: String, leaseMs: Int64) {
        self.worker = worker
        self.leaseMs = leaseMs
    }
}

/// A job to enqueue.
public struct NewJob: Sendable {
    public var id: String
    public var userID: String
    public var queue: String
    public var kind: JobKind
    public var payload: JobPayload
    /// Hash of the request as the client sent it; a reused idempotency key must come with the same one.
    public var requestHash: String
    public var priority: Int
    public var maxAttempts: Int
    public var idempotencyKey: String?
    public var groupID: String?
    /// Set when the job starts on a local worker at once: it is inserted running, attempt 1, leased.
    public var claim: JobClaim?
    /// The request cache's key (SHA-256 of what decides the image), when the caller allows reuse: an
    /// identical job of the same user in flight is joined instead of inserting this one.
    public var cacheKey: String?

    public init(
        id: String,
        userID: String,
        queue: String = "default",
        kind: JobKind,
        payload: JobPayload,
        requestHash: String,
        priority: Int = 0,
        maxAttempts: Int = 3,
        idempotencyKey: String? = nil,
        groupID: String? = nil,
        claim: JobClaim? = nil
    ) {
        self.claim = claim
        self.id = id
        self.userID = userID
        self.queue = queue
        self.kind = kind
        self.payload = payload
        self.requestHash = requestHash
        self.priority = priority
        self.maxAttempts = maxAttempts
        self.idempotencyKey = idempotencyKey
        self.groupID = groupID
    }
}

public enum CancelOutcome: Sendable, Equatable {
    case notFound
    /// Already succeeded, failed or cancelled: nothing changed.
    case alreadyFinished(JobRecord)
    case cancelled(JobRecord, wasRunning: Bool)
}

/// The durable job queue. Every finishing call names the worker and only acts while that worker still
/// holds the job, so a job whose lease expired and was taken over is never finished twice.
public protocol JobStore: Sendable {
    func push(_ job: NewJob) async throws -> PushOutcome
    /// Atomically moves up to `limit` ready jobs to `running` for `worker`, oldest first within priority.
    func claim(queue: String, worker: String, limit: Int, leaseMs: Int64) async throws -> [JobRecord]
    /// Extends the leases of `jobIDs`; returns the ids the worker still holds (others were cancelled or reaped).
    func heartbeat(worker: String, jobIDs: [String], leaseMs: Int64) async throws -> Set<String>
    /// Marks the job succeeded and stores its assets in the same transaction. Returns the finish time, or
    /// nil if the worker no longer held the job.
    /// `attempt` (when given) fences the attempt too: a worker's stale task of an earlier attempt that the same
    /// worker claimed again after its lease ran out finds nothing to finish.
    func complete(jobID: String, worker: String, attempt: Int?, result: JobResult, assets: [AssetRecord]) async throws -> Int64?
    /// Records a failed attempt (its errors in order, the last being why it failed) and schedules the next
    /// one after `delayMs`.
    func retry(jobID: String, worker: String, attempt: Int?, errors: [JobError], delayMs: Int64) async throws -> Bool
    /// Records the final failure (errors in order, the last being why).
    func fail(jobID: String, worker: String, attempt: Int?, errors: [JobError]) async throws -> Bool
    /// Records errors of an attempt that still succeeded (providers that failed over).
    func recordErrors(jobID: String, attempt: Int, errors: [JobError]) async throws
    /// Hands a running job back to the queue without counting the attempt: a worker shutting down (`afterMs`
    /// 0), or no provider could be called at all (every one cooling down: it runs again after `afterMs`).
    func release(jobID: String, worker: String, afterMs: Int64) async throws -> Bool
    /// Hands back every job still marked running under `worker` (its tasks have all ended). Returns their ids.
    func releaseAll(worker: String) async throws -> [String]
    func cancel(jobID: String, userID: String?) async throws -> CancelOutcome
    /// Returns expired `running` jobs to the queue (or fails them when out of attempts). Returns their ids.
    func requeueExpiredLeases() async throws -> [String]

    func job(id: String) async throws -> JobRecord?
    /// The jobs among `ids` that have finished (succeeded, failed or cancelled).
    func terminalJobs(ids: [String]) async throws -> [JobRecord]
    /// The jobs of `ids` that exist, in no order.
    func jobs(ids: [String]) async throws -> [JobRecord]
    /// Keeps a partial image of a running job for watchers in other processes (and wakes them).
    func savePartial(jobID: String, attempt: Int, partial: PartialImage) async throws
    /// The stored partials of the job's latest attempt, in order.
    func partials(jobID: String) async throws -> [PartialImage]
    func jobs(userID: String?, status: JobStatus?, groupID: String?, before: String?, limit: Int) async throws -> Page<JobRecord>
    /// 1 for the next job to be claimed; nil unless the job is waiting.
    func queuePosition(of job: JobRecord) async throws -> Int?
    func attempts(jobID: String) async throws -> [JobAttempt]
    func countsByStatus() async throws -> [JobStatus: Int]

    /// The user's most recent succeeded jobs with this cache key, newest first.
    func cachedJobs(userID: String, cacheKey: String, limit: Int) async throws -> [JobRecord]
    /// Stores a job that is already finished: the request cache answered it with `result`.
    func insertFinished(_ job: NewJob, result: JobResult) async throws -> PushOutcome
}

extension JobStore {
    public func complete(jobID: String, worker: String, result: JobResult, assets: [AssetRecord]) async throws -> Int64? {
        try await complete(jobID: jobID, worker: worker, attempt: nil, result: result, assets: assets)
    }

    public func release(jobID: String, worker: String) async throws -> Bool {
        try await release(jobID: jobID, worker: worker, afterMs: 0)
    }

    public func retry(jobID: String, worker: String, errors: [JobError], delayMs: Int64) async throws -> Bool {
        try await retry(jobID: jobID, worker: worker, attempt: nil, errors: errors, delayMs: delayMs)
    }

    public func fail(jobID: String, worker: String, errors: [JobError]) async throws -> Bool {
        try await fail(jobID: jobID, worker: worker, attempt: nil, errors: errors)
    }
}
