import EaselCore
import EaselStore
import EaselTesting
import Foundation
import SQLKit
import Testing

@Suite("Durability across restarts")
struct RestartTests {
    @Test func queuedAndRunningJobsSurviveAReopen() async throws {
        let directory = try TemporaryDirectory()
        let clock = ManualClock()
        let ids = IDGenerator(seed: 1)
        var database = try await TestSupport.database(in: directory)
        var store = SQLJobStore(database: database, clock: clock)
        let waiting = NewJob(
            id: ids.make(prefix: "job", millis: 1),
            userID: "u",
            kind: .generate,
            payload: JobPayload(request: TestSupport.generateRequest()),
            requestHash: "h"
        )
        let crashed = NewJob(
            id: ids.make(prefix: "job", millis: 2),
            userID: "u",
            kind: .generate,
            payload: JobPayload(request: TestSupport.generateRequest()),
            requestHash: "h"
        )
        _ = try await store.push(crashed)
        _ = try await store.claim(queue: "default", worker: "killed", limit: 1, leaseMs: 1000)
        _ = try await store.push(waiting)
        // The process dies: the connection goes away without finishing anything.
        try await database.close()

        database = try await TestSupport.database(in: directory)
        store = SQLJobStore(database: database, clock: clock)
        #expect(try await store.job(id: waiting.id)?.status == .queued)
        #expect(try await store.job(id: crashed.id)?.status == .running)
        clock.advance(byMillis: 1001)
        #expect(try await store.requeueExpiredLeases() == [crashed.id])
        let claimed = try await store.claim(queue: "default", worker: "new", limit: 5, leaseMs: 1000)
        #expect(Set(claimed.map(\.id)) == [waiting.id, crashed.id])
        try await database.close()
    }

    @Test func migrationsAreRecordedOnceAndCheckedForOrder() async throws {
        let directory = try TemporaryDirectory()
        let database = try await TestSupport.database(in: directory)
        let migrator = Migrator()
        #expect(try await migrator.pending(on: database).isEmpty)
        #expect(try await migrator.migrate(database, now: 1, logger: TestSupport.logger).isEmpty)
        // A binary that knows fewer migrations than the database has refuses to run.
        let older = Migrator(migrations: [])
        await #expect(throws: MigrationError.self) { try await older.pending(on: database) }
        try await database.close()
    }

    @Test func aDatabaseFromBeforeSessionsUpgradesAndKeepsItsJobs() async throws {
        let directory = try TemporaryDirectory()
        var database = try await TestSupport.emptyDatabase(in: directory, name: "old.sqlite")
        _ = try await Migrator(migrations: [Migrator.all[0]]).migrate(database, now: 0, logger: TestSupport.logger)
        let job = NewJob(
            id: IDGenerator(seed: 5).make(prefix: "job", millis: 1),
            userID: "u",
            kind: .generate,
            payload: JobPayload(request: TestSupport.generateRequest()),
            requestHash: "h"
        )
        // Written as that version wrote it: the columns of the first migration only.
        let payload = JobPayload(request: TestSupport.generateRequest()).json.serializedString
        try await database.write { db in
            try await db.raw(
                """
                INSERT INTO jobs (id, user_id, queue, kind, model, payload, request_hash, status, max_attempts, run_at, created_at, updated_at)
                VALUES (\(bind: job.id), 'u', 'default', 'generate', 'easel-draft', \(bind: payload), 'h', 'queued', 3, 1, 1, 1)
                """
            ).run()
        }
        try await database.close()

        database = try await TestSupport.emptyDatabase(in: directory, name: "old.sqlite")
        #expect(try await Migrator().migrate(database, now: 1, logger: TestSupport.logger) == Migrator.all.dropFirst().map(\.name))
        #expect(try await SQLJobStore(database: database, clock: ManualClock()).job(id: job.id)?.status == .queued)
        let sessions = SQLSessionStore(database: database)
        let session = EditSession(id: "ses_1", userID: "u", title: nil, model: "easel-draft", baseAssetID: nil, createdAt: 1, updatedAt: 1)
        try await sessions.create(session)
        let turn = SessionTurn(sessionID: "ses_1", turn: 1, jobID: job.id, prompt: "p", inputAssetID: nil, createdAt: 2)
        #expect(try await sessions.addTurn(turn))
        #expect(try await sessions.addTurn(turn) == false, "a turn's place is taken once")
        #expect(try await sessions.turns(sessionID: "ses_1", limit: 10) == [turn])
        try await database.close()
    }

    @Test func pendingMigrationsBlockADryRun() async throws {
        let directory = try TemporaryDirectory()
        let database = try await TestSupport.emptyDatabase(in: directory, name: "x.sqlite")
        await #expect(throws: MigrationError.pending(Migrator.all.map(\.name))) {
            try await Migrator().migrate(database, dryRun: true, now: 0, logger: TestSupport.logger)
        }
        try await database.close()
    }
}
