import EaselServer
import EaselStore
import Foundation
import Logging

/// Which engine the store and HTTP tests run on. `EASEL_TEST_POSTGRES` (a server URL, any database) runs
/// them on PostgreSQL, one fresh database per test, copied from a template migrated once per test run;
/// unset, on SQLite files. `scripts/test` runs the Swift suites once on each.
public enum TestDatabase {
    public static let postgres: PostgresURL? = {
        guard let text = ProcessInfo.processInfo.environment["EASEL_TEST_POSTGRES"], !text.isEmpty else { return nil }
        do { return try PostgresURL(text) } catch { fatalError("EASEL_TEST_POSTGRES: \(error)") }
    }()

    /// The engine under test, for the few tests that check engine-specific behaviour.
    public static var engine: SQLEngine { postgres == nil ? .sqlite : .postgres }

    private static let templates = TemplateMaker()

    /// A migrated database of its own for `key` (made once; the same key finds the same database again, so
    /// a test can close and reopen it).
    public static func url(for key: String, migrated: Bool = true) async throws -> PostgresURL {
        guard let server = postgres else { fatalError("TestDatabase.url needs EASEL_TEST_POSTGRES") }
        let name = databaseName(for: key)
        let template = migrated ? try await templates.migratedTemplate(server: server) : "template0"
        let admin = try await PostgresEaselDatabase.open(url: server, maxConnections: 1, logger: TestSupport.logger)
        do {
            // Made already by an earlier open of the same key: that one is reopened.
            let exists = try await !admin.reader.raw("SELECT 1 AS one FROM pg_database WHERE datname = \(bind: name)").all().isEmpty
            if !exists { try await admin.reader.raw("CREATE DATABASE \(ident: name) TEMPLATE \(ident: template)").run() }
            try await admin.close()
        } catch {
            try? await admin.close()
            throw error
        }
        return server.with(database: name)
    }

    /// A PostgreSQL identifier from any key: 40 characters, stable for the key.
    static func databaseName(for key: String) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in key.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x100_0000_01b3
        }
        let suffix = String(ProcessInfo.processInfo.processIdentifier, radix: 36)
        return "easel_t_\(String(hash, radix: 16))_\(suffix)"
    }
}

/// Migrates one template database per test process, the first time a test asks.
private actor TemplateMaker {
    private var made: Task<String, any Error>?

    func migratedTemplate(server: PostgresURL) async throws -> String {
        if let made { return try await made.value }
        let task = Task<String, any Error> {
            let name = "easel_tpl_\(String(ProcessInfo.processInfo.processIdentifier, radix: 36))"
            let admin = try await PostgresEaselDatabase.open(url: server, maxConnections: 1, logger: TestSupport.logger)
            try await admin.reader.raw("DROP DATABASE IF EXISTS \(ident: name)").run()
            try await admin.reader.raw("CREATE DATABASE \(ident: name) TEMPLATE template0").run()
            try await admin.close()
            let template = try await PostgresEaselDatabase.open(url: server.with(database: name), maxConnections: 1, logger: TestSupport.logger)
            try await Migrator().migrate(template, now: 0, logger: TestSupport.logger)
            try await template.close()
            return name
        }
        made = task
        return try await task.value
    }
}
