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
    /// Runs `body` in one transaction (`BEGIN IMMEDIATE` on SQLite), committing if it returns. The
    /// transaction runs to its end even if the calling task is cancelled.
    func write<T: Sendable>(_ body: @escaping @Sendable (any SQLDatabase) async throws -> T) async throws -> T
    func close() async throws
}

extension SQLDatabase {
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
