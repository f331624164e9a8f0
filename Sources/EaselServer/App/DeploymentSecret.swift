import Crypto
import EaselStore
import Foundation

/// The deployment's own secret: random, made once per data directory, readable only by its owner, so
/// sessions and file links survive restarts and every process of one deployment agrees on them. Each use
/// gets a key of its own derived from it.
struct DeploymentSecret: Sendable {
    let bytes: Data

    /// Signs studio session cookies (the secret itself, as before file links existed).
    var cookieSecret: Data { bytes }

    /// Signs capability URLs of files: derived, so neither key can stand in for the other.
    var fileLinkSecret: Data {
        Data(HMAC<SHA256>.authenticationCode(for: Data("easel file links v1".utf8), using: SymmetricKey(data: bytes)))
    }

    /// Seals webhook signing secrets at rest (they sign, so they cannot be hashed): derived likewise.
    var webhookSealKey: Data {
        Data(HMAC<SHA256>.authenticationCode(for: Data("easel webhook secrets v1".utf8), using: SymmetricKey(data: bytes)))
    }

    /// On PostgreSQL, the secret is in the database (processes share no disk); else `session.key` in the data
    /// directory.
    static func load(database: any EaselDatabase, directory: String, now: Int64) async throws -> DeploymentSecret {
        guard database.engine == .postgres else { return try read(in: directory) }
        let bytes = try await DeploymentSecretStore(database: database).secret(named: "session", fresh: fresh(), now: now)
        guard bytes.count == 32 else { throw ConfigError.invalid("database", "deployment_secrets", "a 32-byte session secret") }
        return DeploymentSecret(bytes: bytes)
    }

    /// 32 random bytes: a new secret.
    private static func fresh() -> Data {
        var random = SystemRandomNumberGenerator()
        return Data((0..<32).map { _ in UInt8.random(in: 0...255, using: &random) })
    }

    static func read(in directory: String) throws -> DeploymentSecret {
        let path = URL(fileURLWithPath: directory).appendingPathComponent("session.key").path
        if let data = FileManager.default.contents(atPath: path), data.count == 32 { return DeploymentSecret(bytes: data) }
        let bytes = fresh()
        let temporary = path + ".tmp.\(ProcessInfo.processInfo.processIdentifier)"
        guard FileManager.default.createFile(atPath: temporary, contents: bytes, attributes: [.posixPermissions: 0o600]) else {
            throw ConfigError.invalid("data", directory, "a writable directory (for session.key)")
        }
        defer { unlink(temporary) }
        if link(temporary, path) != 0 {
            // Another process made it first: use theirs.
            if let data = FileManager.default.contents(atPath: path), data.count == 32 { return DeploymentSecret(bytes: data) }
            throw ConfigError.invalid("data", directory, "a readable session.key")
        }
        return DeploymentSecret(bytes: bytes)
    }
}
