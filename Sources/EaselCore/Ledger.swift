/// One row of a user's ledger: every change to a balance, in integer micro-dollars.
public struct LedgerEntry: Sendable, Equatable {
    /// Which part of a job's money a row is: its reservation, its one final row, or no job at all.
    public enum Phase: String, Sendable, CaseIterable {
        case reserve
        case final
        case grant
        case budget
    }

    public enum Kind: String, Sendable, CaseIterable {
        case reserve
        /// The job's cost was taken (the difference to the reservation goes back).
        case settle
        /// The reservation went back whole: the job failed, was blocked or was cancelled.
        case refund
        case grant
        case budgetReset = "budget_reset"
        /// The request cache answered with an earlier image: nothing charged.
        case cacheHit = "cache_hit"
    }

    public var id: String
    public var userID: String
    public var jobID: String?
    public var phase: Phase
    public var kind: Kind
    public var amountMicros: Int64
    public var costMicros: Int64
    public var images: Int
    public var createdAt: Int64
    /// What the table price would have cost beyond `costMicros` (economy jobs).
    public var savedMicros: Int64

    public init(
        id: String,
        userID: String,
        jobID: String?,
        phase: Phase,
        kind: Kind,
        amountMicros: Int64,
        costMicros: Int64,
        images: Int,
        createdAt: Int64,
        savedMicros: Int64 = 0
    ) {
        self.id = id
        self.userID = userID
        self.jobID = jobID
        self.phase = phase
        self.kind = kind
        self.amountMicros = amountMicros
        self.costMicros = costMicros
        self.images = images
        self.createdAt = createdAt
        self.savedMicros = savedMicros
    }
}

/// Settled spending of one user on one model on one UTC day.
public struct UsageRow: Sendable, Equatable {
    public var userID: String
    public var day: String
    public var model: String
    public var images: Int
    public var jobs: Int
    public var costMicros: Int64
    /// What the batch price saved against the table price.
    public var savedMicros: Int64

    public init(userID: String, day: String, model: String, images: Int, jobs: Int, costMicros: Int64, savedMicros: Int64 = 0) {
        self.userID = userID
        self.day = day
        self.model = model
        self.images = images
        self.jobs = jobs
        self.costMicros = costMicros
        self.savedMicros = savedMicros
    }
}
