import EaselCore
import EaselStore
import Foundation
import Logging

/// Plans and money: checks a request against the plan, reserves its estimated cost with the day's quota
/// and concurrency in one transaction, settles or refunds it exactly once, and reports usage.
public final class BillingService: Sendable {
    let ledger: any LedgerStore
    let prices: PriceTable
    let moderation: ModerationService
    let ids: IDGenerator
    let clock: any EaselClock
    let logger: Logger

    init(ledger: any LedgerStore, prices: PriceTable, moderation: ModerationService, ids: IDGenerator, clock: any EaselClock, logger: Logger) {
        self.ledger = ledger
        self.prices = prices
        self.moderation = moderation
        self.ids = ids
        self.clock = clock
        self.logger = logger
    }

    // MARK: Admission

    /// The plan's rules for this request (models, sizes, n, qualities): checked before anything is stored.
    public func checkPlan(_ request: ImageRequest, identity: Identity) throws {
        try identity.plan.check(request)
    }

    /// Reserves the job's estimated cost and counts its images, or refuses with `AdmissionDenied`.
    /// `percent`: the share of the table price the job runs at (an economy job's batch price).
    public func admit(jobID: String, request: ImageRequest, inputImages: Int, percent: Int = 100, identity: Identity) async throws -> AdmissionReceipt
    {
        let plan = identity.plan
        let now = clock.nowMillis()
        let estimate = prices.estimate(request, inputImages: inputImages, percent: percent)
        do {
            return try await ledger.admit(
                Admission(
                    userID: identity.userID,
                    jobID: jobID,
                    model: request.model,
                    images: request.n,
                    estimateMicros: estimate,
                    plan: plan,
                    now: now
                )
            )
        } catch let refusal as AdmissionRefusal {
            throw denial(refusal, plan: plan, asked: request.n, now: now)
        }
    }

    /// Why admission refused, as the client is told: the error and, for the daily quota, what is left.
    private func denial(_ refusal: AdmissionRefusal, plan: Plan, asked: Int, now: Int64) -> any Error {
        let resetSeconds = Self.secondsToMidnight(now)
        switch refusal {
        case .dailyQuota(let limit, let used):
            return AdmissionDenied(
                error: EaselError(
                    status: 429,
                    type: "rate_limit_error",
                    code: "daily_quota_exceeded",
                    param: nil,
                    message: "Your plan '\(plan.name)' allows \(limit) images per day; \(used) used today, \(asked) more asked. "
                        + "The quota resets at 00:00 UTC.",
                    retryAfterSeconds: resetSeconds
                ),
                rateLimit: RateLimitStatus(limit: limit, remaining: max(0, limit - used), resetSeconds: resetSeconds)
            )
        case .minuteRate(let limit, let retry):
            return AdmissionDenied(
                error: EaselError(
                    status: 429,
                    type: "rate_limit_error",
                    code: "rate_limit_exceeded",
                    param: nil,
                    message: "Your plan '\(plan.name)' allows \(limit) images per minute; try again in \(retry) s.",
                    retryAfterSeconds: retry
                )
            )
        case .concurrentJobs(let limit):
            return AdmissionDenied(
                error: EaselError(
                    status: 429,
                    type: "rate_limit_error",
                    code: "concurrent_jobs_exceeded",
                    param: nil,
                    message: "Your plan '\(plan.name)' runs at most \(limit) job\(limit == 1 ? "" : "s") at once; wait for one to finish.",
                    retryAfterSeconds: 2
                )
            )
        case .insufficientFunds(let balance, let needed):
            let reset = plan.budgetPeriod == .none ? "" : " or wait for your \(plan.budgetPeriod.rawValue) budget to reset"
            return AdmissionDenied(
                error: EaselError(
                    status: 429,
                    type: "insufficient_quota",
                    code: "insufficient_quota",
                    param: nil,
                    message: "This request is estimated at \(Money.usd(needed)) USD but your balance is \(Money.usd(balance)) USD. "
                        + "Ask an admin for credits\(reset)."
                )
            )
        case .unknownUser:
            return EaselError.unauthorized("Your account no longer exists.")
        }
    }

    // MARK: What is left

    /// The day's limit and what is left of it, for plans with a daily limit; `imagesToday` when admission
    /// just counted them, else read.
    public func rateLimit(for identity: Identity, imagesToday: Int? = nil) async throws -> RateLimitStatus? {
        guard let limit = identity.plan.imagesPerDay else { return nil }
        let now = clock.nowMillis()
        let used: Int
        if let imagesToday {
            used = imagesToday
        } else {
            used = try await ledger.imagesUsed(userID: identity.userID, day: UTCDay.string(millis: now))
        }
        return RateLimitStatus(limit: limit, remaining: max(0, limit - used), resetSeconds: Self.secondsToMidnight(now))
    }

    public struct Today: Sendable {
        public var day: String
        public var imagesUsed: Int
        public var imagesRemaining: Int?
    }

    public func today(for identity: Identity) async throws -> Today {
        let day = UTCDay.string(millis: clock.nowMillis())
        let used = try await ledger.imagesUsed(userID: identity.userID, day: day)
        return Today(day: day, imagesUsed: used, imagesRemaining: identity.plan.imagesPerDay.map { max(0, $0 - used) })
    }

    static func secondsToMidnight(_ now: Int64) -> Int { Int((UTCDay.nextMidnight(millis: now) - now + 999) / 1000) }

    /// What a request is estimated and reserved at, in micro-dollars.
    public func estimate(_ request: ImageRequest, inputImages: Int = 0, percent: Int = 100) -> Int64 {
        prices.estimate(request, inputImages: inputImages, percent: percent)
    }

    // MARK: Settling

    /// What the job costs at the price it ran at.
    public func cost(of job: JobRecord) -> Int64 {
        prices.actual(job.payload.request, usage: job.result?.usage, images: job.result?.assetIDs.count ?? 0, percent: job.payload.pricePercent)
    }

    /// What the job would have cost beyond `cost(of:)` at the table price (an economy job's saving).
    public func saving(of job: JobRecord) -> Int64 {
        guard job.payload.pricePercent != 100 else { return 0 }
        return max(0, prices.actual(job.payload.request, usage: job.result?.usage, images: job.result?.assetIDs.count ?? 0) - cost(of: job))
    }

    /// Settles a finished job from its usage, or refunds it; a second call for the same job changes nothing.
    @discardableResult
    public func finish(_ job: JobRecord) async -> Bool {
        guard job.payload.billed else { return false }
        do {
            if job.payload.postpaid {
                // Nothing was reserved: record what a success cost; a failure cost nothing.
                guard job.status == .succeeded else { return false }
                return try await ledger.charge(
                    jobID: job.id,
                    userID: job.userID,
                    model: job.model,
                    cost: cost(of: job),
                    saved: saving(of: job),
                    images: job.result?.assetIDs.count ?? 0,
                    now: clock.nowMillis()
                )
            }
            if job.status == .succeeded {
                return try await ledger.finish(
                    jobID: job.id,
                    cost: cost(of: job),
                    saved: saving(of: job),
                    images: job.result?.assetIDs.count ?? 0,
                    now: clock.nowMillis()
                )
            }
            let settled = try await ledger.finish(jobID: job.id, cost: nil, images: 0, now: clock.nowMillis())
            if settled, job.status == .failed, job.lastError?.code == "moderation_blocked" { await moderation.recordUpstreamBlock(job) }
            return settled
        } catch {
            logger.error("could not settle job; the reconciler will retry", metadata: ["job.id": "\(job.id)", "error": "\(error)"])
            return false
        }
    }

    /// A job the request cache answered: a final ledger row of zero cost, so it shows in the ledger.
    func recordCacheHit(_ job: JobRecord) async {
        do {
            try await ledger.recordCacheHit(jobID: job.id, userID: job.userID, model: job.model, now: clock.nowMillis())
        } catch {
            logger.error("could not record a cache hit", metadata: ["job.id": "\(job.id)", "error": "\(error)"])
        }
    }

    /// A reserved job that cost nothing after all (a batch item the cache answered): settled at zero.
    func settleAtZero(_ job: JobRecord) async {
        do {
            _ = try await ledger.finish(jobID: job.id, cost: 0, images: 0, now: clock.nowMillis())
        } catch {
            logger.error("could not settle a cached batch item; the reconciler will retry", metadata: ["job.id": "\(job.id)", "error": "\(error)"])
        }
    }

    /// Reserves a whole batch at once, or refuses it whole (`AdmissionDenied`).
    func admitBatch(_ items: [AdmissionItem], identity: Identity) async throws -> AdmissionReceipt {
        do {
            return try await ledger.admitBatch(userID: identity.userID, plan: identity.plan, now: clock.nowMillis(), items: items)
        } catch let refusal as AdmissionRefusal {
            throw denial(refusal, plan: identity.plan, asked: items.reduce(0) { $0 + $1.images }, now: clock.nowMillis())
        }
    }

    public func refund(jobID: String) async {
        do {
            _ = try await ledger.finish(jobID: jobID, cost: nil, images: 0, now: clock.nowMillis())
        } catch {
            logger.error("could not refund job; the reconciler will retry", metadata: ["job.id": "\(jobID)", "error": "\(error)"])
        }
    }

    // MARK: Usage and credits

    public struct Usage: Sendable {
        public var fromDay: String
        public var rows: [UsageRow]
        /// More rows than `usageRowLimit`: the oldest days are left out (and out of the totals).
        public var hasMore = false
        public var totalCostMicros: Int64 { rows.reduce(0) { $0 + $1.costMicros } }
        public var totalSavedMicros: Int64 { rows.reduce(0) { $0 + $1.savedMicros } }
        public var totalImages: Int { rows.reduce(0) { $0 + $1.images } }
    }

    /// Settled spending of the last `days` days: one user's, or everyone's when `userID` is nil.
    public func usage(userID: String?, days: Int) async throws -> Usage {
        guard (1...366).contains(days) else { throw EaselError.invalidRequest("'days' must be between 1 and 366.", param: "days") }
        let from = UTCDay.string(millis: clock.nowMillis() - Int64(days - 1) * 86_400_000)
        let rows = try await ledger.usage(userID: userID, fromDay: from, limit: Self.usageRowLimit + 1)
        return Usage(fromDay: from, rows: Array(rows.prefix(Self.usageRowLimit)), hasMore: rows.count > Self.usageRowLimit)
    }

    /// Rows of a usage report: one user's is at most days × models, but everyone's grows with the users.
    static let usageRowLimit = 10_000

    /// Adds credits (a negative amount takes them away); returns the new balance.
    public func grant(userID: String, micros: Int64, note: String?) async throws -> Int64 {
        // Bounded, so no run of grants can overflow a balance.
        guard micros.magnitude <= Money.maxGrantMicros.magnitude else {
            throw EaselError.invalidRequest("A grant is at most \(Money.usd(Money.maxGrantMicros)) either way.", param: "usd")
        }
        let now = clock.nowMillis()
        do {
            return try await ledger.grant(userID: userID, micros: micros, note: note, id: ids.make(prefix: "led", millis: now), now: now)
        } catch AdmissionRefusal.unknownUser {
            throw EaselError.notFound("user", id: userID, param: "id")
        }
    }

    /// What a finished job was charged (settled), or nil while it is unsettled or was refunded.
    public func settledCost(jobID: String) async throws -> Int64? {
        try await ledger.settledCosts(jobIDs: [jobID])[jobID]
    }
}
