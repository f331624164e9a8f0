import EaselCore
import Logging
import SQLKit

/// One schema change. The name is recorded once applied and must never change.
public protocol Migration: Sendable {
    var name: String { get }
    func apply(on db: any SQLDatabase, engine: SQLEngine) async throws
    func revert(on db: any SQLDatabase, engine: SQLEngine) async throws
}

public enum MigrationError: Error, CustomStringConvertible, Equatable {
    /// The database has migrations this binary does not know, or in another order.
    case inconsistent(applied: [String], registered: [String])
    case pending([String])

    public var description: String {
        switch self {
        case .inconsistent(let applied, let registered):
            "the database's migrations do not match this build of Easel: applied \(applied), known \(registered). "
                + "Is an older easel binary running against a newer database?"
        case .pending(let names):
            "the database needs migrations \(names); run `easel migrate` (or start with automatic migration)"
        }
    }
}

/// Applies migrations in order, each recorded in `easel_migrations`, all pending ones in one transaction.
public struct Migrator: Sendable {
    public let migrations: [any Migration]

    public init(migrations: [any Migration] = Migrator.all) {
        self.migrations = migrations
    }

    /// Every migration Easel has, oldest first. Append only.
    public static let all: [any Migration] = [
        CreateCoreTables(), CreateSessions(), CreateAccounts(), CreateCreativeTables(), CreateUpstreamBatches(), CreateCuration(),
        CreateSharedState(), CreateResponses(), IndexResponsesByJob(), CreateWebhooks(),
    ]

    public func applied(on database: any EaselDatabase) async throws -> [String] {
        try await database.write { db in
            try await db.raw(
                "CREATE TABLE IF NOT EXISTS easel_migrations (seq INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, applied_at BIGINT NOT NULL)"
            ).run()
            return try await db.rows("SELECT name FROM easel_migrations ORDER BY seq") { try $0.string("name") }
        }
    }

    public func pending(on database: any EaselDatabase) async throws -> [String] {
        let applied = try await applied(on: database)
        try check(applied: applied)
        return migrations.dropFirst(applied.count).map(\.name)
    }

    /// Applies what is pending and returns its names; with `dryRun`, throws `.pending` instead.
    @discardableResult
    public func migrate(_ database: any EaselDatabase, dryRun: Bool = false, now: Int64, logger: Logger) async throws -> [String] {
        let pendingNames = try await pending(on: database)
        guard !pendingNames.isEmpty else { return [] }
        if dryRun { throw MigrationError.pending(pendingNames) }
        let todo = Array(migrations.suffix(pendingNames.count))
        let engine = database.engine
        let alreadyApplied = migrations.count - todo.count
        try await database.write { db in
            for (offset, migration) in todo.enumerated() {
                try await migration.apply(on: db, engine: engine)
                try await db.raw(
                    "INSERT INTO easel_migrations (seq, name, applied_at) VALUES (\(bind: alreadyApplied + offset + 1), \(bind: migration.name), \(bind: now))"
                ).run()
            }
        }
        for name in pendingNames { logger.info("applied migration", metadata: ["migration": "\(name)"]) }
        return pendingNames
    }

    func check(applied: [String]) throws {
        let registered = migrations.map(\.name)
        guard applied.count <= registered.count, Array(registered.prefix(applied.count)) == applied else {
            throw MigrationError.inconsistent(applied: applied, registered: registered)
        }
    }
}
