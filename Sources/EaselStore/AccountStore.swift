import EaselCore
import SQLKit

/// What admission asks of the ledger for one job, all decided in one transaction.
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

public enum AdmissionRefusal: Error, Sendable, Equatable {
    case dailyQuota(limit: Int, used: Int)
    case concurrentJobs(limit: Int)
    case insufficientFunds(balance: Int64, needed: Int64)
    case unknownUser
}

public struct AdmissionReceipt: Sendable, Equatable {
    public var imagesToday: Int
    public var balanceMicros: Int64
}

public struct UsageRow: Sendable, Equatable {
    public var userID: String
    public var day: String
    public var model: String
    public var images: Int
    public var jobs: Int
    public var costMicros: Int64
}

public struct LedgerEntry: Sendable, Equatable {
    public var id: String
    public var userID: String
    public var jobID: String?
    public var phase: String
    public var kind: String
    public var amountMicros: Int64
    public var costMicros: Int64
    public var images: Int
    public var createdAt: Int64
}

public struct ModerationEvent: Sendable, Equatable {
    public var id: String
    public var userID: String?
    /// `prompt_blocked`, `upstream_blocked`, `report`, `hidden`, `deleted`.
    public var kind: String
    public var category: String?
    public var assetID: String?
    public var jobID: String?
    public var detail: String?
    /// `open` (reports waiting for an admin) or `closed`.
    public var status: String
    public var createdAt: Int64

    public init(id: String, userID: String?, kind: String, category: String?, assetID: String?, jobID: String?, detail: String?,
                status: String, createdAt: Int64) {
        self.id = id
        self.userID = userID
        self.kind = kind
        self.category = category
        self.assetID = assetID
        self.jobID = jobID
        self.detail = detail
        self.status = status
        self.createdAt = createdAt
    }
}

/// Users, keys, and money. Every balance change happens in one transaction with its ledger row.
public protocol AccountStore: Sendable {
    /// False when the name is taken.
    func createUser(_ user: EaselUser) async throws -> Bool
    func user(id: String) async throws -> EaselUser?
    func user(name: String) async throws -> EaselUser?
    func users(limit: Int) async throws -> [EaselUser]
    func setPlan(userID: String, plan: String) async throws -> Bool
    func setPassword(userID: String, hash: String) async throws

    func createKey(_ key: APIKeyRecord) async throws
    /// The user of a live (unrevoked) key with this hash.
    func keyOwner(hash: String) async throws -> (EaselUser, APIKeyRecord)?
    func keys(userID: String) async throws -> [APIKeyRecord]
    func revokeKey(id: String, userID: String?, at: Int64) async throws -> Bool

    /// Checks the daily quota, concurrent jobs and balance, and reserves the estimate, atomically.
    func admit(_ admission: Admission) async throws -> AdmissionReceipt
    /// Settles (`cost` given) or refunds (`cost` nil) a job's reservation, exactly once: false when the job
    /// was already settled or refunded, or never reserved.
    func finish(jobID: String, cost: Int64?, images: Int, now: Int64) async throws -> Bool
    func grant(userID: String, micros: Int64, note: String?, id: String, now: Int64) async throws -> Int64
    /// Records the cost of a job that had no reservation (a plan that limits nothing), exactly once.
    func charge(jobID: String, userID: String, model: String, cost: Int64, images: Int, now: Int64) async throws -> Bool
    func imagesUsed(userID: String, day: String) async throws -> Int
    func usage(userID: String?, fromDay: String) async throws -> [UsageRow]
    func ledger(userID: String, limit: Int) async throws -> [LedgerEntry]
    /// Reservations with no settlement or refund, made before `before`.
    func openReservations(before: Int64, limit: Int) async throws -> [(jobID: String, userID: String)]

    func record(_ event: ModerationEvent) async throws
    func moderationEvents(status: String?, kind: String?, limit: Int) async throws -> [ModerationEvent]
    func closeModerationEvents(assetID: String) async throws
}

public struct SQLAccountStore: AccountStore {
    let database: any EaselDatabase
    private let charges: GroupCommit<Charge>

    public init(database: any EaselDatabase) {
        self.database = database
        charges = GroupCommit { try await Self.write($0, database: database) }
    }

    static let userColumns = "id, name, role, plan, password_hash, balance_micros, active_jobs, disabled, created_at"

    static func decodeUser(_ row: any SQLRow) throws -> EaselUser {
        EaselUser(
            id: try row.string("id"), name: try row.string("name"), role: EaselUser.Role(rawValue: try row.string("role")) ?? .user,
            plan: try row.string("plan"), passwordHash: try row.optionalString("password_hash"),
            balanceMicros: try row.int64("balance_micros"), activeJobs: try row.int("active_jobs"), createdAt: try row.int64("created_at"),
            disabled: try row.bool("disabled"))
    }

    public func createUser(_ user: EaselUser) async throws -> Bool {
        try await database.write { db in
            let rows = try await db.raw("""
                INSERT INTO users (id, name, role, plan, password_hash, balance_micros, active_jobs, disabled, created_at)
                VALUES (\(bind: user.id), \(bind: user.name), \(bind: user.role.rawValue), \(bind: user.plan), \(bind: user.passwordHash), \
                \(bind: user.balanceMicros), 0, \(bind: user.disabled ? 1 : 0), \(bind: user.createdAt))
                ON CONFLICT DO NOTHING RETURNING id
                """).all()
            return !rows.isEmpty
        }
    }

    public func user(id: String) async throws -> EaselUser? {
        try await database.reader.rows("SELECT \(unsafeRaw: Self.userColumns) FROM users WHERE id = \(bind: id)", Self.decodeUser).first
    }

    public func user(name: String) async throws -> EaselUser? {
        try await database.reader.rows("SELECT \(unsafeRaw: Self.userColumns) FROM users WHERE name = \(bind: name)", Self.decodeUser).first
    }

    public func users(limit: Int) async throws -> [EaselUser] {
        try await database.reader.rows("SELECT \(unsafeRaw: Self.userColumns) FROM users ORDER BY id LIMIT \(bind: limit)", Self.decodeUser)
    }

    public func setPlan(userID: String, plan: String) async throws -> Bool {
        try await database.write { db in
            !(try await db.raw("UPDATE users SET plan = \(bind: plan) WHERE id = \(bind: userID) RETURNING id").all()).isEmpty
        }
    }

    public func setPassword(userID: String, hash: String) async throws {
        try await database.write { db in
            try await db.raw("UPDATE users SET password_hash = \(bind: hash) WHERE id = \(bind: userID)").run()
        }
    }

    static let keyColumns = "id, user_id, prefix, hash, name, created_at, last_used_at, revoked_at"

    static func decodeKey(_ row: any SQLRow) throws -> APIKeyRecord {
        APIKeyRecord(
            id: try row.string("id"), userID: try row.string("user_id"), prefix: try row.string("prefix"), hash: try row.string("hash"),
            name: try row.optionalString("name"), createdAt: try row.int64("created_at"), lastUsedAt: try row.optionalInt64("last_used_at"),
            revokedAt: try row.optionalInt64("revoked_at"))
    }

    public func createKey(_ key: APIKeyRecord) async throws {
        try await database.write { db in
            try await db.raw("""
                INSERT INTO api_keys (id, user_id, prefix, hash, name, created_at)
                VALUES (\(bind: key.id), \(bind: key.userID), \(bind: key.prefix), \(bind: key.hash), \(bind: key.name), \(bind: key.createdAt))
                """).run()
        }
    }

    public func keyOwner(hash: String) async throws -> (EaselUser, APIKeyRecord)? {
        let qualified = Self.userColumns.split(separator: ",").map { "u.\($0.trimmingCharacters(in: .whitespaces))" }.joined(separator: ", ")
        let keyColumns = Self.keyColumns.split(separator: ",").map { "k.\($0.trimmingCharacters(in: .whitespaces)) AS k_\($0.trimmingCharacters(in: .whitespaces))" }
            .joined(separator: ", ")
        return try await database.reader.rows("""
            SELECT \(unsafeRaw: qualified), \(unsafeRaw: keyColumns) FROM api_keys k JOIN users u ON u.id = k.user_id
            WHERE k.hash = \(bind: hash) AND k.revoked_at IS NULL AND u.disabled = 0
            """) { row in
            let user = try Self.decodeUser(row)
            let key = APIKeyRecord(
                id: try row.string("k_id"), userID: try row.string("k_user_id"), prefix: try row.string("k_prefix"),
                hash: try row.string("k_hash"), name: try row.optionalString("k_name"), createdAt: try row.int64("k_created_at"))
            return (user, key)
        }.first
    }

    public func keys(userID: String) async throws -> [APIKeyRecord] {
        try await database.reader.rows(
            "SELECT \(unsafeRaw: Self.keyColumns) FROM api_keys WHERE user_id = \(bind: userID) ORDER BY id", Self.decodeKey)
    }

    public func revokeKey(id: String, userID: String?, at: Int64) async throws -> Bool {
        try await database.write { db in
            var query: SQLQueryString = "UPDATE api_keys SET revoked_at = \(bind: at) WHERE id = \(bind: id) AND revoked_at IS NULL"
            if let userID { query += " AND user_id = \(bind: userID)" }
            query += " RETURNING id"
            return !(try await db.raw(query).all()).isEmpty
        }
    }

    public func admit(_ admission: Admission) async throws -> AdmissionReceipt {
        let day = UTCDay.string(millis: admission.now)
        let plan = admission.plan
        return try await database.write { db in
            guard let user = try await db.rows(
                "SELECT \(unsafeRaw: Self.userColumns), budget_period FROM users WHERE id = \(bind: admission.userID)",
                { (try Self.decodeUser($0), try $0.optionalString("budget_period")) }).first else {
                throw AdmissionRefusal.unknownUser
            }
            // A budget that resets tops the balance up at the start of each period (credits above it are kept).
            if let budget = plan.budgetMicros, plan.budgetPeriod != .none {
                let period = plan.budgetPeriod == .daily ? day : UTCDay.month(millis: admission.now)
                if user.1 != period {
                    let topUp = max(0, budget - user.0.balanceMicros)
                    try await db.raw("""
                        UPDATE users SET balance_micros = balance_micros + \(bind: topUp), budget_period = \(bind: period)
                        WHERE id = \(bind: user.0.id)
                        """).run()
                    try await db.raw("""
                        INSERT INTO ledger (id, user_id, job_id, phase, kind, amount_micros, day, note, created_at)
                        VALUES (\(bind: "budget:\(user.0.id):\(period)"), \(bind: user.0.id), NULL, 'budget', 'budget_reset', \
                        \(bind: topUp), \(bind: day), \(bind: "\(plan.budgetPeriod.rawValue) budget of \(Money.usd(budget)) USD"), \(bind: admission.now))
                        ON CONFLICT DO NOTHING
                        """).run()
                }
            }
            // Daily images: counted up only while under the limit, in the same statement.
            var imagesToday = admission.images
            let limit = plan.imagesPerDay ?? Int.max / 2
            let counted = try await db.raw("""
                INSERT INTO daily_images (user_id, day, images) VALUES (\(bind: admission.userID), \(bind: day), \(bind: admission.images))
                ON CONFLICT (user_id, day) DO UPDATE SET images = daily_images.images + excluded.images
                WHERE daily_images.images + excluded.images <= \(bind: limit)
                RETURNING images
                """).all()
            if let row = counted.first {
                imagesToday = try row.int("images")
                if imagesToday > limit { throw AdmissionRefusal.dailyQuota(limit: limit, used: imagesToday - admission.images) }
            } else {
                let used = try await db.rows(
                    "SELECT images FROM daily_images WHERE user_id = \(bind: admission.userID) AND day = \(bind: day)", { try $0.int("images") }).first ?? 0
                throw AdmissionRefusal.dailyQuota(limit: limit, used: used)
            }
            if let concurrent = plan.concurrentJobs {
                let ok = try await db.raw("""
                    UPDATE users SET active_jobs = active_jobs + 1 WHERE id = \(bind: admission.userID) AND active_jobs < \(bind: concurrent)
                    RETURNING id
                    """).all()
                if ok.isEmpty { throw AdmissionRefusal.concurrentJobs(limit: concurrent) }
            } else {
                try await db.raw("UPDATE users SET active_jobs = active_jobs + 1 WHERE id = \(bind: admission.userID)").run()
            }
            // The reservation: taken only if the balance covers it (unless the plan's spending is unlimited).
            let estimate = admission.estimateMicros
            var balanceQuery: SQLQueryString = """
                UPDATE users SET balance_micros = balance_micros - \(bind: estimate) WHERE id = \(bind: admission.userID)
                """
            if !plan.unlimitedSpend && estimate > 0 { balanceQuery += " AND balance_micros >= \(bind: estimate)" }
            balanceQuery += " RETURNING balance_micros"
            guard let balanceRow = try await db.raw(balanceQuery).all().first else {
                let balance = try await db.rows("SELECT balance_micros FROM users WHERE id = \(bind: admission.userID)", { try $0.int64("balance_micros") }).first ?? 0
                throw AdmissionRefusal.insufficientFunds(balance: balance, needed: estimate)
            }
            try await db.raw("""
                INSERT INTO ledger (id, user_id, job_id, phase, kind, amount_micros, images, model, day, created_at)
                VALUES (\(bind: admission.jobID + ":reserve"), \(bind: admission.userID), \(bind: admission.jobID), 'reserve', 'reserve', \
                \(bind: -estimate), \(bind: admission.images), \(bind: admission.model), \(bind: day), \(bind: admission.now))
                """).run()
            return AdmissionReceipt(imagesToday: imagesToday, balanceMicros: try balanceRow.int64("balance_micros"))
        }
    }

    public func finish(jobID: String, cost: Int64?, images: Int, now: Int64) async throws -> Bool {
        try await database.write { db in
            guard let reserve = try await db.rows("""
                SELECT user_id, amount_micros, images, model, day FROM ledger WHERE job_id = \(bind: jobID) AND phase = 'reserve'
                """, { (try $0.string("user_id"), try $0.int64("amount_micros"), try $0.int("images"), try $0.optionalString("model"), try $0.string("day")) }
            ).first else { return false }
            let (userID, reservedNegative, reservedImages, model, reserveDay) = reserve
            let reserved = -reservedNegative
            let change = cost.map { reserved - $0 } ?? reserved
            let inserted = try await db.raw("""
                INSERT INTO ledger (id, user_id, job_id, phase, kind, amount_micros, cost_micros, images, model, day, created_at)
                VALUES (\(bind: jobID + ":final"), \(bind: userID), \(bind: jobID), 'final', \(bind: cost == nil ? "refund" : "settle"), \
                \(bind: change), \(bind: cost ?? 0), \(bind: cost == nil ? 0 : images), \(bind: model), \(bind: UTCDay.string(millis: now)), \(bind: now))
                ON CONFLICT DO NOTHING RETURNING id
                """).all()
            guard !inserted.isEmpty else { return false }
            try await db.raw("""
                UPDATE users SET balance_micros = balance_micros + \(bind: change),
                active_jobs = CASE WHEN active_jobs > 0 THEN active_jobs - 1 ELSE 0 END WHERE id = \(bind: userID)
                """).run()
            // Failed, blocked and cancelled work gives its images back to the day's quota; so do images a
            // job was reserved for but did not deliver.
            let returned = cost == nil ? reservedImages : max(0, reservedImages - images)
            if returned > 0 {
                try await db.raw("""
                    UPDATE daily_images SET images = CASE WHEN images >= \(bind: returned) THEN images - \(bind: returned) ELSE 0 END
                    WHERE user_id = \(bind: userID) AND day = \(bind: reserveDay)
                    """).run()
            }
            return true
        }
    }

    public func charge(jobID: String, userID: String, model: String, cost: Int64, images: Int, now: Int64) async throws -> Bool {
        try await charges.submit(Charge(jobID: jobID, userID: userID, model: model, cost: cost, images: images, now: now))
    }

    struct Charge: Sendable {
        let jobID: String, userID: String, model: String, cost: Int64, images: Int, now: Int64
    }

    /// Charges of many jobs in one transaction: one multi-row insert (a job's final row exists once), then
    /// one balance update per user for the rows that went in.
    static func write(_ charges: [Charge], database: any EaselDatabase) async throws -> [Bool] {
        let inserted = try await database.write { db -> Set<String> in
            var inserted = Set<String>()
            for part in charges.chunked(300) {
                let rows = part.map { c -> SQLQueryString in
                    "(\(bind: c.jobID + ":final"), \(bind: c.userID), \(bind: c.jobID), 'final', 'settle', \(bind: -c.cost), \(bind: c.cost), \(bind: c.images), \(bind: c.model), \(bind: UTCDay.string(millis: c.now)), \(bind: c.now))"
                }
                let ids = try await db.rows("""
                    INSERT INTO ledger (id, user_id, job_id, phase, kind, amount_micros, cost_micros, images, model, day, created_at)
                    VALUES \(rows.joined(separator: ", ")) ON CONFLICT DO NOTHING RETURNING job_id
                    """) { try $0.string("job_id") }
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
            guard let row = try await db.raw("""
                UPDATE users SET balance_micros = balance_micros + \(bind: micros) WHERE id = \(bind: userID) RETURNING balance_micros
                """).all().first else { throw AdmissionRefusal.unknownUser }
            try await db.raw("""
                INSERT INTO ledger (id, user_id, job_id, phase, kind, amount_micros, day, note, created_at)
                VALUES (\(bind: id), \(bind: userID), NULL, 'grant', 'grant', \(bind: micros), \(bind: UTCDay.string(millis: now)), \(bind: note), \(bind: now))
                """).run()
            return try row.int64("balance_micros")
        }
    }

    public func imagesUsed(userID: String, day: String) async throws -> Int {
        try await database.reader.rows(
            "SELECT images FROM daily_images WHERE user_id = \(bind: userID) AND day = \(bind: day)", { try $0.int("images") }).first ?? 0
    }

    public func usage(userID: String?, fromDay: String) async throws -> [UsageRow] {
        var query: SQLQueryString = """
            SELECT user_id, day, COALESCE(model, '') AS model, SUM(images) AS images, COUNT(*) AS jobs, SUM(cost_micros) AS cost
            FROM ledger WHERE phase = 'final' AND kind = 'settle' AND day >= \(bind: fromDay)
            """
        if let userID { query += " AND user_id = \(bind: userID)" }
        query += " GROUP BY user_id, day, model ORDER BY day DESC, user_id, model"
        return try await database.reader.rows(query) { row in
            UsageRow(userID: try row.string("user_id"), day: try row.string("day"), model: try row.string("model"),
                     images: try row.int("images"), jobs: try row.int("jobs"), costMicros: try row.int64("cost"))
        }
    }

    public func ledger(userID: String, limit: Int) async throws -> [LedgerEntry] {
        try await database.reader.rows("""
            SELECT id, user_id, job_id, phase, kind, amount_micros, cost_micros, images, created_at FROM ledger
            WHERE user_id = \(bind: userID) ORDER BY created_at DESC, id DESC LIMIT \(bind: limit)
            """) { row in
            LedgerEntry(id: try row.string("id"), userID: try row.string("user_id"), jobID: try row.optionalString("job_id"),
                        phase: try row.string("phase"), kind: try row.string("kind"), amountMicros: try row.int64("amount_micros"),
                        costMicros: try row.int64("cost_micros"), images: try row.int("images"), createdAt: try row.int64("created_at"))
        }
    }

    public func openReservations(before: Int64, limit: Int) async throws -> [(jobID: String, userID: String)] {
        try await database.reader.rows("""
            SELECT r.job_id, r.user_id FROM ledger r
            WHERE r.phase = 'reserve' AND r.created_at < \(bind: before)
            AND NOT EXISTS (SELECT 1 FROM ledger f WHERE f.job_id = r.job_id AND f.phase = 'final')
            ORDER BY r.created_at LIMIT \(bind: limit)
            """) { (jobID: try $0.string("job_id"), userID: try $0.string("user_id")) }
    }

    public func record(_ event: ModerationEvent) async throws {
        try await database.write { db in
            try await db.raw("""
                INSERT INTO moderation_events (id, user_id, kind, category, asset_id, job_id, detail, status, created_at)
                VALUES (\(bind: event.id), \(bind: event.userID), \(bind: event.kind), \(bind: event.category), \(bind: event.assetID), \
                \(bind: event.jobID), \(bind: event.detail), \(bind: event.status), \(bind: event.createdAt))
                ON CONFLICT DO NOTHING
                """).run()
        }
    }

    public func moderationEvents(status: String?, kind: String?, limit: Int) async throws -> [ModerationEvent] {
        var query: SQLQueryString = "SELECT id, user_id, kind, category, asset_id, job_id, detail, status, created_at FROM moderation_events WHERE 1 = 1"
        if let status { query += " AND status = \(bind: status)" }
        if let kind { query += " AND kind = \(bind: kind)" }
        query += " ORDER BY id DESC LIMIT \(bind: limit)"
        return try await database.reader.rows(query) { row in
            ModerationEvent(id: try row.string("id"), userID: try row.optionalString("user_id"), kind: try row.string("kind"),
                            category: try row.optionalString("category"), assetID: try row.optionalString("asset_id"),
                            jobID: try row.optionalString("job_id"), detail: try row.optionalString("detail"),
                            status: try row.string("status"), createdAt: try row.int64("created_at"))
        }
    }

    public func closeModerationEvents(assetID: String) async throws {
        try await database.write { db in
            try await db.raw("UPDATE moderation_events SET status = 'closed' WHERE asset_id = \(bind: assetID) AND status = 'open'").run()
        }
    }
}
