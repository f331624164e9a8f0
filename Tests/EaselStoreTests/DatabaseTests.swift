import EaselCore
import EaselStore
import EaselTesting
import Foundation
import SQLKit
import Testing

/// The database wrappers themselves (SQLite's one writer, PostgreSQL's pool): transactions that always end.
@Suite("Database")
struct DatabaseTests {
    /// A table whose rows number themselves, on either engine.
    static let notesTable: SQLQueryString =
        TestDatabase.engine == .postgres
        ? "CREATE TABLE notes (id SERIAL PRIMARY KEY, text TEXT)" : "CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT)"

    /// sqlite-nio refuses statements in a cancelled task. A caller cancelled inside a transaction must not
    /// leave the writer connection in it (every later write would fail with "cannot start a transaction
    /// within a transaction"); the transaction finishes as if nothing happened.
    @Test func aCallerCancelledMidTransactionLeavesTheWriterUsable() async throws {
        let directory = try TemporaryDirectory()
        let database = try await TestSupport.database(in: directory)
        try await database.write { db in try await db.raw(Self.notesTable).run() }

        let inside = AsyncStream<Void>.makeStream()
        let proceed = AsyncStream<Void>.makeStream()
        let caller = Task {
            try await database.write { db in
                try await db.raw("INSERT INTO notes (text) VALUES ('before the cancel')").run()
                inside.continuation.yield()
                // Wait (without honouring cancellation) until the caller has been cancelled.
                for await _ in proceed.stream { break }
                try await db.raw("INSERT INTO notes (text) VALUES ('after the cancel')").run()
            }
        }
        for await _ in inside.stream { break }
        caller.cancel()
        proceed.continuation.yield()
        let outcome = await caller.result
        #expect(throws: Never.self) { try outcome.get() }

        // The writer still writes, and the cancelled caller's transaction committed whole.
        await #expect(throws: Never.self) {
            try await database.write { db in try await db.raw("INSERT INTO notes (text) VALUES ('later')").run() }
        }
        let texts = try await database.reader.raw("SELECT text FROM notes ORDER BY id").all().map { try $0.decode(column: "text", as: String.self) }
        #expect(texts == ["before the cancel", "after the cancel", "later"])
        try await database.close()
    }

    @Test func aFailedTransactionRollsBackWhole() async throws {
        let directory = try TemporaryDirectory()
        let database = try await TestSupport.database(in: directory)
        try await database.write { db in try await db.raw(Self.notesTable).run() }
        struct Refused: Error {}
        await #expect(throws: Refused.self) {
            try await database.write { db in
                try await db.raw("INSERT INTO notes (text) VALUES ('half')").run()
                throw Refused()
            }
        }
        try await database.write { db in try await db.raw("INSERT INTO notes (text) VALUES ('whole')").run() }
        let texts = try await database.reader.raw("SELECT text FROM notes").all().map { try $0.decode(column: "text", as: String.self) }
        #expect(texts == ["whole"])
        try await database.close()
    }
}

@Suite("Database clock")
struct DatabaseClockTests {
    /// The server and this machine share a clock here, so the measured offset is a round trip at most, and
    /// the database clock reads the server's time.
    @Test func readsTheServersTime() async throws {
        let directory = try TemporaryDirectory()
        let database = try await TestSupport.database(in: directory)
        let clock = try await DatabaseClock.start(database: database, logger: TestSupport.logger)
        #expect(abs(clock.offsetMillis) < 1_000, "offset \(clock.offsetMillis) ms")
        let server = try await database.reader.raw(DatabaseClock.serverTime(database.engine)).all().first?.decode(column: "now", as: Int64.self)
        #expect(abs(try #require(server) - clock.nowMillis()) < 1_000)
        try await database.close()
    }
}
