import EaselCore
import Hummingbird
import Logging

/// Builds the HTTP application on a runtime: routes, middleware, and (unless `withWorkers` is false)
/// the worker services in the same service group, so one process serves and works by default.
/// `onServerRunning` receives the bound port (useful with port 0).
public func buildApplication(
    runtime: EaselRuntime,
    withWorkers: Bool = true,
    onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
) -> some ApplicationProtocol {
    let config = runtime.config
    let slow = SlowClientTimeouts.Limits(header: .seconds(Int64(config.headerTimeoutSeconds)), body: .seconds(Int64(config.bodyTimeoutSeconds)))
    var app = Application(
        router: buildRouter(runtime: runtime),
        // Silent keep-alive connections close after the idle timeout; slow senders after the request timeouts.
        server: .http1(
            configuration: .init(
                additionalChannelHandlers: [SlowClientTimeouts(limits: slow)],
                idleTimeout: .seconds(Int64(config.idleTimeoutSeconds))
            )
        ),
        // A deep accept backlog: thousands of clients may connect at once.
        configuration: ApplicationConfiguration(
            address: .hostname(runtime.config.host, port: runtime.config.port),
            serverName: "easel",
            backlog: 4096
        ),
        onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? runtime.config.port) },
        logger: runtime.logger
    )
    if withWorkers { app.addServices(runtime.workerServices()) }
    app.addServices(runtime.changeListenerServices(wakesWorkers: withWorkers))
    return app
}

/// The routes in three groups: public (health, metrics, the studio's files, sign-in, files by signed link
/// or by their owner's credentials), authenticated (a context with a non-optional identity), and admin (a
/// context that requires the admin role). Each controller receives the services it uses, nothing more.
public func buildRouter(runtime: EaselRuntime) -> Router<EaselRequestContext> {
    let config = runtime.config
    let router = Router(context: EaselRequestContext.self)
    router.add(middleware: RequestIDMiddleware(ids: runtime.ids, clock: runtime.clock))
    router.add(middleware: MetricsMiddleware(metrics: runtime.metrics))
    router.add(middleware: ErrorMiddleware())

    // Public.
    StudioController(directory: config.studioDirectory).addRoutes(to: router)
    let providers = runtime.router
    OpsController(jobs: runtime.jobService, running: runtime.running, metrics: runtime.metrics, breakers: { providers.breakers })
        .addRoutes(to: router)
    let guestLimiter = AddressRateLimiter(burst: config.guestSessionBurst, perHour: config.guestSessionsPerHour, clock: runtime.clock)
    SignInController(accounts: runtime.accounts, guestsAllowed: runtime.policy.guests, guestLimiter: guestLimiter).addRoutes(to: router)
    FilesController(assets: runtime.assets, accounts: runtime.accounts, links: runtime.fileLinks).addRoutes(to: router)
    SharePageController(shares: runtime.shares).addRoutes(to: router)
    OpenAPIController().addRoutes(to: router)

    // Authenticated.
    let api = router.group().add(middleware: IdentityMiddleware(accounts: runtime.accounts)).group(context: AuthenticatedContext.self)
    let door = ImageDoor(
        jobs: runtime.jobService,
        links: runtime.fileLinks,
        syncTimeoutSeconds: config.syncTimeoutSeconds,
        publicBaseURL: config.publicBaseURL
    )
    let iterationBody = IterationBody(maxBytes: config.maxEditBodyBytes, publicBaseURL: config.publicBaseURL)
    ImagesController(jobs: runtime.jobService, briefs: runtime.briefs, catalog: runtime.catalog, door: door, maxBodyBytes: config.maxJSONBodyBytes)
        .addRoutes(to: api)
    CurationController(collections: runtime.collections, shares: runtime.shares, exports: runtime.exports)
        .addRoutes(to: api)
    ReviewsController(reviews: runtime.reviews, links: runtime.fileLinks).addRoutes(to: api)
    EditsController(
        edits: runtime.edits,
        catalog: runtime.catalog,
        door: door,
        maxBodyBytes: config.maxEditBodyBytes,
        publicBaseURL: config.publicBaseURL
    ).addRoutes(to: api)
    ResponsesController(
        responses: runtime.responses,
        catalog: runtime.catalog,
        syncTimeoutSeconds: config.syncTimeoutSeconds,
        maxBodyBytes: config.maxEditBodyBytes,
        publicBaseURL: config.publicBaseURL
    ).addRoutes(to: api)
    JobsController(
        jobs: runtime.jobService,
        groups: runtime.groups,
        briefs: runtime.briefs,
        webhooks: runtime.webhooks,
        maxBodyBytes: config.maxJSONBodyBytes
    )
    .addRoutes(to: api)
    BriefsController(briefs: runtime.briefs, maxBodyBytes: config.maxJSONBodyBytes).addRoutes(to: api)
    TemplatesController(templates: runtime.templates, maxBodyBytes: config.maxJSONBodyBytes).addRoutes(to: api)
    BrandKitsController(kits: runtime.brandKits).addRoutes(to: api)
    BatchesController(
        batches: runtime.batches,
        webhooks: runtime.webhooks,
        maxBodyBytes: config.maxJSONBodyBytes,
        pollIntervalMs: config.pollIntervalMs
    )
    .addRoutes(to: api)
    WebhooksController(webhooks: runtime.webhooks, maxBodyBytes: config.maxJSONBodyBytes).addRoutes(to: api)
    GroupsController(groups: runtime.groups, maxBodyBytes: config.maxJSONBodyBytes).addRoutes(to: api)
    AssetsController(assets: runtime.assets, gallery: runtime.gallery, collections: runtime.collections, links: runtime.fileLinks)
        .addRoutes(to: api)
    IterationController(iteration: runtime.iteration, body: iterationBody).addRoutes(to: api)
    SessionsController(sessions: runtime.sessions, body: iterationBody).addRoutes(to: api)
    AccountsController(accounts: runtime.accounts, billing: runtime.billing, moderation: runtime.moderation).addRoutes(to: api)

    // Admin.
    let admin = api.group(context: AdminContext.self)
    AdminController(accounts: runtime.accounts, billing: runtime.billing, moderation: runtime.moderation, links: runtime.fileLinks)
        .addRoutes(to: admin)
    AdminQueueController(jobs: runtime.jobService).addRoutes(to: admin)
    return router
}
