import EaselCore
import SQLKit

/// Users and their API keys (stored as SHA-256 digests, never the key itself).
public protocol UserStore: Sendable {
    /// False when the name is taken.
    func createUser(_ user: EaselUser) async throws -> Bool
    func user(id: String) async throws -> EaselUser?
    func user(name: String) async throws -> EaselUser?
    /// Newest first: a page of at most `limit` users made before the user `before`.
    func users(before: String?, limit: Int) async throws -> Page<EaselUser>
    func setPlan(userID: String, plan: String) async throws -> Bool
    func setRole(userID: String, role: EaselUser.Role) async throws -> Bool
    /// A disabled user's keys and sessions stop working at once.
    func setDisabled(userID: String, disabled: Bool) async throws -> Bool
    func setPassword(userID: String, hash: String) async throws

    func createKey(_ key: APIKeyRecord) async throws
    /// The user of a live (unrevoked) key with this hash.
    func keyOwner(hash: String) async throws -> (EaselUser, APIKeyRecord)?
    /// Newest first, revoked ones included: a page of at most `limit` keys made before the key `before`.
    func keys(userID: String, before: String?, limit: Int) async throws -> Page<APIKeyRecord>
    func revokeKey(id: String, userID: String?, at: Int64) async throws -> Bool
}

public struct SQLUserStore: UserStore {
    let database: any EaselDatabase

    public init(database: any EaselDatabase) {
        self.database = database
    }

    static let userColumns = "id, name, role, plan, password_hash, balance_micros, active_jobs, disabled, created_at"

    static func decodeUser(_ row: any SQLRow) throws -> EaselUser {
        EaselUser(
            id: try row.string("id"),
            name: try row.string("name"),
            role: EaselUser.Role(rawValue: try row.string("role")) ?? .user,
            plan: try row.string("plan"),
            passwordHash: try row.optionalString("password_hash"),
            balanceMicros: try row.int64("balance_micros"),
            activeJobs: try row.int("active_jobs"),
            createdAt: try row.int64("created_at"),
            disabled: try row.bool("disabled")
        )
    }

    public func createUser(_ user: EaselUser) async throws -> Bool {
        try await database.write { db in
            let rows = try await db.raw(
                """
                INSERT INTO users (id, name, role, plan, password_hash, balance_micros, active_jobs, disabled, created_at)
                VALUES (\(bind: user.id), \(bind: user.name), \(bind: user.role.rawValue), \(bind: user.plan), \(bind: user.passwordHash), \
                \(bind: user.balanceMicros), 0, \(bind: user.disabled ? 1 : 0), \(bind: user.createdAt))
                ON CONFLICT DO NOTHING RETURNING id
                """
            ).all()
            return !rows.isEmpty
        }
    }

    public func user(id: String) async throws -> EaselUser? {
        try await database.reader.rows("SELECT \(unsafeRaw: Self.userColumns) FROM users WHERE id = \(bind: id)", Self.decodeUser).first
    }

    public func user(name: String) async throws -> EaselUser? {
        try await database.reader.rows("SELECT \(unsafeRaw: Self.userColumns) FROM users WHERE name = \(bind: name)", Self.decodeUser).first
    }

    public func users(before: String?, limit: Int) async throws -> Page<EaselUser> {
        var query: SQLQueryString = "SELECT \(unsafeRaw: Self.userColumns) FROM users"
        if let before { query += " WHERE id < \(bind: before)" }
        query += " ORDER BY id DESC LIMIT \(bind: limit + 1)"
        let rows = try await database.reader.rows(query, Self.decodeUser)
        return Page(fetched: rows, limit: limit)
    }

    public func setPlan(userID: String, plan: String) async throws -> Bool {
        try await database.write { db in
            !(try await db.raw("UPDATE users SET plan = \(bind: plan) WHERE id = \(bind: userID) RETURNING id").all()).isEmpty
        }
    }

    public func setRole(userID: String, role: EaselUser.Role) async throws -> Bool {
        try await database.write { db in
            !(try await db.raw("UPDATE users SET role = \(bind: role.rawValue) WHERE id = \(bind: userID) RETURNING id").all()).isEmpty
        }
    }

    public func setDisabled(userID: String, disabled: Bool) async throws -> Bool {
        try await database.write { db in
            !(try await db.raw("UPDATE users SET disabled = \(bind: disabled ? 1 : 0) WHERE id = \(bind: userID) RETURNING id").all())
                .isEmpty
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
            id: try row.string("id"),
            userID: try row.string("user_id"),
            prefix: try row.string("prefix"),
            hash: try row.string("hash"),
            name: try row.optionalString("name"),
            createdAt: try row.int64("created_at"),
            lastUsedAt: try row.optionalInt64("last_used_at"),
            revokedAt: try row.optionalInt64("revoked_at")
        )
    }

    public func createKey(_ key: APIKeyRecord) async throws {
        try await database.write { db in
            try await db.raw(
                """
                INSERT INTO api_keys (id, user_id, prefix, hash, name, created_at)
                VALUES (\(bind: key.id), \(bind: key.userID), \(bind: key.prefix), \(bind: key.hash), \(bind: key.name), \(bind: key.createdAt))
                """
            ).run()
        }
    }

    public func keyOwner(hash: String) async throws -> (EaselUser, APIKeyRecord)? {
        let qualified = Self.userColumns.split(separator: ",").map { "u.\($0.trimmingCharacters(in: .whitespaces))" }.joined(separator: ", ")
        let keyColumns = Self.keyColumns.split(separator: ",").map {
            "k.\($0.trimmingCharacters(in: .whitespaces)) AS k_\($0.trimmingCharacters(in: .whitespaces))"
        }
        .joined(separator: ", ")
        return try await database.reader.rows(
            """
            SELECT \(unsafeRaw: qualified), \(unsafeRaw: keyColumns) FROM api_keys k JOIN users u ON u.id = k.user_id
            WHERE k.hash = \(bind: hash) AND k.revoked_at IS NULL AND u.disabled = 0
            """
        ) { row in
            let user = try Self.decodeUser(row)
            let key = APIKeyRecord(
                id: try row.string("k_id"),
                userID: try row.string("k_user_id"),
                prefix: try row.string("k_prefix"),
                hash: try row.string("k_hash"),
                name: try row.optionalString("k_name"),
                createdAt: try row.int64("k_created_at")
            )
            return (user, key)
        }.first
    }

    public func keys(userID: String, before: String?, limit: Int) async throws -> Page<APIKeyRecord> {
        var query: SQLQueryString = "SELECT \(unsafeRaw: Self.keyColumns) FROM api_keys WHERE user_id = \(bind: userID)"
        if let before { query += " AND id < \(bind: before)" }
        query += " ORDER BY id DESC LIMIT \(bind: limit + 1)"
        let rows = try await database.reader.rows(query, Self.decodeKey)
        return Page(fetched: rows, limit: limit)
    }

    public func revokeKey(id: String, userID: String?, at: Int64) async throws -> Bool {
        try await database.write { db in
            var query: SQLQueryString = "UPDATE api_keys SET revoked_at = \(bind: at) WHERE id = \(bind: id) AND revoked_at IS NULL"
            if let userID { query += " AND user_id = \(bind: userID)" }
            query += " RETURNING id"
            return !(try await db.raw(query).all()).isEmpty
        }
    }
}
