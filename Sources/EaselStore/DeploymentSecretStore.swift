import Foundation
import SQLKit

/// The deployment's signing secret kept in the database, for deployments of many processes that share no
/// disk: the first process to start makes it, every later one reads the same.
public struct DeploymentSecretStore: Sendable {
    let database: any EaselDatabase

    public init(database: any EaselDatabase) {
        self.database = database
    }

    /// The stored secret named `name`, made from `fresh` if none exists yet.
    public func secret(named name: String, fresh: Data, now: Int64) async throws -> Data {
        let encoded = fresh.base64EncodedString()
        let stored = try await database.write { db in
            try await db.raw(
                "INSERT INTO deployment_secrets (name, secret, created_at) VALUES (\(bind: name), \(bind: encoded), \(bind: now)) ON CONFLICT DO NOTHING"
            ).run()
            return try await db.rows("SELECT secret FROM deployment_secrets WHERE name = \(bind: name)") { try $0.string("secret") }.first
        }
        guard let stored, let data = Data(base64Encoded: stored) else { throw StoredValueError(column: "deployment_secrets.secret", value: "-") }
        return data
    }
}
