import CEaselSystem
import Crypto
import EaselCore
import EaselStore
import Foundation
import Logging

/// Who is asking: users, API keys, studio logins and guest sessions. Keys are stored as SHA-256 digests
/// and shown once; passwords as bcrypt; studio sessions are HMAC-signed cookies.
public struct AccountService: Sendable {
    let users: any UserStore
    let plans: PlanBook
    let ids: IDGenerator
    let clock: any EaselClock
    /// Signs studio session cookies (bytes: `SymmetricKey` is not `Sendable`).
    let cookieSecret: Data
    var cookieKey: SymmetricKey { SymmetricKey(data: cookieSecret) }
    /// EASEL_ADMIN_KEY, if set: a bootstrap admin key, compared by digest.
    let adminKeyDigest: [UInt8]?

    init(users: any UserStore, plans: PlanBook, ids: IDGenerator, clock: any EaselClock, cookieSecret: Data, adminKey: String?) {
        self.users = users
        self.plans = plans
        self.ids = ids
        self.clock = clock
        self.cookieSecret = cookieSecret
        self.adminKeyDigest = adminKey.map { Array(SHA256.hash(data: Data($0.utf8))) }
    }

    public func plan(named name: String) -> Plan { plans.plan(named: name) }

    /// Every plan this server offers, by name.
    public var allPlans: [Plan] { plans.plans.keys.sorted().map { plans.plan(named: $0) } }

    // MARK: Users

    /// Creates a user; 409 when the name is taken.
    public func createUser(name: String, role: EaselUser.Role, plan: String?, password: String?) async throws -> EaselUser {
        let trimmed = name.trimmingCharacters(in: .whitespaces)
        guard (1...64).contains(trimmed.count), trimmed.allSatisfy({ $0.isLetter || $0.isNumber || "._-@".contains($0) }) else {
            throw EaselError.invalidRequest("'name' must be 1-64 letters, digits or . _ - @.", param: "name")
        }
        let planName = plan ?? (role == .guest ? "guest" : role == .admin ? "unlimited" : plans.defaultPlan)
        try plans.requireKnown(planName)
        var hash: String?
        if let password {
            guard password.count >= 8 else { throw EaselError.invalidRequest("Passwords need at least 8 characters.", param: "password") }
            hash = try Self.bcrypt(password)
        }
        let now = clock.nowMillis()
        let user = EaselUser(id: ids.make(prefix: "usr", millis: now), name: trimmed, role: role, plan: planName, passwordHash: hash, createdAt: now)
        guard try await users.createUser(user) else {
            throw EaselError.conflict("A user named '\(trimmed)' already exists.", code: "user_exists", param: "name")
        }
        return user
    }

    public func createGuest(allowed: Bool) async throws -> EaselUser {
        guard allowed else {
            throw EaselError(
                status: 403,
                type: "invalid_request_error",
                code: "guests_disabled",
                param: nil,
                message: "Guest mode is turned off on this server; log in or use an API key."
            )
        }
        let suffix = ids.make(prefix: "g", millis: clock.nowMillis()).suffix(12).lowercased()
        return try await createUser(name: "guest-\(suffix)", role: .guest, plan: "guest", password: nil)
    }

    /// The user, or 404 naming `param`.
    public func user(id: String, param: String = "id") async throws -> EaselUser {
        guard let user = try await users.user(id: id) else { throw EaselError.notFound("user", id: id, param: param) }
        return user
    }

    /// The user as stored now, else as the identity knew them.
    public func current(_ identity: Identity) async throws -> EaselUser {
        try await users.user(id: identity.userID) ?? identity.user
    }

    /// Newest first, a page at a time.
    public func users(before: String?, limit: Int) async throws -> Page<EaselUser> { try await users.users(before: before, limit: limit) }

    public func hasUsers() async throws -> Bool { try await !users.users(before: nil, limit: 1).items.isEmpty }

    /// Moves a user to another plan (which must exist).
    public func setPlan(_ plan: String, of user: EaselUser) async throws -> EaselUser {
        try plans.requireKnown(plan)
        _ = try await users.setPlan(userID: user.id, plan: plan)
        var changed = user
        changed.plan = plan
        return changed
    }

    /// Changes a user's role or disables them (their keys and sessions stop at once). An admin cannot do
    /// either to themselves, so a server is never left without one by a slip.
    public func update(_ user: EaselUser, role: EaselUser.Role?, disabled: Bool?, by admin: Identity) async throws -> EaselUser {
        var changed = user
        if user.id == admin.userID && ((role != nil && role != user.role) || disabled == true) {
            throw EaselError.invalidRequest(
                "You cannot change your own role or disable yourself; ask another admin.",
                param: role != nil ? "role" : "disabled"
            )
        }
        if let role, role != user.role {
            _ = try await users.setRole(userID: user.id, role: role)
            changed.role = role
        }
        if let disabled, disabled != user.disabled {
            _ = try await users.setDisabled(userID: user.id, disabled: disabled)
            changed.disabled = disabled
        }
        return changed
    }

    // MARK: Keys

    /// A new key for `userID`: the key itself is returned once and never stored.
    public func createKey(userID: String, name: String?) async throws -> (key: String, record: APIKeyRecord) {
        var random = SystemRandomNumberGenerator()
        let alphabet = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
        let secret = String((0..<40).map { _ in alphabet[Int(random.next() % UInt64(alphabet.count))] })
        let key = "esk_" + secret
        let now = clock.nowMillis()
        let record = APIKeyRecord(
            id: ids.make(prefix: "key", millis: now),
            userID: userID,
            prefix: String(key.prefix(10)),
            hash: Self.digest(key),
            name: name,
            createdAt: now
        )
        try await users.createKey(record)
        return (key, record)
    }

    /// A key for the caller; guests cannot have one.
    public func createKey(for identity: Identity, name: String?) async throws -> (key: String, record: APIKeyRecord) {
        guard identity.user.role != .guest else {
            throw EaselError(
                status: 403,
                type: "invalid_request_error",
                code: "guests_cannot_create_keys",
                param: nil,
                message: "Guests cannot create API keys; register first."
            )
        }
        return try await createKey(userID: identity.userID, name: name)
    }

    /// The caller's keys, newest first, a page at a time.
    public func keys(of identity: Identity, before: String?, limit: Int) async throws -> Page<APIKeyRecord> {
        try await users.keys(userID: identity.userID, before: before, limit: limit)
    }

    /// Revokes one of the caller's keys; 404 for a key that is not theirs or already revoked.
    public func revokeKey(id: String, of identity: Identity) async throws {
        guard try await users.revokeKey(id: id, userID: identity.userID, at: clock.nowMillis()) else {
            throw EaselError.notFound("API key", id: id, param: "id")
        }
    }

    static func digest(_ key: String) -> String { hexString(SHA256.hash(data: Data(key.utf8))) }

    // MARK: Authentication

    /// The identity of a Bearer key, or nil.
    public func authenticate(key: String) async throws -> Identity? {
        if let adminKeyDigest {
            let given = Array(SHA256.hash(data: Data(key.utf8)))
            if zip(given, adminKeyDigest).reduce(0, { $0 | ($1.0 ^ $1.1) }) == 0 { return try await bootstrapAdmin() }
        }
        guard key.hasPrefix("esk_"), key.count < 200, let (user, record) = try await users.keyOwner(hash: Self.digest(key)) else { return nil }
        return Identity(user: user, plan: plan(named: user.plan), keyID: record.id)
    }

    /// The user EASEL_ADMIN_KEY acts as (created on first use).
    func bootstrapAdmin() async throws -> Identity {
        if let user = try await users.user(name: "admin") { return Identity(user: user, plan: plan(named: user.plan), keyID: nil) }
        let now = clock.nowMillis()
        let user = EaselUser(id: ids.make(prefix: "usr", millis: now), name: "admin", role: .admin, plan: "unlimited", createdAt: now)
        _ = try await users.createUser(user)
        let stored = try await users.user(name: "admin") ?? user
        return Identity(user: stored, plan: plan(named: stored.plan), keyID: nil)
    }

    /// The identity behind a studio session cookie, or nil when it is forged, expired or its user is gone.
    public func identity(cookie: String) async throws -> Identity? {
        guard let userID = userID(fromCookie: cookie), let user = try await users.user(id: userID), !user.disabled else { return nil }
        return Identity(user: user, plan: plan(named: user.plan), keyID: nil)
    }

    /// The user a pasted API key belongs to, for a studio session (the key itself stays out of the page).
    public func login(key: String) async throws -> EaselUser {
        guard let identity = try await authenticate(key: key.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            throw EaselError.unauthorized("That API key is not valid: check it was copied whole, or create a new one.")
        }
        return identity.user
    }

    public func login(name: String, password: String) async throws -> EaselUser {
        guard let user = try await users.user(name: name), !user.disabled, let hash = user.passwordHash, Self.verify(password, hash: hash)
        else {
            throw EaselError.unauthorized("Wrong user name or password.")
        }
        return user
    }

    // MARK: Passwords (bcrypt through libxcrypt)

    static func bcrypt(_ password: String, cost: Int = 10) throws -> String {
        var out = [CChar](repeating: 0, count: 128)
        guard easel_bcrypt_hash(password, Int32(cost), &out, out.count) == 0 else { throw EaselError.server("could not hash the password") }
        return String(decoding: out.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    static func verify(_ password: String, hash: String) -> Bool { easel_bcrypt_verify(password, hash) == 1 }

    // MARK: Session cookies

    public static let cookieName = "easel_session"

    /// `userID.expiry.signature`, HMAC-SHA256 over the first two parts.
    public func sessionCookie(userID: String, days: Int = 30) -> String {
        let expiry = clock.nowMillis() / 1000 + Int64(days) * 86_400
        let payload = "\(userID).\(expiry)"
        let mac = HMAC<SHA256>.authenticationCode(for: Data(payload.utf8), using: cookieKey)
        return "\(payload).\(hexString(mac))"
    }

    func userID(fromCookie value: String) -> String? {
        let parts = value.split(separator: ".")
        guard parts.count == 3, let expiry = Int64(parts[1]), expiry > clock.nowMillis() / 1000 else { return nil }
        let payload = "\(parts[0]).\(parts[1])"
        guard let mac = hexBytes(String(parts[2])),
            HMAC<SHA256>.isValidAuthenticationCode(mac, authenticating: Data(payload.utf8), using: cookieKey)
        else { return nil }
        return String(parts[0])
    }
}
