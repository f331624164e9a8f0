import EaselCore
import Foundation
import Logging
import SQLKit

/// The database server's clock as this process sees it: the system clock plus the offset measured against
/// PostgreSQL's `clock_timestamp()` (half the round trip allowed for). Every time Easel writes (run_at,
/// lease_until, heartbeats) then agrees across processes whatever their own clocks say, so a process whose
/// clock runs ahead cannot reap leases that are still alive. Measured at start and again every minute.
public final class DatabaseClock: EaselClock, Sendable {
    private let database: any EaselDatabase
    private let logger: Logger
    private let state = Locked<(offset: Int64, measuredAt: Int64, measuring: Bool)>((0, 0, false))

    public static func start(database: any EaselDatabase, logger: Logger) async throws -> DatabaseClock {
        let clock = DatabaseClock(database: database, logger: logger)
        try await clock.measure()
        return clock
    }

    private init(database: any EaselDatabase, logger: Logger) {
        self.database = database
        self.logger = logger
    }

    /// How far the database's clock is ahead of this machine's, in milliseconds.
    public var offsetMillis: Int64 { state.current.offset }

    public func nowMillis() -> Int64 {
        let local = SystemClock().nowMillis()
        let (offset, due) = state.withLock { state -> (Int64, Bool) in
            let due = !state.measuring && local - state.measuredAt > 60_000
            if due { state.measuring = true }
            return (state.offset, due)
        }
        if due { Task { try? await self.measure() } }
        return local + offset
    }

    /// The server's wall clock in milliseconds, as column `now`.
    public static func serverTime(_ engine: SQLEngine) -> SQLQueryString {
        engine == .postgres
            ? "SELECT CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000 AS BIGINT) AS now"
            : "SELECT CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER) AS now"
    }

    func measure() async throws {
        defer { state.withLock { $0.measuring = false } }
        let before = SystemClock().nowMillis()
        let rows = try await database.reader.rows(Self.serverTime(database.engine)) { try $0.int64("now") }
        let after = SystemClock().nowMillis()
        guard let server = rows.first else { return }
        let offset = server - (before + after) / 2
        state.withLock { $0 = (offset, after, false) }
        if abs(offset) > 1_000 {
            logger.warning(
                "this machine's clock differs from the database's; Easel uses the database's",
                metadata: ["offset_ms": "\(offset)"]
            )
        }
    }
}
