import EaselCore
import Logging
import NIOCore
import NIOPosix
import PostgresKit
import PostgresNIO
import SQLKit

/// PostgreSQL through postgres-nio's pool. Writes that read before they write run SERIALIZABLE and are
/// retried when PostgreSQL reports a conflict, so every repository keeps the meaning it has on SQLite's
/// single writer; the queue's own statements guard themselves and run READ COMMITTED.
public final class PostgresEaselDatabase: EaselDatabase {
    public let engine = SQLEngine.postgres
    public let url: PostgresURL
    let client: PostgresClient
    private let runner: Task<Void, Never>
    private let logger: Logger
    public let reader: any SQLDatabase

    /// Connects (failing fast, with the server's address but never its password, when it cannot).
    public static func open(url: PostgresURL, maxConnections: Int = 12, logger: Logger) async throws -> PostgresEaselDatabase {
        let database = PostgresEaselDatabase(url: url, maxConnections: maxConnections, logger: logger)
        do {
            _ = try await database.reader.raw("SELECT 1 AS ok").all()
        } catch {
            try? await database.close()
            // PooledSQL has already put a server's answer into words (PostgresQueryError).
            throw PostgresURLError("cannot reach PostgreSQL at \(url): \((error as? PostgresQueryError)?.message ?? "\(error)")")
        }
        return database
    }

    private init(url: PostgresURL, maxConnections: Int, logger: Logger) {
        self.url = url
        self.logger = logger
        let client = PostgresClient(configuration: url.clientConfiguration(maxConnections: maxConnections), backgroundLogger: logger)
        self.client = client
        runner = Task { await client.run() }
        reader = PooledSQL(client: client, logger: logger)
    }

    public func write<T: Sendable>(
        isolation: WriteIsolation,
        _ body: @escaping @Sendable (any SQLDatabase) async throws -> T
    ) async throws -> T {
        let client = self.client
        let logger = self.logger
        let begin: SQLQueryString? =
            switch isolation {
            case .serializable: "BEGIN ISOLATION LEVEL SERIALIZABLE"
            case .statementGuarded: "BEGIN ISOLATION LEVEL READ COMMITTED"
            case .singleStatement: nil
            }
        // As on SQLite, a caller's cancellation never interrupts a transaction between BEGIN and its end.
        return try await Task {
            var attempt = 0
            while true {
                do {
                    return try await client.withConnection { connection in
                        let db = connection.sql(queryLogLevel: .trace)
                        guard let begin else { return try await body(db) }
                        return try await db.transaction(begin: begin, body)
                    }
                } catch let error as PSQLError {
                    guard Self.isConflict(error), attempt < 30 else { throw PostgresQueryError(error) }
                    // Another transaction won a conflict: run the whole body again, after a short random pause.
                    attempt += 1
                    logger.debug("retrying a transaction after a conflict", metadata: ["attempt": "\(attempt)"])
                    try? await Task.sleep(for: .microseconds(Int.random(in: 200...(2_000 * min(attempt, 10)))))
                }
            }
        }.value
    }

    /// serialization_failure and deadlock_detected: the transaction did nothing and can run again.
    static func isConflict(_ error: PSQLError) -> Bool {
        guard let state = error.serverInfo?[.sqlState] else { return false }
        return state == "40001" || state == "40P01"
    }

    /// A connection of its own, outside the pool: LISTEN needs one that stays with its listener.
    func dedicatedConnection(id: Int) async throws -> PostgresConnection {
        try await PostgresConnection.connect(configuration: url.connectionConfiguration(), id: id, logger: logger)
    }

    public func close() async throws {
        runner.cancel()
        await runner.value
    }
}

/// Reads outside a transaction: each statement takes a pooled connection for as long as it runs.
struct PooledSQL: SQLDatabase {
    let client: PostgresClient
    let logger: Logger

    var eventLoop: any EventLoop { MultiThreadedEventLoopGroup.singleton.any() }
    var version: (any SQLDatabaseReportedVersion)? { nil }
    var dialect: any SQLDialect { PostgresDialect() }

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> Void) -> EventLoopFuture<Void> {
        let promise = eventLoop.makePromise(of: Void.self)
        promise.completeWithTask { try await self.execute(sql: query, onRow) }
        return promise.futureResult
    }

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> Void) async throws {
        do {
            try await client.withConnection { connection in
                try await connection.sql(queryLogLevel: .trace).execute(sql: query, onRow)
            }
        } catch let error as PSQLError {
            throw PostgresQueryError(error)
        }
    }
}

/// What PostgreSQL said, readable in logs: the SQLSTATE and the server's message, never the statement's
/// values (PSQLError hides everything to be safe; the message names tables and columns, not data).
public struct PostgresQueryError: Error, CustomStringConvertible {
    public let sqlState: String?
    public let message: String

    init(_ error: PSQLError) {
        sqlState = error.serverInfo?[.sqlState]
        message = error.serverInfo?[.message] ?? "\(error.code)"
    }

    /// unique_violation: a row with the same key exists.
    public var isUniqueViolation: Bool { sqlState == "23505" }
    public var description: String { "PostgreSQL error \(sqlState ?? "-"): \(message)" }
}
