import CEaselSystem
import Crypto
import EaselCore
import EaselStore
import Foundation
import HTTPTypes
import Logging

/// Identity, admission and money for handlers and workers: API keys and studio sessions, plan checks, the
/// prompt filter, reserve-then-settle, and the headers that tell a client what it has left.
public final class AccountService: Sendable {
    let store: any AccountStore
    let policy: PolicyConfig
    let ids: IDGenerator
    let clock: any EaselClock
    let logger: Logger
    /// Signs studio session cookies; made once per data directory.
    let cookieSecret: Data
    var cookieKey: SymmetricKey { SymmetricKey(data: cookieSecret) }
    /// EASEL_ADMIN_KEY, if set: a bootstrap admin key, compared by digest.
    let adminKeyDigest: [UInt8]?
    /// Per-user admission times of the last minute (images per minute), per process.
    private let minuteWindows = Locked<[String: [(Int64, Int)]]>([:])

    init(store: any AccountStore, policy: PolicyConfig, ids: IDGenerator, clock: any EaselClock, logger: Logger, cookieSecret: Data,
         adminKey: String?) {
        self.store = store
        self.policy = policy
        self.ids = ids
        self.clock = clock
        self.logger = logger
        self.cookieSecret = cookieSecret
        self.adminKeyDigest = adminKey.map { Array(SHA256.hash(data: Data($0.utf8))) }
    }

    public func plan(named name: String) -> Plan { policy.plans[name] ?? policy.plans[policy.defaultPlan] ?? .registered }

    // MARK: Users and keys

    /// Creates a user; 409 when the name is taken.
    public func createUser(name: String, role: EaselUser.Role, plan: String?, password: String?) async throws -> EaselUser {
        let trimmed = name.trimmingCharacters(in: .whitespaces)
        guard (1...64).contains(trimmed.count), trimmed.allSatisfy({ $0.isLetter || $0.isNumber || "._-@".contains($0) }) else {
            throw EaselError.invalidRequest("'name' must be 1-64 letters, digits or . _ - @.", param: "name")
        }
        let planName = plan ?? (role == .guest ? "guest" : role == .admin ? "unlimited" : policy.defaultPlan)
        guard policy.plans[planName] != nil else {
            throw EaselError.invalidRequest("Unknown plan '\(planName)'. Plans: \(policy.plans.keys.sorted().joined(separator: ", ")).", param: "plan")
        }
        var hash: String?
        if let password {
            guard password.count >= 8 else { throw EaselError.invalidRequest("Passwords need at least 8 characters.", param: "password") }
            hash = try Self.bcrypt(password)
        }
        let now = clock.nowMillis()
        let user = EaselUser(id: ids.make(prefix: "usr", millis: now), name: trimmed, role: role, plan: planName, passwordHash: hash, createdAt: now)
        guard try await store.createUser(user) else {
            throw EaselError.conflict("A user named '\(trimmed)' already exists.", code: "user_exists", param: "name")
        }
        return user
    }

    /// A new key for `userID`: the key itself is returned once and never stored.
    public func createKey(userID: String, name: String?) async throws -> (key: String, record: APIKeyRecord) {
        var random = SystemRandomNumberGenerator()
        let alphabet = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
        let secret = String((0..<40).map { _ in alphabet[Int(random.next() % UInt64(alphabet.count))] })
        let key = "esk_" + secret
        let now = clock.nowMillis()
        let record = APIKeyRecord(id: ids.make(prefix: "key", millis: now), userID: userID, prefix: String(key.prefix(10)),
                                  hash: Self.digest(key), name: name, createdAt: now)
        try await store.createKey(record)
        return (key, record)
    }

    static func digest(_ key: String) -> String { hexString(SHA256.hash(data: Data(key.utf8))) }

    /// The identity of a Bearer key, or nil.
    public func authenticate(key: String) async throws -> Identity? {
        if let adminKeyDigest {
            let given = Array(SHA256.hash(data: Data(key.utf8)))
            if zip(given, adminKeyDigest).reduce(0, { $0 | ($1.0 ^ $1.1) }) == 0 { return try await bootstrapAdmin() }
        }
        guard key.hasPrefix("esk_"), key.count < 200, let (user, record) = try await store.keyOwner(hash: Self.digest(key)) else { return nil }
        return Identity(user: user, plan: plan(named: user.plan), keyID: record.id)
    }

    /// The user EASEL_ADMIN_KEY acts as (created on first use).
    func bootstrapAdmin() async throws -> Identity {
        if let user = try await store.user(name: "admin") { return Identity(user: user, plan: plan(named: user.plan), keyID: nil) }
        let now = clock.nowMillis()
        let user = EaselUser(id: ids.make(prefix: "usr", millis: now), name: "admin", role: .admin, plan: "unlimited", createdAt: now)
        _ = try await store.createUser(user)
        let stored = try await store.user(name: "admin") ?? user
        return Identity(user: stored, plan: plan(named: stored.plan), keyID: nil)
    }

    public func identity(userID: String) async throws -> Identity? {
        guard let user = try await store.user(id: userID), !user.disabled else { return nil }
        return Identity(user: user, plan: plan(named: user.plan), keyID: nil)
    }

    public func login(name: String, password: String) async throws -> EaselUser {
        guard let user = try await store.user(name: name), !user.disabled, let hash = user.passwordHash,
              Self.verify(password, hash: hash) else {
            throw EaselError.unauthorized("Wrong user name or password.")
        }
        return user
    }

    public func createGuest() async throws -> EaselUser {
        guard policy.guests else {
            throw EaselError(status: 403, type: "invalid_request_error", code: "guests_disabled", param: nil,
                             message: "Guest mode is turned off on this server; log in or use an API key.")
        }
        let suffix = ids.make(prefix: "g", millis: clock.nowMillis()).suffix(12).lowercased()
        return try await createUser(name: "guest-\(suffix)", role: .guest, plan: "guest", password: nil)
    }

    // MARK: Passwords (bcrypt through libxcrypt)

    static func bcrypt(_ password: String, cost: Int = 10) throws -> String {
        var out = [CChar](repeating: 0, count: 128)
        guard easel_bcrypt_hash(password, Int32(cost), &out, out.count) == 0 else { throw EaselError.server("could not hash the password") }
        return String(decoding: out.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    static func verify(_ password: String, hash: String) -> Bool { easel_bcrypt_verify(password, hash) == 1 }

    // MARK: Session cookies

    static let cookieName = "easel_session"

    /// `userID.expiry.signature`, HMAC-SHA256 over the first two parts.
    public func sessionCookie(userID: String, days: Int = 30) -> String {
        let expiry = clock.nowMillis() / 1000 + Int64(days) * 86_400
        let payload = "\(userID).\(expiry)"
        let mac = HMAC<SHA256>.authenticationCode(for: Data(payload.utf8), using: cookieKey)
        return "\(payload).\(hexString(mac))"
    }

    public func userID(fromCookie value: String) -> String? {
        let parts = value.split(separator: ".")
        guard parts.count == 3, let expiry = Int64(parts[1]), expiry > clock.nowMillis() / 1000 else { return nil }
        let payload = "\(parts[0]).\(parts[1])"
        guard let mac = Data(hexString: String(parts[2])),
              HMAC<SHA256>.isValidAuthenticationCode(mac, authenticating: Data(payload.utf8), using: cookieKey) else { return nil }
        return String(parts[0])
    }

    // MARK: Admission

    /// Plan rules and the prompt filter: checked before anything is reserved.
    public func check(_ request: ImageRequest, identity: Identity) async throws {
        try identity.plan.check(request)
        if let category = policy.promptFilter.category(of: request.prompt) {
            try? await store.record(ModerationEvent(
                id: ids.make(prefix: "mod", millis: clock.nowMillis()), userID: identity.userID, kind: "prompt_blocked", category: category,
                assetID: nil, jobID: nil, detail: String(request.prompt.prefix(500)), status: "closed", createdAt: clock.nowMillis()))
            throw PromptFilter.blocked(category: category)
        }
    }

    /// Reserves the job's estimated cost and counts its images, or refuses with 429 / 403 and the headers
    /// that say when to come back.
    public func admit(jobID: String, request: ImageRequest, inputImages: Int, identity: Identity) async throws -> AdmissionReceipt {
        let plan = identity.plan
        let now = clock.nowMillis()
        try takeMinuteSlot(identity: identity, images: request.n, now: now)
        let estimate = policy.prices.estimate(request, inputImages: inputImages)
        do {
            return try await store.admit(Admission(userID: identity.userID, jobID: jobID, model: request.model, images: request.n,
                                                   estimateMicros: estimate, plan: plan, now: now))
        } catch let refusal as AdmissionRefusal {
            releaseMinuteSlot(identity: identity, at: now)
            let resetSeconds = Int((UTCDay.nextMidnight(millis: now) - now + 999) / 1000)
            switch refusal {
            case .dailyQuota(let limit, let used):
                throw EaselHTTPError(
                    error: EaselError(status: 429, type: "rate_limit_error", code: "daily_quota_exceeded", param: nil,
                                      message: "Your plan '\(plan.name)' allows \(limit) images per day; \(used) used today, \(request.n) more asked. "
                                        + "The quota resets at 00:00 UTC.", retryAfterSeconds: resetSeconds),
                    headers: Self.rateHeaders(limit: limit, remaining: max(0, limit - used), resetSeconds: resetSeconds))
            case .concurrentJobs(let limit):
                throw EaselHTTPError(error: EaselError(
                    status: 429, type: "rate_limit_error", code: "concurrent_jobs_exceeded", param: nil,
                    message: "Your plan '\(plan.name)' runs at most \(limit) job\(limit == 1 ? "" : "s") at once; wait for one to finish.",
                    retryAfterSeconds: 2))
            case .insufficientFunds(let balance, let needed):
                throw EaselHTTPError(error: EaselError(
                    status: 429, type: "insufficient_quota", code: "insufficient_quota", param: nil,
                    message: "This request is estimated at \(Money.usd(needed)) USD but your balance is \(Money.usd(balance)) USD. "
                        + "Ask an admin for credits\(plan.budgetPeriod == .none ? "" : " or wait for your \(plan.budgetPeriod.rawValue) budget to reset")."))
            case .unknownUser:
                throw EaselError.unauthorized("Your account no longer exists.")
            }
        }
    }

    private func takeMinuteSlot(identity: Identity, images: Int, now: Int64) throws {
        guard let perMinute = identity.plan.imagesPerMinute else { return }
        let retry: Int? = minuteWindows.withLock { windows in
            var window = (windows[identity.userID] ?? []).filter { $0.0 > now - 60_000 }
            let used = window.reduce(0) { $0 + $1.1 }
            if used + images > perMinute, let oldest = window.first {
                windows[identity.userID] = window
                return Int((oldest.0 + 60_000 - now + 999) / 1000)
            }
            window.append((now, images))
            windows[identity.userID] = window
            return nil
        }
        if let retry {
            throw EaselHTTPError(error: EaselError(
                status: 429, type: "rate_limit_error", code: "rate_limit_exceeded", param: nil,
                message: "Your plan '\(identity.plan.name)' allows \(perMinute) images per minute; try again in \(retry) s.",
                retryAfterSeconds: max(1, retry)))
        }
    }

    private func releaseMinuteSlot(identity: Identity, at: Int64) {
        minuteWindows.withLock { windows in
            if let index = windows[identity.userID]?.lastIndex(where: { $0.0 == at }) { windows[identity.userID]?.remove(at: index) }
        }
    }

    /// `x-ratelimit-*-images` for a plan with a daily limit.
    public func rateHeaders(identity: Identity, imagesToday: Int) -> HTTPFields {
        guard let limit = identity.plan.imagesPerDay else { return [:] }
        let now = clock.nowMillis()
        return Self.rateHeaders(limit: limit, remaining: max(0, limit - imagesToday),
                                resetSeconds: Int((UTCDay.nextMidnight(millis: now) - now + 999) / 1000))
    }

    static func rateHeaders(limit: Int, remaining: Int, resetSeconds: Int) -> HTTPFields {
        [.xRateLimitLimitImages: String(limit), .xRateLimitRemainingImages: String(remaining), .xRateLimitResetImages: "\(resetSeconds)s"]
    }

    // MARK: Settling

    public func cost(of job: JobRecord) -> Int64 {
        policy.prices.actual(job.payload.request, usage: job.result?.usage, images: job.result?.assetIDs.count ?? 0)
    }

    /// Settles a finished job from its usage, or refunds it; a second call for the same job changes nothing.
    @discardableResult
    public func finish(_ job: JobRecord) async -> Bool {
        guard job.payload.billed else { return false }
        do {
            if job.payload.postpaid {
                // Nothing was reserved: record what a success cost; a failure cost nothing.
                guard job.status == .succeeded else { return false }
                return try await store.charge(jobID: job.id, userID: job.userID, model: job.model, cost: cost(of: job),
                                              images: job.result?.assetIDs.count ?? 0, now: clock.nowMillis())
            }
            if job.status == .succeeded {
                return try await store.finish(jobID: job.id, cost: cost(of: job), images: job.result?.assetIDs.count ?? 0, now: clock.nowMillis())
            }
            let settled = try await store.finish(jobID: job.id, cost: nil, images: 0, now: clock.nowMillis())
            if settled, job.status == .failed, job.lastError?.code == "moderation_blocked" {
                // One event per job, whoever settles it.
                try? await store.record(ModerationEvent(
                    id: "mod_upstream_\(job.id)", userID: job.userID, kind: "upstream_blocked", category: nil,
                    assetID: nil, jobID: job.id, detail: job.lastError?.moderationDetails ?? job.lastError?.message, status: "closed",
                    createdAt: clock.nowMillis()))
            }
            return settled
        } catch {
            logger.error("could not settle job; the reconciler will retry", metadata: ["job.id": "\(job.id)", "error": "\(error)"])
            return false
        }
    }

    public func refund(jobID: String) async {
        do {
            _ = try await store.finish(jobID: jobID, cost: nil, images: 0, now: clock.nowMillis())
        } catch {
            logger.error("could not refund job; the reconciler will retry", metadata: ["job.id": "\(jobID)", "error": "\(error)"])
        }
    }
}

extension Data {
    init?(hexString: String) {
        guard hexString.count % 2 == 0 else { return nil }
        var bytes: [UInt8] = []
        var index = hexString.startIndex
        while index < hexString.endIndex {
            let next = hexString.index(index, offsetBy: 2)
            guard let byte = UInt8(hexString[index..<next], radix: 16) else { return nil }
            bytes.append(byte)
            index = next
        }
        self.init(bytes)
    }
}
