import EaselCore
import EaselStore
import Foundation
import Logging

/// Everything Easel is configured with. Read from the environment (`EASEL_*`), then overridden by
/// command-line flags; tests build it in code.
public struct EaselConfig: Sendable {
    /// SQLite database and image files live here.
    public var dataDirectory: String = "./easel-data"
    public var host: String = "127.0.0.1"
    public var port: Int = 8080
    /// A bootstrap admin key (EASEL_ADMIN_KEY): acts as the `admin` user until real keys exist.
    public var adminKey: String?
    /// Base of the URLs Easel hands out (`response_format=url`); defaults to the request's Host.
    public var publicBaseURL: String?
    /// How long a signed file URL (`/files/{id}?exp=…&sig=…`) opens without a key.
    public var fileLinkSeconds: Int = 3600
    /// Jobs one process runs at once (network-bound providers want many; drafts also take a CPU slot).
    public var workerConcurrency: Int = 32
    /// Submissions start on this process's worker at once when it has a free slot (see `LocalDispatch`);
    /// off, every job goes through the queue and is claimed.
    public var localDispatch = true
    /// Threads rendering drafts: one per core.
    public var draftThreads: Int = ProcessInfo.processInfo.activeProcessorCount
    public var leaseMs: Int64 = 30_000
    public var heartbeatMs: Int64 = 10_000
    public var reaperIntervalMs: Int64 = 5_000
    /// How often waiters and idle workers look at the database for changes made by other processes.
    public var pollIntervalMs: Int64 = 250
    public var retry = RetryPolicy()
    /// How long the synchronous door waits for a job before answering 504 with the job id.
    public var syncTimeoutSeconds: Int = 600
    /// Most images one export (`POST /api/exports`) takes. Env: EASEL_EXPORT_MAX.
    public var exportMaxAssets = 5000
    /// A directory the studio's files are read from on every request instead of the embedded copies, so the
    /// studio can be edited without rebuilding. Development only. Env: EASEL_STUDIO_DIR.
    public var studioDirectory: String?
    /// On SIGTERM, how long running jobs get to finish before they are handed back to the queue.
    public var drainSeconds: Int = 30
    public var autoMigrate: Bool = true
    public var logLevel: Logger.Level = .info
    /// Largest JSON body accepted, in bytes.
    public var maxJSONBodyBytes: Int = 4 * 1024 * 1024
    /// Bound on a whole `/v1/images/edits` body (multipart or JSON with data URLs); each file is also held
    /// to 50 MB as it streams in.
    public var maxEditBodyBytes: Int = 256 * 1024 * 1024
    /// Decoded pixels an input image may have (a decompression-bomb guard, checked from the header).
    public var maxInputPixels: Int = 40_000_000
    /// Guest sessions one client address may start per hour (a token bucket refilled at this rate; 0: no limit).
    /// Env: EASEL_GUEST_SESSIONS_PER_HOUR.
    public var guestSessionsPerHour: Int = 30
    /// Guest sessions one address may start at once before the hourly rate applies.
    public var guestSessionBurst: Int = 10
    /// A request's head must arrive within this many seconds of its first byte. Env: EASEL_HEADER_TIMEOUT_SECONDS.
    public var headerTimeoutSeconds: Int = 10
    /// A request's body must arrive within this many seconds of its head. Env: EASEL_BODY_TIMEOUT_SECONDS.
    public var bodyTimeoutSeconds: Int = 120
    /// A keep-alive connection silent this long is closed; longer than common clients' pool timeouts (60 s),
    /// so a client does not reuse a connection just as the server closes it. Env: EASEL_IDLE_TIMEOUT_SECONDS.
    public var idleTimeoutSeconds: Int = 90
    /// How often the economy batcher looks for jobs to send and provider batches to poll when nothing wakes it.
    public var economyTickMs: Int64 = 1_000
    /// Addresses and CIDR ranges webhooks may reach although they are loopback, private or link-local.
    /// Env: EASEL_WEBHOOK_ALLOW (comma-separated).
    public var webhookAllow: [String] = []
    /// How often the webhook dispatcher looks for due deliveries when nothing wakes it.
    public var webhookTickMs: Int64 = 1_000
    /// The first retry's delay (it doubles after each failure, up to an hour).
    public var webhookRetryBaseMs: Int64 = 5_000
    /// Failed deliveries in a row after which an endpoint is disabled.
    public var webhookDisableAfter = WebhookRetry.disableAfterFailures
    /// A reservation still open this long after it was made is settled or refunded by the reaper.
    public var reconcileAfterMs: Int64 = 60_000
    /// How old a reservation whose job was never stored must be before it is refunded.
    public var orphanReservationMs: Int64 = 600_000
    /// The providers config file (YAML or JSON). Env: EASEL_CONFIG.
    public var configFile: String?
    /// Providers and routes given directly (tests); when nil they come from `configFile` and the environment.
    public var providers: ProvidersConfig?
    /// Plans, prices and the prompt filter; read from the config file unless set directly (tests).
    public var policy: PolicyConfig?

    public init() {}

    public var databasePath: String { URL(fileURLWithPath: dataDirectory).appendingPathComponent("easel.sqlite").path }
    public var blobDirectory: URL { URL(fileURLWithPath: dataDirectory).appendingPathComponent("blobs") }
    /// Image files on an S3-compatible store instead of `blobDirectory` (EASEL_BLOB_URL, `--blobs`).
    public var blobLocation: S3Location?
    /// The store's credentials, from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN only.
    public var blobCredentials: AWSCredentials?

    /// When set (seconds), files on an S3-compatible store are answered with a redirect to a presigned GET
    /// valid that long, instead of passing through Easel (EASEL_BLOB_REDIRECT).
    public var blobRedirectSeconds: Int?

    /// PostgreSQL instead of SQLite under the data directory (EASEL_DATABASE_URL, `--database`).
    public var databaseURL: PostgresURL?
    /// Connections each process keeps to PostgreSQL at most (EASEL_DB_CONNECTIONS), besides the one that listens.
    public var databaseConnections = 12
    /// Workers find work by polling only, never LISTEN (for PgBouncer in transaction mode: EASEL_DB_POLL_ONLY).
    public var databasePollOnly = false

    /// Uses the PostgreSQL database `url` names (`postgres://user:password@host:5432/db?sslmode=…`).
    public mutating func useDatabaseURL(_ url: String) throws { databaseURL = try PostgresURL(url) }

    /// Puts image files on the S3-compatible store `url` names (`s3://bucket/prefix?endpoint=…`).
    public mutating func useBlobURL(_ url: String) throws { blobLocation = try S3Location.parse(url) }

    /// Reads `EASEL_*` variables over the defaults.
    public static func fromEnvironment(_ env: [String: String] = ProcessInfo.processInfo.environment) throws -> EaselConfig {
        var config = EaselConfig()
        func int(_ key: String) throws -> Int? {
            guard let text = env[key], !text.isEmpty else { return nil }
            guard let value = Int(text) else { throw ConfigError.invalid(key, text, "an integer") }
            return value
        }
        if let value = env["EASEL_DATA"], !value.isEmpty { config.dataDirectory = value }
        if let value = env["EASEL_HOST"], !value.isEmpty { config.host = value }
        if let value = try int("EASEL_PORT") { config.port = value }
        if let value = env["EASEL_ADMIN_KEY"], !value.isEmpty { config.adminKey = value }
        if let value = env["EASEL_PUBLIC_URL"], !value.isEmpty { config.publicBaseURL = value }
        if let value = env["EASEL_WEBHOOK_ALLOW"], !value.isEmpty {
            config.webhookAllow = value.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            for entry in config.webhookAllow where WebhookAddressPolicy.bytes(String(entry.split(separator: "/")[0])) == nil {
                throw ConfigError.invalid("EASEL_WEBHOOK_ALLOW", entry, "IP addresses or CIDR ranges, comma-separated")
            }
        }
        if let value = try int("EASEL_FILE_URL_TTL") { config.fileLinkSeconds = value }
        if let value = try int("EASEL_RECONCILE_SECONDS") { config.reconcileAfterMs = Int64(max(1, value)) * 1000 }
        if let value = try int("EASEL_ORPHAN_RESERVATION_SECONDS") { config.orphanReservationMs = Int64(max(1, value)) * 1000 }
        if let value = env["EASEL_CONFIG"], !value.isEmpty { config.configFile = value }
        if let value = try int("EASEL_WORKERS") { config.workerConcurrency = value }
        if let value = env["EASEL_LOCAL_DISPATCH"], !value.isEmpty {
            switch value.lowercased() {
            case "1", "true", "on", "yes": config.localDispatch = true
            case "0", "false", "off", "no": config.localDispatch = false
            default: throw ConfigError.invalid("EASEL_LOCAL_DISPATCH", value, "on or off")
            }
        }
        if let value = try int("EASEL_DRAFT_THREADS") { config.draftThreads = value }
        if let value = try int("EASEL_LEASE_MS") {
            // Heartbeat three times per lease, and look for expired leases at least twice per lease.
            config.leaseMs = Int64(value)
            config.heartbeatMs = max(100, config.leaseMs / 3)
            config.reaperIntervalMs = min(config.reaperIntervalMs, max(100, config.leaseMs / 2))
        }
        if let value = try int("EASEL_MAX_ATTEMPTS") { config.retry.maxAttempts = value }
        if let value = try int("EASEL_POLL_MS") { config.pollIntervalMs = Int64(max(10, value)) }
        if let value = try int("EASEL_MAX_EDIT_BODY_MB") { config.maxEditBodyBytes = max(1, value) * 1024 * 1024 }
        if let value = try int("EASEL_MAX_INPUT_PIXELS") { config.maxInputPixels = max(1, value) }
        if let value = try int("EASEL_GUEST_SESSIONS_PER_HOUR") { config.guestSessionsPerHour = value }
        if let value = try int("EASEL_HEADER_TIMEOUT_SECONDS") { config.headerTimeoutSeconds = value }
        if let value = try int("EASEL_BODY_TIMEOUT_SECONDS") { config.bodyTimeoutSeconds = value }
        if let value = try int("EASEL_IDLE_TIMEOUT_SECONDS") { config.idleTimeoutSeconds = value }
        if let value = try int("EASEL_SYNC_TIMEOUT") { config.syncTimeoutSeconds = value }
        if let value = try int("EASEL_EXPORT_MAX") { config.exportMaxAssets = min(max(1, value), 60_000) }
        if let value = env["EASEL_STUDIO_DIR"], !value.isEmpty { config.studioDirectory = value }
        if let value = env["EASEL_BLOB_URL"], !value.isEmpty { try config.useBlobURL(value) }
        if let value = env["EASEL_DATABASE_URL"], !value.isEmpty { try config.useDatabaseURL(value) }
        if let value = try int("EASEL_DB_CONNECTIONS") { config.databaseConnections = min(max(2, value), 200) }
        if let value = env["EASEL_DB_POLL_ONLY"], !value.isEmpty {
            switch value.lowercased() {
            case "1", "true", "on", "yes": config.databasePollOnly = true
            case "0", "false", "off", "no": config.databasePollOnly = false
            default: throw ConfigError.invalid("EASEL_DB_POLL_ONLY", value, "on or off")
            }
        }
        if let value = try int("EASEL_BLOB_REDIRECT"), value > 0 { config.blobRedirectSeconds = min(max(value, 60), 604_800) }
        if let id = env["AWS_ACCESS_KEY_ID"], let secret = env["AWS_SECRET_ACCESS_KEY"], !id.isEmpty, !secret.isEmpty {
            config.blobCredentials = AWSCredentials(
                accessKeyID: id,
                secretAccessKey: secret,
                sessionToken: env["AWS_SESSION_TOKEN"].flatMap { $0.isEmpty ? nil : $0 }
            )
        }
        if let value = try int("EASEL_DRAIN_SECONDS") { config.drainSeconds = value }
        if let value = env["EASEL_AUTO_MIGRATE"] { config.autoMigrate = !["0", "false", "no"].contains(value.lowercased()) }
        if let value = env["EASEL_LOG_LEVEL"], !value.isEmpty {
            guard let level = Logger.Level(rawValue: value.lowercased()) else {
                throw ConfigError.invalid("EASEL_LOG_LEVEL", value, "one of trace, debug, info, notice, warning, error, critical")
            }
            config.logLevel = level
        }
        return config
    }

    /// Refuses settings that would be unsafe or cannot work.
    public func validate() throws {
        guard (1...65535).contains(port) || port == 0 else { throw ConfigError.invalid("port", String(port), "1-65535") }
        guard workerConcurrency >= 0 else { throw ConfigError.invalid("workers", String(workerConcurrency), "0 or more") }
        guard (1...604_800).contains(fileLinkSeconds) else {
            throw ConfigError.invalid("EASEL_FILE_URL_TTL", String(fileLinkSeconds), "1 to 604800 seconds (7 days)")
        }
        guard guestSessionsPerHour >= 0, guestSessionBurst >= 1 else {
            throw ConfigError.invalid("EASEL_GUEST_SESSIONS_PER_HOUR", String(guestSessionsPerHour), "0 (no limit) or more")
        }
        for (key, seconds) in [
            ("EASEL_HEADER_TIMEOUT_SECONDS", headerTimeoutSeconds), ("EASEL_BODY_TIMEOUT_SECONDS", bodyTimeoutSeconds),
            ("EASEL_IDLE_TIMEOUT_SECONDS", idleTimeoutSeconds),
        ] where !(1...86_400).contains(seconds) {
            throw ConfigError.invalid(key, String(seconds), "1 to 86400 seconds")
        }
        guard leaseMs >= 1000, heartbeatMs < leaseMs else {
            throw ConfigError.invalid("lease", String(leaseMs), "at least 1000 ms and longer than the heartbeat")
        }
    }

    /// The providers to run: given directly, or read from the config file, plus what OPENAI_API_KEY sets up.
    public func resolvedProviders(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> ProvidersConfig {
        if let providers { return providers }
        var loaded = try configFile.map { try ProvidersConfig.load(path: $0, environment: environment) } ?? ProvidersConfig()
        loaded.addEnvironmentDefaults(environment)
        return loaded
    }

    public func resolvedPolicy(routes: [ProvidersConfig.Route]) throws -> PolicyConfig {
        if let policy { return policy }
        guard let configFile else { return try PolicyConfig.parse("", routes: routes) }
        guard let text = try? String(contentsOfFile: configFile, encoding: .utf8) else {
            throw ConfigError.invalid("config", configFile, "a readable YAML or JSON file")
        }
        return try PolicyConfig.parse(text, routes: routes)
    }
}

public enum ConfigError: Error, CustomStringConvertible {
    case invalid(String, String, String)

    public var description: String {
        switch self {
        case .invalid(let key, let value, let expected): "invalid \(key) '\(value)': expected \(expected)"
        }
    }
}
