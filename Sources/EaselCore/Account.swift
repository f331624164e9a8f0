/// A person or service that owns jobs, assets and sessions.
public struct EaselUser: Sendable, Hashable {
    public enum Role: String, Sendable, Hashable {
        /// `reviewer` may review everyone's assets (as an admin may); otherwise a user.
        case admin, user, guest, reviewer
    }

    public var id: String
    /// Unique login name.
    public var name: String
    public var role: Role
    public var plan: String
    /// bcrypt (`$2b$…`), for studio logins; nil for key-only and guest users.
    public var passwordHash: String?
    public var balanceMicros: Int64
    public var activeJobs: Int
    public var createdAt: Int64
    public var disabled: Bool

    public init(
        id: String,
        name: String,
        role: Role,
        plan: String,
        passwordHash: String? = nil,
        balanceMicros: Int64 = 0,
        activeJobs: Int = 0,
        createdAt: Int64,
        disabled: Bool = false
    ) {
        self.id = id
        self.name = name
        self.role = role
        self.plan = plan
        self.passwordHash = passwordHash
        self.balanceMicros = balanceMicros
        self.activeJobs = activeJobs
        self.createdAt = createdAt
        self.disabled = disabled
    }
}

/// An API key as stored: never the key itself, only its SHA-256 and a short prefix to recognise it by.
public struct APIKeyRecord: Sendable, Hashable {
    public var id: String
    public var userID: String
    public var prefix: String
    public var hash: String
    public var name: String?
    public var createdAt: Int64
    public var lastUsedAt: Int64?
    public var revokedAt: Int64?

    public init(
        id: String,
        userID: String,
        prefix: String,
        hash: String,
        name: String?,
        createdAt: Int64,
        lastUsedAt: Int64? = nil,
        revokedAt: Int64? = nil
    ) {
        self.id = id
        self.userID = userID
        self.prefix = prefix
        self.hash = hash
        self.name = name
        self.createdAt = createdAt
        self.lastUsedAt = lastUsedAt
        self.revokedAt = revokedAt
    }
}

/// Who is making a request, resolved by the auth middleware.
public struct Identity: Sendable, Hashable {
    public var user: EaselUser
    public var plan: Plan
    public var keyID: String?

    public init(user: EaselUser, plan: Plan, keyID: String?) {
        self.user = user
        self.plan = plan
        self.keyID = keyID
    }

    public var userID: String { user.id }
    public var isAdmin: Bool { user.role == .admin }
    /// Reviews everyone's assets, not only their own.
    public var isReviewer: Bool { user.role == .admin || user.role == .reviewer }
}

/// Calendar days and months in UTC, for daily quotas and budgets (no Foundation: a pure date calculation).
public enum UTCDay {
    /// `YYYY-MM-DD` of a Unix time in milliseconds.
    public static func string(millis: Int64) -> String {
        let (y, m, d) = civil(days: floorDiv(millis, 86_400_000))
        return "\(y)-\(pad(m))-\(pad(d))"
    }

    public static func month(millis: Int64) -> String {
        let (y, m, _) = civil(days: floorDiv(millis, 86_400_000))
        return "\(y)-\(pad(m))"
    }

    /// Milliseconds at the start of the next UTC day.
    public static func nextMidnight(millis: Int64) -> Int64 { (floorDiv(millis, 86_400_000) + 1) * 86_400_000 }

    static func floorDiv(_ a: Int64, _ b: Int64) -> Int64 { a >= 0 ? a / b : (a - b + 1) / b }
    static func pad(_ value: Int64) -> String { value < 10 ? "0\(value)" : "\(value)" }

    /// Days since 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's civil_from_days).
    static func civil(days: Int64) -> (Int64, Int64, Int64) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
    }
}
