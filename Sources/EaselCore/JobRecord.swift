/// What a job is asked to do. Stored as JSON in the job row.
public struct JobPayload: Sendable, Hashable {
    public var request: ImageRequest
    /// Input images for edits, as asset ids (uploads are stored as assets first).
    public var inputAssetIDs: [String]
    public var maskAssetID: String?
    /// The asset this job derives from (an edit, variation, promotion or upscale), for lineage.
    public var parentAssetID: String?
    public var upscaleFactor: Int?
    /// Whether this job's cost is recorded in the ledger (every job a user submits; not the operator's own
    /// CLI and benches).
    public var billed = false
    /// Billed without a reservation: the plan limits nothing (no quota, no concurrency cap, unlimited
    /// spend), so admission writes nothing and the job's cost is recorded once when it ends.
    public var postpaid = false
    /// The brief, template and batch row this job was made from, when it was.
    public var origin: CreativeOrigin?
    public var tier: ServiceTier = .standard
    /// The share of the table price this job is reserved and settled at (50 for a provider's batch price).
    public var pricePercent = 100
    /// A Responses API turn sent upstream to `/v1/responses` with this mainline model (routes that forward).
    public var responsesModel: String?
    /// The webhook endpoint the request named (`webhook_url`): it hears this job's end.
    public var webhookEndpointID: String?

    public init(
        request: ImageRequest,
        inputAssetIDs: [String] = [],
        maskAssetID: String? = nil,
        parentAssetID: String? = nil,
        upscaleFactor: Int? = nil
    ) {
        self.request = request
        self.inputAssetIDs = inputAssetIDs
        self.maskAssetID = maskAssetID
        self.parentAssetID = parentAssetID
        self.upscaleFactor = upscaleFactor
    }
}

/// Where a job's prompt came from: a brief (compiled by `BriefCompiler`), perhaps filled from a template at
/// a version with variables, perhaps one item of a batch. Kept on the job and on every asset it makes.
public struct CreativeOrigin: Sendable, Hashable {
    public var brief: Brief?
    /// `id@version`.
    public var template: String?
    public var variables: [String: String] = [:]
    public var brandKit: String?
    /// The item's place in its batch (the batch is the job's group) and the row it came from.
    public var batchIndex: Int?
    public var batchRow: Int?

    public init(brief: Brief? = nil, template: String? = nil, variables: [String: String] = [:], brandKit: String? = nil) {
        self.brief = brief
        self.template = template
        self.variables = variables
        self.brandKit = brandKit
    }
}

/// Why an attempt failed, as kept on the job.
public struct JobError: Sendable, Hashable {
    public var status: Int
    public var type: String
    public var code: String?
    public var param: String?
    public var message: String
    public var retryable: Bool
    /// The provider's request id (OpenAI `x-request-id`) when the error came from upstream.
    public var upstreamRequestID: String?
    public var provider: String?
    /// OpenAI's `moderation_details` object, as JSON text, when a moderation block came with one.
    public var moderationDetails: String?

    public init(
        status: Int,
        type: String,
        code: String?,
        param: String? = nil,
        message: String,
        retryable: Bool,
        upstreamRequestID: String? = nil,
        provider: String? = nil,
        moderationDetails: String? = nil
    ) {
        self.status = status
        self.type = type
        self.code = code
        self.param = param
        self.message = message
        self.retryable = retryable
        self.upstreamRequestID = upstreamRequestID
        self.provider = provider
        self.moderationDetails = moderationDetails
    }

    public init(_ error: EaselError, retryable: Bool = false) {
        self.init(
            status: error.status,
            type: error.type,
            code: error.code,
            param: error.param,
            message: error.message,
            retryable: retryable
        )
    }

    public var easelError: EaselError {
        var extra: [String: JSONValue] = [:]
        if let moderationDetails, let details = try? JSONParser.parse(Array(moderationDetails.utf8)) {
            extra["moderation_details"] = details
        }
        return EaselError(status: status, type: type, code: code, param: param, message: message, extra: extra)
    }
}

/// What a finished job produced.
public struct JobResult: Sendable, Hashable {
    public var assetIDs: [String]
    public var usage: ImageUsage?
    public var provider: String
    public var isDraft: Bool
    public var upstreamRequestID: String?
    /// Set when the request cache answered: the earlier job whose images these are.
    public var cachedFrom: String?
    /// The prompt after the provider rewrote it, when it said (the Responses API reports one).
    public var revisedPrompt: String?

    public init(
        assetIDs: [String],
        usage: ImageUsage?,
        provider: String,
        isDraft: Bool,
        upstreamRequestID: String? = nil,
        cachedFrom: String? = nil,
        revisedPrompt: String? = nil
    ) {
        self.assetIDs = assetIDs
        self.usage = usage
        self.provider = provider
        self.isDraft = isDraft
        self.upstreamRequestID = upstreamRequestID
        self.cachedFrom = cachedFrom
        self.revisedPrompt = revisedPrompt
    }
}

/// A job as stored.
///
/// A copy-on-write box around `JobRecord.Fields`: jobs are held across suspension points all over the
/// server, and a 768-byte value inlined into every async frame made each waiting request's task tens of
/// kilobytes. Fields read and write as if they were stored properties (`job.status = .failed`).
@dynamicMemberLookup
public struct JobRecord: Sendable, Hashable {
    public struct Fields: Sendable, Hashable {
        public var id: String
        public var userID: String
        public var queue: String
        public var kind: JobKind
        public var model: String
        public var payload: JobPayload
        public var status: JobStatus
        public var priority: Int
        public var attempts: Int
        public var maxAttempts: Int
        public var runAt: Int64
        public var leaseUntil: Int64?
        public var workerID: String?
        public var lastError: JobError?
        public var idempotencyKey: String?
        public var groupID: String?
        /// The provider batch an economy job was sent in (while it waits there, and after).
        public var upstreamBatchID: String?
        public var result: JobResult?
        public var createdAt: Int64
        public var startedAt: Int64?
        public var finishedAt: Int64?
        public var updatedAt: Int64
    }

    @usableFromInline final class Box: @unchecked Sendable {
        // Written only through `fields` below, which copies the box first unless it is uniquely owned.
        @usableFromInline var fields: Fields
        @usableFromInline init(_ fields: Fields) { self.fields = fields }
    }

    @usableFromInline var box: Box

    public var fields: Fields {
        get { box.fields }
        set {
            if isKnownUniquelyReferenced(&box) { box.fields = newValue } else { box = Box(newValue) }
        }
    }

    // Inlinable so a field read compiles to a load in other modules, not a key path walk in the runtime.
    @inlinable public subscript<Value>(dynamicMember keyPath: WritableKeyPath<Fields, Value>) -> Value {
        get { box.fields[keyPath: keyPath] }
        set {
            if !isKnownUniquelyReferenced(&box) { box = Box(box.fields) }
            box.fields[keyPath: keyPath] = newValue
        }
    }

    public init(
        id: String,
        userID: String,
        queue: String,
        kind: JobKind,
        model: String,
        payload: JobPayload,
        status: JobStatus,
        priority: Int,
        attempts: Int,
        maxAttempts: Int,
        runAt: Int64,
        leaseUntil: Int64?,
        workerID: String?,
        lastError: JobError?,
        idempotencyKey: String?,
        groupID: String?,
        result: JobResult?,
        createdAt: Int64,
        startedAt: Int64?,
        finishedAt: Int64?,
        updatedAt: Int64,
        upstreamBatchID: String? = nil
    ) {
        box = Box(
            Fields(
                id: id,
                userID: userID,
                queue: queue,
                kind: kind,
                model: model,
                payload: payload,
                status: status,
                priority: priority,
                attempts: attempts,
                maxAttempts: maxAttempts,
                runAt: runAt,
                leaseUntil: leaseUntil,
                workerID: workerID,
                lastError: lastError,
                idempotencyKey: idempotencyKey,
                groupID: groupID,
                upstreamBatchID: upstreamBatchID,
                result: result,
                createdAt: createdAt,
                startedAt: startedAt,
                finishedAt: finishedAt,
                updatedAt: updatedAt
            )
        )
    }

    public static func == (lhs: JobRecord, rhs: JobRecord) -> Bool { lhs.box === rhs.box || lhs.box.fields == rhs.box.fields }
    public func hash(into hasher: inout Hasher) { box.fields.hash(into: &hasher) }
}

/// An error met during an attempt (a failed attempt, or a provider that failed over to the next), kept so
/// a job shows every upstream error it met.
public struct JobAttempt: Sendable, Hashable {
    public var jobID: String
    public var attempt: Int
    /// Order within the attempt (several providers may fail in one attempt).
    public var seq: Int
    public var error: JobError
    public var at: Int64

    public init(jobID: String, attempt: Int, seq: Int = 0, error: JobError, at: Int64) {
        self.jobID = jobID
        self.attempt = attempt
        self.seq = seq
        self.error = error
        self.at = at
    }
}

/// What submitting a job did: stored a new one, or found the one its idempotency key made.
public enum PushOutcome: Sendable {
    case created(JobRecord)
    /// The idempotency key was seen before with the same request: this is that job.
    case existing(JobRecord)

    public var job: JobRecord {
        switch self {
        case .created(let job), .existing(let job): job
        }
    }
}
