import EaselCore
import Foundation
import Logging
import NIOCore
import NIOPosix
import SQLKit
import SQLiteKit

/// SQLite in WAL mode: one writer connection behind an async lock (SQLite allows one writer at a time
/// anyway) and a few reader connections that see committed data without waiting for the writer.
public final class SQLiteEaselDatabase: EaselDatabase {
    public let engine = SQLEngine.sqlite
    private let writerConnection: SQLiteConnection
    private let readerConnections: [SQLiteConnection]
    private let writer: any SQLDatabase
    private let readers: [any SQLDatabase]
    private let writeLock = AsyncMutex()
    private let nextReader = Locked(0)
    private let threadPool: NIOThreadPool

    /// Opens (creating if needed) the database file at `path`.
    public static func open(path: String, readers readerCount: Int = 2, logger: Logger) async throws -> SQLiteEaselDatabase {
        // A pool of its own so that database calls never queue behind other blocking work.
        let pool = NIOThreadPool(numberOfThreads: readerCount + 1)
        pool.start()
        let loop = MultiThreadedEventLoopGroup.singleton.any()
        let writer = try await SQLiteConnection.open(storage: .file(path: path), threadPool: pool, logger: logger, on: loop)
        let sqlWriter = writer.sql(queryLogLevel: .trace)
        // WAL: readers do not block the writer nor the writer the readers. NORMAL sync is durable
        // across process crashes (not across power loss of the last transaction), the usual WAL choice.
        for pragma in [
            "PRAGMA journal_mode = WAL", "PRAGMA synchronous = NORMAL", "PRAGMA busy_timeout = 10000",
            "PRAGMA foreign_keys = ON", "PRAGMA temp_store = MEMORY", "PRAGMA cache_size = -32000",
        ] {
            try await sqlWriter.raw(SQLQueryString(pragma)).run()
        }
        var readers: [SQLiteConnection] = []
        for _ in 0..<readerCount {
            let reader = try await SQLiteConnection.open(storage: .file(path: path), threadPool: pool, logger: logger, on: loop)
            // busy_timeout replaces sqlite-nio's spinning busy handler with a sleeping one.
            try await reader.sql().raw("PRAGMA busy_timeout = 10000").run()
            try await reader.sql().raw("PRAGMA query_only = ON").run()
            readers.append(reader)
        }
        return SQLiteEaselDatabase(writer: writer, readers: readers, pool: pool)
    }

    private init(writer: SQLiteConnection, readers: [SQLiteConnection], pool: NIOThreadPool) {
        self.writerConnection = writer
        self.readerConnections = readers
        self.writer = writer.sql(queryLogLevel: .trace)
        self.readers = readers.map { $0.sql(queryLogLevel: .trace) }
        self.threadPool = pool
    }

    public var reader: any SQLDatabase {
        guard !readers.isEmpty else { return writer }
        let index = nextReader.withLock { value -> Int in
            value = (value + 1) % readers.count
            return value
        }
        return readers[index]
    }

    /// Every write is serializable here: SQLite has one writer at a time.
    public func write<T: Sendable>(
        isolation: WriteIsolation,
        _ body: @escaping @Sendable (any SQLDatabase) async throws -> T
    ) async throws -> T {
        // sqlite-nio refuses to run statements in a cancelled task. A caller cancelled between BEGIN and
        // COMMIT would then fail its ROLLBACK too and leave the one writer connection inside a transaction,
        // so every later write would fail. The transaction runs in a task of its own, which no caller's
        // cancellation reaches: it always ends in COMMIT or ROLLBACK.
        let writer = self.writer
        let writeLock = self.writeLock
        return try await Task {
            await writeLock.lock()
            defer { writeLock.unlock() }
            return try await writer.transaction(begin: "BEGIN IMMEDIATE", body)
        }.value
    }

    public func close() async throws {
        for connection in readerConnections { try await connection.close() }
        try await writerConnection.close()
        try await threadPool.shutdownGracefully()
    }
}
