import EaselCore
import Hummingbird
import Logging

/// Builds the HTTP application on a runtime: routes, middleware, and (unless `withWorkers` is false)
/// the worker services in the same service group, so one process serves and works by default.
/// `onServerRunning` receives the bound port (useful with port 0).
public func buildApplication(
    runtime: EaselRuntime, withWorkers: Bool = true, onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
) -> some ApplicationProtocol {
    let router = buildRouter(runtime: runtime)
    var app = Application(
        router: router,
        // A deep accept backlog: thousands of clients may connect at once.
        configuration: ApplicationConfiguration(
            address: .hostname(runtime.config.host, port: runtime.config.port), serverName: "easel", backlog: 4096),
        onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? runtime.config.port) },
        logger: runtime.logger)
    if withWorkers { app.addServices(runtime.workerServices()) }
    return app
}

public func buildRouter(runtime: EaselRuntime) -> Router<EaselRequestContext> {
    let router = Router(context: EaselRequestContext.self)
    router.add(middleware: RequestIDMiddleware(ids: runtime.ids, clock: runtime.clock))
    router.add(middleware: MetricsMiddleware(metrics: runtime.metrics))
    router.add(middleware: ErrorMiddleware())
    router.add(middleware: AuthMiddleware(accounts: runtime.accounts))
    StudioController().addRoutes(to: router)
    OpsController(runtime: runtime).addRoutes(to: router)
    ImagesController(runtime: runtime).addRoutes(to: router)
    JobsController(runtime: runtime).addRoutes(to: router)
    AssetsController(runtime: runtime).addRoutes(to: router)
    CompareController(runtime: runtime).addRoutes(to: router)
    EditsController(runtime: runtime).addRoutes(to: router)
    IterationController(runtime: runtime).addRoutes(to: router)
    AccountsController(runtime: runtime).addRoutes(to: router)
    AdminController(runtime: runtime).addRoutes(to: router)
    return router
}
