import EaselCore
import SQLKit

public struct Admission: Sendable {
    public var userID: String
    public var jobID: String
    public var model: String
    public var images: Int
    public var estimateMicros: Int64
    public var plan: Plan
    public var now: Int64

    public init(userID: String, jobID: String, model: String, images: Int, estimateMicros: Int64, plan: Plan, now: Int64) {
        self.userID = userID
        self.jobID = jobID
        self.model = model
        self.images = images
        self.estimateMicros = estimateMicros
        self.plan = plan
        self.now = now
    }
}

/// One job of an admission: its reservation.
public struct AdmissionItem: Sendable, Equatable {
    public var jobID: String
    public var model: String
    public var images: Int
    public var estimateMicros: Int64

    public init(jobID: String, model: String, images: Int, estimateMicros: Int64) {
        self.jobID = jobID
        self.model = model
        self.images = images
        self.estimateMicros = estimateMicros
    }
}

public enum AdmissionRefusal: Error, Sendable, Equatable {
    case dailyQuota(limit: Int, used: Int)
    /// The plan's images per minute, counted over the last 60 s on every process; room again in `retryAfter` s.
    case minuteRate(limit: Int, retryAfter: Int)
    case concurrentJobs(limit: Int)
    case insufficientFunds(balance: Int64, needed: Int64)
    case unknownUser
}

public struct AdmissionReceipt: Sendable, Equatable {
    public var imagesToday: Int
    public var balanceMicros: Int64
}

/// Money and quotas: admission (quota, concurrency and balance checked and the estimate reserved in one
/// transaction), settlement and refunds exactly once per job, credits, and usage. Every balance change
/// happens in one transaction with its ledger row.
public protocol LedgerStore: Sendable {
    /// Checks the daily quota, concurrent jobs and balance, and reserves the estimate, atomically.
    func admit(_ admission: Admission) async throws -> AdmissionReceipt
    /// The same for a whole batch at once: every item fits or none is admitted.
    func admitBatch(userID: String, plan: Plan, now: Int64, items: [AdmissionItem]) async throws -> AdmissionReceipt
    /// Records that the request cache answered a job: a final row of zero cost, nothing charged.
    func recordCacheHit(jobID: String, userID: String, model: String, now: Int64) async throws
    /// Settles (`cost` given) or refunds (`cost` nil) a job's reservation, exactly once: false when the job
    /// was already settled or refunded, or never reserved. `saved`: what the job would have cost at the table
    /// price beyond `cost` (an economy job at the provider's batch price).
    func finish(jobID: String, cost: Int64?, saved: Int64, images: Int, now: Int64) async throws -> Bool
    /// Adds (or with a negative amount takes away) credits; returns the new balance.
    func grant(userID: String, micros: Int64, note: String?, id: String, now: Int64) async throws -> Int64
    /// Records the cost of a job that had no reservation (a plan that limits nothing), exactly once.
    func charge(jobID: String, userID: String, model: String, cost: Int64, saved: Int64, images: Int, now: Int64) async throws -> Bool
    func imagesUsed(userID: String, day: String) async throws -> Int
    /// Settled spending by user, day and model since `fromDay`, newest days first, at most `limit` rows.
    func usage(userID: String?, fromDay: String, limit: Int) async throws -> [UsageRow]
    func ledger(userID: String, limit: Int) async throws -> [LedgerEntry]
    /// What each of `jobIDs` was settled at (jobs not settled are absent).
    func settledCosts(jobIDs: [String]) async throws -> [String: Int64]
    /// Reservations with no settlement or refund, made before `before`, whose job is not still waiting or running
    /// (an economy job may run for a day; those would otherwise fill every page).
    func openReservations(before: Int64, limit: Int) async throws -> [OpenReservation]
}

/// A reservation with no final row whose job is not waiting or running.
public struct OpenReservation: Sendable, Equatable {
    public var jobID: String
    public var userID: String
    public var createdAt: Int64
}

extension LedgerStore {
    public func finish(jobID: String, cost: Int64?, images: Int, now: Int64) async throws -> Bool {
        try await finish(jobID: jobID, cost: cost, saved: 0, images: images, now: now)
    }
}

public struct SQLLedgerStore: LedgerStore {
    private typealias Phase = LedgerEntry.Phase
    private typealias Kind = LedgerEntry.Kind

    let database: any EaselDatabase
    private let charges: GroupCommit<Charge>

    public init(database: any EaselDatabase) {
        self.database = database
        charges = GroupCommit { try await Self.write($0, database: database) }
    }

    public func admit(_ admission: Admission) async throws -> AdmissionReceipt {
        try await admit(
            userID: admission.userID,
            plan: admission.plan,
            now: admission.now,
            items: [
                AdmissionItem(jobID: admission.jobID, model: admission.model, images: admission.images, estimateMicros: admission.estimateMicros)
            ],
            batch: false
        )
    }

    public func admitBatch(userID: String, plan: Plan, now: Int64, items: [AdmissionItem]) async throws -> AdmissionReceipt {
        try await admit(userID: userID, plan: plan, now: now, items: items, batch: true)
    }

    /// One transaction for one job or a whole batch: the day's images for all of them, one balance check
    /// for their total, and a reserve row each. A batch is not held to the plan's concurrent-jobs limit
    /// (its items wait in the queue); it still counts its items as active until each ends.
    private func admit(userID: String, plan: Plan, now: Int64, items: [AdmissionItem], batch: Bool) async throws -> AdmissionReceipt {
        let day = UTCDay.string(millis: now)
        let images = items.reduce(0) { $0 + $1.images }
        let estimate = items.reduce(Int64(0)) { $0 + $1.estimateMicros }
        return try await database.write { db in
            guard
                let user = try await db.rows(
                    "SELECT \(unsafeRaw: SQLUserStore.userColumns), budget_period FROM users WHERE id = \(bind: userID)",
                    { (try SQLUserStore.decodeUser($0), try $0.optionalString("budget_period")) }
                ).first
            else {
                throw AdmissionRefusal.unknownUser
            }
            // A budget that resets tops the balance up at the start of each period (credits above it are kept).
            if let budget = plan.budgetMicros, plan.budgetPeriod != .none {
                let period = plan.budgetPeriod == .daily ? day : UTCDay.month(millis: now)
                if user.1 != period {
                    let topUp = max(0, budget - user.0.balanceMicros)
                    try await db.raw(
                        """
                        UPDATE users SET balance_micros = balance_micros + \(bind: topUp), budget_period = \(bind: period)
                        WHERE id = \(bind: user.0.id)
                        """
                    ).run()
                    try await db.raw(
                        """
                        INSERT INTO ledger (id, user_id, job_id, phase, kind, amount_micros, day, note, created_at)
                        VALUES (\(bind: "budget:\(user.0.id):\(period)"), \(bind: user.0.id), NULL, \(literal: Phase.budget.rawValue), \(literal: Kind.budgetReset.rawValue), \
                        \(bind: topUp), \(bind: day), \(bind: "\(plan.budgetPeriod.rawValue) budget of \(Money.usd(budget)) USD"), \(bind: now))
                        ON CONFLICT DO NOTHING
                        """
                    ).run()
                }
            }
            // Images per minute (single jobs; a batch's items wait in the queue): a window of the last 60 s,
            // in the database so every process counts the same admissions.
            if let perMinute = plan.imagesPerMinute, !batch, let item = items.first {
                try await db.raw("DELETE FROM minute_images WHERE user_id = \(bind: userID) AND at <= \(bind: now - 60_000)").run()
                let window = try await db.rows(
                    "SELECT CAST(COALESCE(SUM(images), 0) AS BIGINT) AS used, MIN(at) AS oldest FROM minute_images WHERE user_id = \(bind: userID)"
                ) { (try $0.int("used"), try $0.optionalInt64("oldest")) }.first
                if let (used, oldest) = window, used + images > perMinute {
                    let retry = oldest.map { Int(($0 + 60_000 - now + 999) / 1000) } ?? 60
                    throw AdmissionRefusal.minuteRate(limit: perMinute, retryAfter: max(1, retry))
                }
                try await db.raw(
                    """
                    INSERT INTO minute_images (user_id, at, images, job_id) VALUES (\(bind: userID), \(bind: now), \(bind: images), \(bind: item.jobID))
                    ON CONFLICT DO NOTHING
                    """
                ).run()
            }
            // Daily images: counted up only while under the limit, in the same statement.
            var imagesToday = images
            let limit = plan.imagesPerDay ?? Int.max / 2
            let counted = try await db.raw(
                """
                INSERT INTO daily_images (user_id, day, images) VALUES (\(bind: userID), \(bind: day), \(bind: images))
                ON CONFLICT (user_id, day) DO UPDATE SET images = daily_images.images + excluded.images
                WHERE daily_images.images + excluded.images <= \(bind: limit)
                RETURNING images
                """
            ).all()
            if let row = counted.first {
                imagesToday = try row.int("images")
                if imagesToday > limit { throw AdmissionRefusal.dailyQuota(limit: limit, used: imagesToday - images) }
            } else {
                let used =
                    try await db.rows(
                        "SELECT images FROM daily_images WHERE user_id = \(bind: userID) AND day = \(bind: day)",
                        { try $0.int("images") }
                    ).first ?? 0
                throw AdmissionRefusal.dailyQuota(limit: limit, used: used)
            }
            if let concurrent = plan.concurrentJobs, !batch {
                let ok = try await db.raw(
                    """
                    UPDATE users SET active_jobs = active_jobs + 1 WHERE id = \(bind: userID) AND active_jobs < \(bind: concurrent)
                    RETURNING id
                    """
                ).all()
                if ok.isEmpty { throw AdmissionRefusal.concurrentJobs(limit: concurrent) }
            } else {
                try await db.raw("UPDATE users SET active_jobs = active_jobs + \(bind: items.count) WHERE id = \(bind: userID)").run()
            }
            // The reservation: taken only if the balance covers it (unless the plan's spending is unlimited).
            var balanceQuery: SQLQueryString = """
                UPDATE users SET balance_micros = balance_micros - \(bind: estimate) WHERE id = \(bind: userID)
                """
            if !plan.unlimitedSpend && estimate > 0 { balanceQuery += " AND balance_micros >= \(bind: estimate)" }
            balanceQuery += " RETURNING balance_micros"
            guard let balanceRow = try await db.raw(balanceQuery).all().first else {
                let balance =
                    try await db.rows("SELECT balance_micros FROM users WHERE id = \(bind: userID)", { try $0.int64("balance_micros") })
                    .first ?? 0
                throw AdmissionRefusal.insufficientFunds(balance: balance, needed: estimate)
            }
            for part in items.chunked(200) {
                let rows = part.map { item -> SQLQueryString in
                    "(\(bind: item.jobID + ":reserve"), \(bind: userID), \(bind: item.jobID), \(literal: Phase.reserve.rawValue), \(literal: Kind.reserve.rawValue), \(bind: -item.estimateMicros), \(bind: item.images), \(bind: item.model), \(bind: day), \(bind: now))"
                }
                try await db.raw(
                    """
                    INSERT INTO ledger (id, user_id, job_id, phase, kind, amount_micros, images, model, day, created_at)
                    VALUES \(rows.joined(separator: ", "))
                    """
                ).run()
            }
            return AdmissionReceipt(imagesToday: imagesToday, balanceMicros: try balanceRow.int64("balance_micros"))
        }
    }

    public func recordCacheHit(jobID: String, userID: String, model: String, now: Int64) async throws {
        try await database.write { db in
            try await db.raw(
                """
                INSERT INTO ledger (id, user_id, job_id, phase, kind, amount_micros, cost_micros, images, model, day, note, created_at)
                VALUES (\(bind: jobID + ":final"), \(bind: userID), \(bind: jobID), \(literal: Phase.final.rawValue), \(literal: Kind.cacheHit.rawValue), \
                0, 0, 0, \(bind: model), \(bind: UTCDay.string(millis: now)), 'answered by the request cache', \(bind: now))
                ON CONFLICT DO NOTHING
                """
            ).run()
        }
    }

    public func finish(jobID: String, cost: Int64?, saved: Int64, images: Int, now: Int64) async throws -> Bool {
        try await database.write { db in
            guard
                let reserve = try await db.rows(
                    """
                    SELECT user_id, amount_micros, images, model, day FROM ledger WHERE job_id = \(bind: jobID) AND phase = \(literal: Phase.reserve.rawValue)
                    """,
                    {
                        (
                            try $0.string("user_id"), try $0.int64("amount_micros"), try $0.int("images"), try $0.optionalString("model"),
                            try $0.string("day")
                        )
                    }
                ).first
            else { return false }
            let (userID, reservedNegative, reservedImages, model, reserveDay) = reserve
            let reserved = -reservedNegative
            let change = cost.map { reserved - $0 } ?? reserved
            let inserted = try await db.raw(
                """
                INSERT INTO ledger (id, user_id, job_id, phase, kind, amount_micros, cost_micros, saved_micros, images, model, day, created_at)
                VALUES (\(bind: jobID + ":final"), \(bind: userID), \(bind: jobID), \(literal: Phase.final.rawValue), \(bind: (cost == nil ? Kind.refund : Kind.settle).rawValue), \
                \(bind: change), \(bind: cost ?? 0), \(bind: cost == nil ? 0 : saved), \(bind: cost == nil ? 0 : images), \(bind: model), \(bind: UTCDay.string(millis: now)), \(bind: now))
                ON CONFLICT DO NOTHING RETURNING id
                """
            ).all()
            guard !inserted.isEmpty else { return false }
            try await db.raw(
                """
                UPDATE users SET balance_micros = balance_micros + \(bind: change),
                active_jobs = CASE WHEN active_jobs > 0 THEN active_jobs - 1 ELSE 0 END WHERE id = \(bind: userID)
                """
            ).run()
            // Failed, blocked and cancelled work gives its images back to the day's quota; so do images a
            // job was reserved for but did not deliver.
            let returned = cost == nil ? reservedImages : max(0, reservedImages - images)
            if returned > 0 {
                try await db.raw(
                    """
                    UPDATE daily_images SET images = CASE WHEN images >= \(bind: returned) THEN images - \(bind: returned) ELSE 0 END
                    WHERE user_id = \(bind: userID) AND day = \(bind: reserveDay)
                    """
                ).run()
            }
            return true
        }
    }

    public func charge(jobID: String, userID: String, model: String, cost: Int64, saved: Int64, images: Int, now: Int64) async throws -> Bool {
        try await charges.submit(Charge(jobID: jobID, userID: userID, model: model, cost: cost, saved: saved, images: images, now: now))
    }

    struct Charge: Sendable {
        let jobID: String, userID: String, model: String, cost: Int64, saved: Int64, images: Int, now: Int64
    }

    /// Charges of many jobs in one transaction: one multi-row insert (a job's final row exists once), then
    /// one balance update per user for the rows that went in.
    static func write(_ charges: [Charge], database: any EaselDatabase) async throws -> [Bool] {
        let inserted = try await database.write { db -> Set<String> in
            var inserted = Set<String>()
            for part in charges.chunked(300) {
                let rows = part.map { c -> SQLQueryString in
                    "(\(bind: c.jobID + ":final"), \(bind: c.userID), \(bind: c.jobID), \(literal: Phase.final.rawValue), \(literal: Kind.settle.rawValue), \(bind: -c.cost), \(bind: c.cost), \(bind: c.saved), \(bind: c.images), \(bind: c.model), \(bind: UTCDay.string(millis: c.now)), \(bind: c.now))"
                }
                let ids = try await db.rows(
                    """
                    INSERT INTO ledger (id, user_id, job_id, phase, kind, amount_micros, cost_micros, saved_micros, images, model, day, created_at)
                    VALUES \(rows.joined(separator: ", ")) ON CONFLICT DO NOTHING RETURNING job_id
                    """
                ) { try $0.string("job_id") }
                inserted.formUnion(ids)
            }
            var perUser: [String: Int64] = [:]
            for charge in charges where inserted.contains(charge.jobID) { perUser[charge.userID, default: 0] += charge.cost }
            for (userID, total) in perUser where total != 0 {
                try await db.raw("UPDATE users SET balance_micros = balance_micros - \(bind: total) WHERE id = \(bind: userID)").run()
            }
            return inserted
        }
        return charges.map { inserted.contains($0.jobID) }
    }

    public func grant(userID: String, micros: Int64, note: String?, id: String, now: Int64) async throws -> Int64 {
        try await database.write { db in
            guard
                let row = try await db.raw(
                    """
                    UPDATE users SET balance_micros = balance_micros + \(bind: micros) WHERE id = \(bind: userID)
                    AND balance_micros + \(bind: micros) BETWEEN \(bind: -Money.maxBalanceMicros) AND \(bind: Money.maxBalanceMicros)
                    RETURNING balance_micros
                    """
                ).all().first
            else {
                let known = try await db.rows("SELECT id FROM users WHERE id = \(bind: userID)") { try $0.string("id") }
                guard known.isEmpty else {
                    throw EaselError.invalidRequest(
                        "That grant would take the balance past \(Money.usd(Money.maxBalanceMicros)) either way.",
                        param: "usd"
                    )
                }
                throw AdmissionRefusal.unknownUser
            }
            try await db.raw(
                """
                INSERT INTO ledger (id, user_id, job_id, phase, kind, amount_micros, day, note, created_at)
                VALUES (\(bind: id), \(bind: userID), NULL, \(literal: Phase.grant.rawValue), \(literal: Kind.grant.rawValue), \(bind: micros), \(bind: UTCDay.string(millis: now)), \(bind: note), \(bind: now))
                """
            ).run()
            return try row.int64("balance_micros")
        }
    }

    public func imagesUsed(userID: String, day: String) async throws -> Int {
        try await database.reader.rows(
            "SELECT images FROM daily_images WHERE user_id = \(bind: userID) AND day = \(bind: day)",
            { try $0.int("images") }
        ).first ?? 0
    }

    public func usage(userID: String?, fromDay: String, limit: Int) async throws -> [UsageRow] {
        var query: SQLQueryString = """
            SELECT user_id, day, COALESCE(model, '') AS model, SUM(images) AS images, COUNT(*) AS jobs, CAST(SUM(cost_micros) AS BIGINT) AS cost,
                CAST(SUM(saved_micros) AS BIGINT) AS saved
            FROM ledger WHERE phase = \(literal: Phase.final.rawValue) AND kind = \(literal: Kind.settle.rawValue) AND day >= \(bind: fromDay)
            """
        if let userID { query += " AND user_id = \(bind: userID)" }
        query += " GROUP BY user_id, day, model ORDER BY day DESC, user_id, model LIMIT \(bind: limit)"
        return try await database.reader.rows(query) { row in
            UsageRow(
                userID: try row.string("user_id"),
                day: try row.string("day"),
                model: try row.string("model"),
                images: try row.int("images"),
                jobs: try row.int("jobs"),
                costMicros: try row.int64("cost"),
                savedMicros: try row.int64("saved")
            )
        }
    }

    public func settledCosts(jobIDs: [String]) async throws -> [String: Int64] {
        var costs: [String: Int64] = [:]
        for part in jobIDs.chunked(500) {
            let rows = try await database.reader.rows(
                """
                SELECT job_id, cost_micros FROM ledger
                WHERE job_id IN (\(binds: Array(part))) AND phase = \(literal: Phase.final.rawValue) AND kind IN ('settle', 'charge')
                """
            ) { (try $0.string("job_id"), try $0.int64("cost_micros")) }
            for (id, cost) in rows { costs[id] = cost }
        }
        return costs
    }

    public func ledger(userID: String, limit: Int) async throws -> [LedgerEntry] {
        try await database.reader.rows(
            """
            SELECT id, user_id, job_id, phase, kind, amount_micros, cost_micros, saved_micros, images, created_at FROM ledger
            WHERE user_id = \(bind: userID) ORDER BY created_at DESC, id DESC LIMIT \(bind: limit)
            """
        ) { row in
            LedgerEntry(
                id: try row.string("id"),
                userID: try row.string("user_id"),
                jobID: try row.optionalString("job_id"),
                phase: try row.value("phase", as: LedgerEntry.Phase.self),
                kind: try row.value("kind", as: LedgerEntry.Kind.self),
                amountMicros: try row.int64("amount_micros"),
                costMicros: try row.int64("cost_micros"),
                images: try row.int("images"),
                createdAt: try row.int64("created_at"),
                savedMicros: try row.int64("saved_micros")
            )
        }
    }

    public func openReservations(before: Int64, limit: Int) async throws -> [OpenReservation] {
        try await database.reader.rows(
            """
            SELECT r.job_id, r.user_id, r.created_at FROM ledger r
            WHERE r.phase = \(literal: Phase.reserve.rawValue) AND r.created_at < \(bind: before)
            AND NOT EXISTS (SELECT 1 FROM ledger f WHERE f.job_id = r.job_id AND f.phase = \(literal: Phase.final.rawValue))
            AND NOT EXISTS (SELECT 1 FROM jobs j WHERE j.id = r.job_id AND j.status IN ('queued', 'running', 'retry_wait'))
            ORDER BY r.created_at LIMIT \(bind: limit)
            """
        ) {
            OpenReservation(
                jobID: try $0.string("job_id"),
                userID: try $0.string("user_id"),
                createdAt: try $0.int64("created_at")
            )
        }
    }
}
