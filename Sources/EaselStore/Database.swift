import EaselCore
import Logging
import SQLKit

/// Which SQL engine a store runs on; the few statements that differ switch on it.
public enum SQLEngine: String, Sendable {
    case sqlite
    case postgres
}

/// The database behind the repositories: plain reads, and writes that run in one transaction.
/// Handlers never see this; repositories do.
public protocol EaselDatabase: Sendable {
    var engine: SQLEngine { get }
    /// For reads (and for single statements that need no transaction on engines with real pools).
    var reader: any SQLDatabase { get }
    /// Runs `body` in one transaction, committing if it returns. The transaction runs to its end even if the
    /// calling task is cancelled. On PostgreSQL a `.serializable` body may run more than once (after a
    /// conflict it is retried from the start), so it must not have effects outside the database.
    func write<T: Sendable>(
        isolation: WriteIsolation,
        _ body: @escaping @Sendable (any SQLDatabase) async throws -> T
    ) async throws -> T
    func close() async throws
}

/// How much a write transaction is shielded from others running at the same time.
public enum WriteIsolation: Sendable {
    /// As if no other transaction ran meanwhile: SQLite's single writer, PostgreSQL's SERIALIZABLE.
    case serializable
    /// Each statement guards itself (a fenced `UPDATE … WHERE worker_id = …`, `SKIP LOCKED`, `ON CONFLICT`),
    /// so READ COMMITTED is enough on PostgreSQL: the queue's hot statements, which conflict often.
    case statementGuarded
    /// One statement that guards itself: PostgreSQL runs it alone (its own implicit transaction), saving the
    /// BEGIN and COMMIT round trips on the hottest paths (claims, heartbeats).
    case singleStatement
}

extension EaselDatabase {
    /// A write that reads what it changes: serializable.
    public func write<T: Sendable>(_ body: @escaping @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        try await write(isolation: .serializable, body)
    }
}

extension SQLDatabase {
    /// For helpers that get a transaction's connection but not the `EaselDatabase` it came from.
    var isPostgres: Bool { dialect.name == "postgresql" }

    /// `begin`, then `body` on this connection, then COMMIT; ROLLBACK if `body` or the commit throws.
    func transaction<T>(begin: SQLQueryString, _ body: (any SQLDatabase) async throws -> T) async throws -> T {
        try await raw(begin).run()
        do {
            let value = try await body(self)
            try await raw("COMMIT").run()
            return value
        } catch {
            try? await raw("ROLLBACK").run()
            throw error
        }
    }

    /// Runs a query and decodes every row with `decode`.
    func rows<T>(_ query: SQLQueryString, _ decode: (any SQLRow) throws -> T) async throws -> [T] {
        try await raw(query).all().map(decode)
    }
}

extension SQLRow {
    func string(_ column: String) throws -> String { try decode(column: column, as: String.self) }
    func optionalString(_ column: String) throws -> String? { try decode(column: column, as: String?.self) }
    func int(_ column: String) throws -> Int { try decode(column: column, as: Int.self) }
    func int64(_ column: String) throws -> Int64 { try decode(column: column, as: Int64.self) }
    func optionalInt64(_ column: String) throws -> Int64? { try decode(column: column, as: Int64?.self) }
    func bool(_ column: String) throws -> Bool { try decode(column: column, as: Int.self) != 0 }

    /// A closed set stored as its raw string; a value this build does not know is an error, never a guess.
    func value<Value: RawRepresentable>(_ column: String, as type: Value.Type) throws -> Value where Value.RawValue == String {
        let text = try string(column)
        guard let value = Value(rawValue: text) else { throw StoredValueError(column: column, value: text) }
        return value
    }
}

/// A row held a value outside the closed set its column allows (written by a newer Easel, or by hand).
public struct StoredValueError: Error, CustomStringConvertible {
    public let column: String
    public let value: String
    public var description: String { "column \(column) holds '\(value)', which this version of Easel does not know" }
}
