import AsyncHTTPClient
import EaselCore
import EaselImaging
import EaselProviders
import EaselStore
import Foundation
import Logging
import ServiceLifecycle

/// Easel's composition root: the store, blobs, providers, queue plumbing and services, built once from a
/// config and shared by the HTTP app, the worker role and the CLI.
public final class EaselRuntime: Sendable {
    public let config: EaselConfig
    public let logger: Logger
    public let clock: any EaselClock
    public let ids: IDGenerator
    public let database: any EaselDatabase
    public let jobStore: any JobStore
    public let assetStore: any AssetStore
    public let sessionStore: any SessionStore
    public let accountStore: any AccountStore
    public let accounts: AccountService
    public let imaging: ImagingPool
    public let blobs: any BlobStore
    public let router: ProviderRouter
    public let hub = JobEventHub()
    public let signal = WorkSignal()
    public let running = RunningJobs()
    /// Hands jobs submitted here straight to this process's worker when it has a free slot.
    public let dispatch = LocalDispatch()
    public let metrics = EaselMetrics()
    public let thumbnails: ThumbnailService
    public let workerID: String
    /// HTTP clients of the upstream providers, shut down on close.
    let httpClients: [HTTPClient]

    /// Opens the data directory (creating it), migrates the database when allowed, and wires providers.
    /// `providers` replaces the configured routes (tests use it to plug in fakes).
    public static func open(
        config: EaselConfig, logger: Logger, clock: any EaselClock = SystemClock(), routes: [ProviderRouter.Route]? = nil
    ) async throws -> EaselRuntime {
        try config.validate()
        try Vips.start()
        try FileManager.default.createDirectory(atPath: config.dataDirectory, withIntermediateDirectories: true)
        let database = try await SQLiteEaselDatabase.open(path: config.databasePath, logger: logger)
        do {
            try await Migrator().migrate(database, dryRun: !config.autoMigrate, now: clock.nowMillis(), logger: logger)
        } catch {
            try? await database.close()
            throw error
        }
        let blobs = try FileBlobStore(root: config.blobDirectory)
        let router: ProviderRouter
        var clients: [HTTPClient] = []
        // Read once: the routes build the router, and their `base` models lend prices to the policy.
        var configuredRoutes: [ProvidersConfig.Route] = []
        do {
            if let routes {
                router = ProviderRouter(routes: routes)
            } else {
                let providers = try config.resolvedProviders()
                configuredRoutes = providers.routes
                let built = try ProviderFactory.build(providers, config: config, clock: clock, logger: logger)
                router = built.router
                clients = built.clients
            }
        } catch {
            try? await database.close()
            throw error
        }
        let policy: PolicyConfig
        let secret: Data
        do {
            policy = try config.resolvedPolicy(routes: configuredRoutes)
            secret = try Self.sessionSecret(in: config.dataDirectory)
        } catch {
            for client in clients { try? await client.shutdown() }
            try? await database.close()
            throw error
        }
        return EaselRuntime(config: config, logger: logger, clock: clock, database: database, blobs: blobs, router: router, clients: clients,
                            policy: policy, sessionSecret: secret)
    }

    /// The key that signs studio session cookies: random, made once per data directory, readable only by
    /// its owner, so sessions survive restarts and every process of one deployment agrees on it.
    static func sessionSecret(in directory: String) throws -> Data {
        let path = URL(fileURLWithPath: directory).appendingPathComponent("session.key").path
        if let data = FileManager.default.contents(atPath: path), data.count == 32 { return data }
        var random = SystemRandomNumberGenerator()
        let bytes = Data((0..<32).map { _ in UInt8.random(in: 0...255, using: &random) })
        let temporary = path + ".tmp"
        guard FileManager.default.createFile(atPath: temporary, contents: bytes, attributes: [.posixPermissions: 0o600]) else {
            throw ConfigError.invalid("data", directory, "a writable directory (for session.key)")
        }
        if link(temporary, path) != 0 {
            // Another process made it first: use theirs.
            unlink(temporary)
            if let data = FileManager.default.contents(atPath: path), data.count == 32 { return data }
            throw ConfigError.invalid("data", directory, "a readable session.key")
        }
        unlink(temporary)
        return bytes
    }

    init(config: EaselConfig, logger: Logger, clock: any EaselClock, database: any EaselDatabase, blobs: any BlobStore,
         router: ProviderRouter, clients: [HTTPClient], policy: PolicyConfig = PolicyConfig(), sessionSecret: Data = Data(count: 32)) {
        self.httpClients = clients
        self.config = config
        self.logger = logger
        self.clock = clock
        self.ids = IDGenerator(seed: UInt64.random(in: 0...UInt64.max))
        self.database = database
        self.jobStore = SQLJobStore(database: database, clock: clock)
        self.assetStore = SQLAssetStore(database: database)
        self.sessionStore = SQLSessionStore(database: database)
        self.accountStore = SQLAccountStore(database: database)
        self.imaging = ImagingPool(threads: 1, maxInputPixels: config.maxInputPixels)
        self.blobs = blobs
        self.router = router
        self.thumbnails = ThumbnailService(assets: assetStore, blobs: blobs, logger: logger)
        self.accounts = AccountService(store: accountStore, policy: policy, ids: ids, clock: clock,
                                       logger: Logger(label: "easel.accounts", level: config.logLevel), cookieSecret: sessionSecret,
                                       adminKey: config.adminKey)
        let host = ProcessInfo.processInfo.hostName
        self.workerID = "\(host):\(ProcessInfo.processInfo.processIdentifier):\(UInt32.random(in: 0...UInt32.max))"
    }

    public func close() async throws {
        for client in httpClients { try? await client.shutdown() }
        try await database.close()
    }

    public var jobService: JobService {
        JobService(jobs: jobStore, assets: assetStore, blobs: blobs, accounts: accounts, hub: hub, signal: signal, running: running,
                   dispatch: dispatch, ids: ids, clock: clock, metrics: metrics, config: config)
    }

    public var assetService: AssetService {
        AssetService(assets: assetStore, blobs: blobs, ids: ids, clock: clock, rules: EditInputRules(maxInputPixels: config.maxInputPixels))
    }

    public var parser: GenerationRequestParser {
        let router = self.router
        return GenerationRequestParser(defaultModel: router.defaultModel) { router.capabilities(for: $0) }
    }

    /// The background services of the worker role: job workers, the lease reaper, thumbnails.
    /// `concurrency` overrides the configured number of jobs run at once.
    public func workerServices(concurrency: Int? = nil) -> [any Service] {
        let runner = JobRunner(
            workerID: workerID, jobs: jobStore, assets: assetStore, blobs: blobs, imaging: imaging, accounts: accounts, router: router, hub: hub, signal: signal, running: running,
            thumbnails: thumbnails, ids: ids, clock: clock, metrics: metrics, retry: config.retry,
            logger: Logger(label: "easel.worker", level: config.logLevel))
        return [
            thumbnails,
            WorkerService(
                runner: runner, jobs: jobStore, signal: signal, running: running, dispatch: dispatch, localDispatch: config.localDispatch, concurrency: concurrency ?? config.workerConcurrency,
                leaseMs: config.leaseMs, heartbeatMs: config.heartbeatMs, pollIntervalMs: config.pollIntervalMs,
                drainSeconds: config.drainSeconds, logger: Logger(label: "easel.worker", level: config.logLevel)),
            LeaseReaperService(jobs: jobStore, signal: signal, intervalMs: config.reaperIntervalMs,
                               logger: Logger(label: "easel.reaper", level: config.logLevel), reconcile: { [self] in await self.reconcile() }),
        ]
    }
}

extension Logger {
    init(label: String, level: Logger.Level) {
        self.init(label: label)
        self.logLevel = level
    }
}

extension EaselRuntime {
    /// Applies (or with `dryRun`, lists) pending migrations of the configured database.
    public static func migrate(config: EaselConfig, dryRun: Bool, logger: Logger) async throws -> [String] {
        try FileManager.default.createDirectory(atPath: config.dataDirectory, withIntermediateDirectories: true)
        let database = try await SQLiteEaselDatabase.open(path: config.databasePath, logger: logger)
        let migrator = Migrator()
        do {
            let names = dryRun
                ? try await migrator.pending(on: database)
                : try await migrator.migrate(database, now: SystemClock().nowMillis(), logger: logger)
            try await database.close()
            return names
        } catch {
            try? await database.close()
            throw error
        }
    }
}

extension EaselRuntime {
    /// Settles or refunds reservations left open a minute after they were made: their job ended (or was
    /// never stored) while the process that should have settled it stopped.
    func reconcile() async {
        do {
            let open = try await accountStore.openReservations(before: clock.nowMillis() - config.reconcileAfterMs, limit: 200)
            for (jobID, _) in open {
                guard let job = try await jobStore.job(id: jobID) else {
                    await accounts.refund(jobID: jobID)
                    continue
                }
                if job.status.isTerminal { await accounts.finish(job) }
            }
        } catch {
            logger.error("reconciling reservations failed", metadata: ["error": "\(error)"])
        }
    }
}
