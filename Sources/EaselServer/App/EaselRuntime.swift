import AsyncHTTPClient
import Crypto
import EaselCore
import EaselImaging
import EaselProviders
import EaselStore
import Foundation
import Logging
import ServiceLifecycle

/// Easel's composition root: opens the store, blobs and providers from a config and builds each service
/// once, handing every part only what it uses. The HTTP app, the worker role and the CLI start here; no
/// controller or service ever receives the runtime itself.
public final class EaselRuntime: Sendable {
    public let config: EaselConfig
    public let logger: Logger
    public let clock: any EaselClock
    public let ids: IDGenerator
    public let database: any EaselDatabase
    public let router: ProviderRouter
    public let catalog: ModelCatalog
    public let workerID: String

    // Stores: the worker and the CLI reach them through here; handlers only through services.
    public let jobStore: any JobStore
    public let userStore: any UserStore
    public let ledgerStore: any LedgerStore
    public let moderationStore: any ModerationStore
    let assetStore: any AssetStore
    let sessionStore: any SessionStore
    let templateStore: any TemplateStore
    let brandKitStore: any BrandKitStore
    let batchStore: any BatchStore
    let upstreamBatchStore: any UpstreamBatchStore
    let blobs: any BlobStore

    // Plumbing between submissions, workers and waiters in this process.
    public let hub = JobEventHub()
    public let signal = WorkSignal()
    /// Wakes the economy batcher.
    public let economySignal = WorkSignal()
    public let running = RunningJobs()
    /// Hands jobs submitted here straight to this process's worker when it has a free slot.
    public let dispatch = LocalDispatch()
    public let metrics = EaselMetrics()

    // Services.
    public let accounts: AccountService
    public let billing: BillingService
    public let moderation: ModerationService
    public let assets: AssetService
    public let jobService: JobService
    public let fileLinks: FileLinks
    let thumbnails: ThumbnailService
    let edits: EditService
    let iteration: IterationService
    let responses: ResponsesService
    let sessions: SessionService
    let groups: JobGroupService
    let templates: TemplateService
    let brandKits: BrandKitService
    let briefs: BriefService
    let batches: BatchService
    let economy: EconomyPolicy
    let policy: PolicyConfig
    public let curationStore: any CurationStore
    let gallery: GalleryService
    let collections: CollectionService
    let shares: ShareService
    let exports: ExportService
    let reviews: ReviewService

    /// HTTP clients of the upstream providers, shut down on close.
    private let httpClients: [HTTPClient]
    /// Sends webhooks (the last client made at open).
    let webhookClient: HTTPClient
    let webhookStore: any WebhookStore
    let webhookSigning: WebhookSigning
    let webhookSignal = WorkSignal()
    let webhooks: WebhookService

    /// Opens the data directory (creating it), migrates the database when allowed, and wires providers.
    /// `routes` replaces the configured routes (tests use it to plug in fakes).
    public static func open(
        config: EaselConfig,
        logger: Logger,
        clock: any EaselClock = SystemClock(),
        routes: [ProviderRouter.Route]? = nil
    ) async throws -> EaselRuntime {
        try config.validate()
        try Vips.start()
        try FileManager.default.createDirectory(atPath: config.dataDirectory, withIntermediateDirectories: true)
        let database = try await openDatabase(config, logger: logger)
        // Processes on one PostgreSQL database keep time by its clock (leases are compared across machines).
        var clock = clock
        if database.engine == .postgres, clock is SystemClock {
            do {
                clock = try await DatabaseClock.start(database: database, logger: logger)
            } catch {
                try? await database.close()
                throw error
            }
        }
        do {
            try await Migrator().migrate(database, dryRun: !config.autoMigrate, now: clock.nowMillis(), logger: logger)
        } catch {
            try? await database.close()
            throw error
        }
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
                let built = try ProviderFactory.build(providers, draftThreads: config.draftThreads, clock: clock, logger: logger)
                router = built.router
                clients = built.clients
            }
        } catch {
            try? await database.close()
            throw error
        }
        do {
            let policy = try config.resolvedPolicy(routes: configuredRoutes)
            let secret = try await DeploymentSecret.load(database: database, directory: config.dataDirectory, now: clock.nowMillis())
            let blobs = try await Self.blobStore(config, clients: &clients)
            // Webhooks follow no redirects and wait briefly: a receiver cannot send Easel elsewhere or hold it.
            var webhookConfiguration = HTTPClient.Configuration(
                redirectConfiguration: .disallow,
                timeout: .init(connect: .seconds(5), read: .seconds(10))
            )
            webhookConfiguration.connectionPool = .init(idleTimeout: .seconds(30))
            clients.append(HTTPClient(eventLoopGroupProvider: .singleton, configuration: webhookConfiguration))
            if database.engine == .postgres && config.blobLocation == nil {
                logger.notice(
                    "image files are under this process's data directory: every process on this database must share it, or set EASEL_BLOB_URL",
                    metadata: ["data": "\(config.dataDirectory)"]
                )
            }
            return EaselRuntime(
                config: config,
                logger: logger,
                clock: clock,
                database: database,
                blobs: blobs,
                router: router,
                clients: clients,
                policy: policy,
                secret: secret
            )
        } catch {
            for client in clients { try? await client.shutdown() }
            try? await database.close()
            throw error
        }
    }

    /// Files under the data directory, or an S3-compatible store when EASEL_BLOB_URL names one (its bucket
    /// made if missing; its HTTP client shut down with the others).
    static func blobStore(_ config: EaselConfig, clients: inout [HTTPClient]) async throws -> any BlobStore {
        guard let location = config.blobLocation else { return try FileBlobStore(root: config.blobDirectory) }
        guard let credentials = config.blobCredentials else {
            throw ConfigError.invalid("EASEL_BLOB_URL", "s3://\(location.bucket)", "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY set as well")
        }
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        clients.append(client)
        let store = S3BlobStore(location: location, credentials: credentials, client: client)
        try await store.ensureBucket()
        return store
    }

    private init(
        config: EaselConfig,
        logger: Logger,
        clock: any EaselClock,
        database: any EaselDatabase,
        blobs: any BlobStore,
        router: ProviderRouter,
        clients: [HTTPClient],
        policy: PolicyConfig,
        secret: DeploymentSecret
    ) {
        self.config = config
        self.logger = logger
        self.clock = clock
        self.policy = policy
        self.httpClients = clients
        self.webhookClient = clients[clients.count - 1]
        let ids = IDGenerator(seed: UInt64.random(in: 0...UInt64.max))
        self.ids = ids
        self.database = database
        self.blobs = blobs
        self.router = router
        self.catalog = ModelCatalog(models: router.models, defaultModel: router.defaultModel)
        self.workerID = "\(ProcessInfo.processInfo.hostName):\(ProcessInfo.processInfo.processIdentifier):\(UInt32.random(in: 0...UInt32.max))"

        jobStore = SQLJobStore(database: database, clock: clock)
        assetStore = SQLAssetStore(database: database)
        sessionStore = SQLSessionStore(database: database)
        templateStore = SQLTemplateStore(database: database)
        brandKitStore = SQLBrandKitStore(database: database)
        batchStore = SQLBatchStore(database: database)
        upstreamBatchStore = SQLUpstreamBatchStore(database: database)
        userStore = SQLUserStore(database: database)
        ledgerStore = SQLLedgerStore(database: database)
        moderationStore = SQLModerationStore(database: database)
        webhookStore = SQLWebhookStore(database: database)
        webhookSigning = WebhookSigning(sealKey: secret.webhookSealKey)
        webhooks = WebhookService(
            store: webhookStore,
            signing: webhookSigning,
            policy: WebhookAddressPolicy(allowed: config.webhookAllow),
            ids: ids,
            clock: clock,
            signal: webhookSignal
        )

        thumbnails = ThumbnailService(assets: assetStore, blobs: blobs, logger: logger)
        assets = AssetService(
            assets: assetStore,
            blobs: blobs,
            thumbnails: thumbnails,
            ids: ids,
            clock: clock,
            redirectSeconds: config.blobRedirectSeconds
        )
        moderation = ModerationService(store: moderationStore, assets: assets, filter: policy.promptFilter, ids: ids, clock: clock)
        billing = BillingService(
            ledger: ledgerStore,
            prices: policy.prices,
            moderation: moderation,
            ids: ids,
            clock: clock,
            logger: Logger(label: "easel.billing", level: config.logLevel)
        )
        accounts = AccountService(
            users: userStore,
            plans: policy.planBook,
            ids: ids,
            clock: clock,
            cookieSecret: secret.cookieSecret,
            adminKey: config.adminKey
        )
        fileLinks = FileLinks(secret: secret.fileLinkSecret, lifetimeSeconds: config.fileLinkSeconds, clock: clock)
        jobService = JobService(
            jobs: jobStore,
            assets: assets,
            billing: billing,
            moderation: moderation,
            hub: hub,
            signal: signal,
            economySignal: economySignal,
            running: running,
            dispatch: dispatch,
            ids: ids,
            clock: clock,
            metrics: metrics,
            catalog: catalog,
            maxAttempts: config.retry.maxAttempts,
            pollIntervalMs: config.pollIntervalMs
        )
        edits = EditService(assets: assets, jobs: jobService, catalog: catalog, rules: EditInputRules(maxInputPixels: config.maxInputPixels))
        iteration = IterationService(assets: assets, edits: edits, jobs: jobService, catalog: catalog)
        responses = ResponsesService(
            responses: SQLResponseStore(database: database),
            jobs: jobService,
            edits: edits,
            assets: assets,
            catalog: catalog,
            ids: ids,
            clock: clock
        )
        sessions = SessionService(
            store: sessionStore,
            assets: assets,
            iteration: iteration,
            jobs: jobService,
            catalog: catalog,
            ids: ids,
            clock: clock
        )
        groups = JobGroupService(jobs: jobService, catalog: catalog, ids: ids, clock: clock)
        templates = TemplateService(store: templateStore, ids: ids, clock: clock)
        brandKits = BrandKitService(store: brandKitStore, ids: ids, clock: clock)
        economy = EconomyPolicy(router: router)
        briefs = BriefService(templates: templates, kits: brandKits, catalog: catalog, billing: billing, economy: economy)
        batches = BatchService(
            store: batchStore,
            upstream: upstreamBatchStore,
            briefs: briefs,
            jobs: jobService,
            billing: billing,
            assets: assets,
            catalog: catalog,
            economy: economy,
            ids: ids,
            clock: clock
        )
        curationStore = SQLCurationStore(database: database)
        gallery = GalleryService(curation: curationStore, assets: assets)
        collections = CollectionService(curation: curationStore, assets: assets, ids: ids, clock: clock)
        let policies = ReviewPolicies(templates: templates, kits: brandKits)
        let gate = ApprovalGate(policies: policies)
        shares = ShareService(curation: curationStore, assets: assets, collections: collections, gate: gate, ids: ids, clock: clock)
        exports = ExportService(
            curation: curationStore,
            assets: assets,
            collections: collections,
            ledger: ledgerStore,
            gate: gate,
            maxAssets: config.exportMaxAssets
        )
        reviews = ReviewService(
            curation: curationStore,
            assets: assets,
            templates: templates,
            policies: policies,
            jobs: jobStore,
            ledger: ledgerStore,
            ids: ids,
            clock: clock
        )
    }

    public func close() async throws {
        for client in httpClients { try? await client.shutdown() }
        try await database.close()
    }

    /// With PostgreSQL (unless polling only), a LISTEN connection that hears other processes: wake-ups for
    /// this process's workers (`wakesWorkers`) and changes to jobs someone here waits on.
    public func changeListenerServices(wakesWorkers: Bool) -> [any Service] {
        guard let postgres = database as? PostgresEaselDatabase, !config.databasePollOnly else { return [] }
        return [
            ChangeListenerService(
                listener: PostgresListener(database: postgres, logger: Logger(label: "easel.listen", level: config.logLevel)),
                hub: hub,
                jobs: jobStore,
                workSignal: wakesWorkers ? signal : nil
            )
        ]
    }

    /// The background services of the worker role: job workers, the lease reaper, thumbnails.
    /// `concurrency` overrides the configured number of jobs run at once.
    public func workerServices(concurrency: Int? = nil) -> [any Service] {
        let logger = Logger(label: "easel.worker", level: config.logLevel)
        let finisher = JobFinisher(
            jobs: jobStore,
            blobs: blobs,
            billing: billing,
            hub: hub,
            thumbnails: thumbnails,
            ids: ids,
            clock: clock
        )
        let runner = JobRunner(
            workerID: workerID,
            jobs: jobStore,
            assets: assetStore,
            blobs: blobs,
            imaging: ImagingPool(threads: 1, maxInputPixels: config.maxInputPixels),
            finisher: finisher,
            router: router,
            hub: hub,
            signal: signal,
            running: running,
            metrics: metrics,
            retry: config.retry,
            sharePartials: database.engine == .postgres,
            logger: logger
        )
        let reconciler = Reconciler(
            ledger: ledgerStore,
            jobs: jobStore,
            billing: billing,
            clock: clock,
            afterMs: config.reconcileAfterMs,
            orphanAfterMs: config.orphanReservationMs,
            logger: Logger(label: "easel.reaper", level: config.logLevel)
        )
        return [
            thumbnails,
            WorkerService(
                runner: runner,
                jobs: jobStore,
                signal: signal,
                running: running,
                dispatch: dispatch,
                localDispatch: config.localDispatch,
                concurrency: concurrency ?? config.workerConcurrency,
                leaseMs: config.leaseMs,
                heartbeatMs: config.heartbeatMs,
                pollIntervalMs: config.pollIntervalMs,
                drainSeconds: config.drainSeconds,
                logger: logger
            ),
            LeaseReaperService(
                jobs: jobStore,
                signal: signal,
                intervalMs: config.reaperIntervalMs,
                logger: Logger(label: "easel.reaper", level: config.logLevel),
                reconciler: reconciler
            ),
            WebhookDispatcher(
                store: webhookStore,
                jobs: jobStore,
                signing: webhookSigning,
                policy: WebhookAddressPolicy(allowed: config.webhookAllow),
                client: webhookClient,
                clock: clock,
                owner: workerID,
                signal: webhookSignal,
                tickMs: config.webhookTickMs,
                retryBaseMs: config.webhookRetryBaseMs,
                disableAfter: config.webhookDisableAfter,
                publicBaseURL: config.publicBaseURL,
                logger: Logger(label: "easel.webhooks", level: config.logLevel)
            ),
            EconomyService(
                store: upstreamBatchStore,
                jobs: jobStore,
                router: router,
                finisher: finisher,
                signal: economySignal,
                ids: ids,
                clock: clock,
                owner: workerID,
                leaseMs: config.leaseMs,
                tickMs: config.economyTickMs,
                logger: Logger(label: "easel.economy", level: config.logLevel)
            ),
        ]
    }

    /// PostgreSQL when a database URL is configured, else SQLite in the data directory.
    static func openDatabase(_ config: EaselConfig, logger: Logger) async throws -> any EaselDatabase {
        if let url = config.databaseURL {
            return try await PostgresEaselDatabase.open(url: url, maxConnections: config.databaseConnections, logger: logger)
        }
        return try await SQLiteEaselDatabase.open(path: config.databasePath, logger: logger)
    }

    /// Applies (or with `dryRun`, lists) pending migrations of the configured database.
    public static func migrate(config: EaselConfig, dryRun: Bool, logger: Logger) async throws -> [String] {
        try FileManager.default.createDirectory(atPath: config.dataDirectory, withIntermediateDirectories: true)
        let database = try await openDatabase(config, logger: logger)
        let migrator = Migrator()
        do {
            let names =
                dryRun
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
