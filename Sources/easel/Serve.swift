import ArgumentParser
import EaselServer
import Foundation
import Hummingbird
import ServiceLifecycle

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve the API and the studio, and run workers in the same process."
    )

    @OptionGroup var common: CommonOptions

    @Option(help: "Address to bind. Env: EASEL_HOST. Default 127.0.0.1")
    var host: String?

    @Option(help: "Port. Env: EASEL_PORT. Default 8080")
    var port: Int?

    @Option(help: "Jobs this process runs at once; 0 serves only (run `easel worker` elsewhere). Env: EASEL_WORKERS")
    var workers: Int?

    func run() async throws {
        var config = try common.config()
        if let host { config.host = host }
        if let port { config.port = port }
        if let workers { config.workerConcurrency = workers }
        let logger = try common.bootstrapLogging(config)
        let runtime: EaselRuntime
        do {
            runtime = try await EaselRuntime.open(config: config, logger: logger)
        } catch let error as ConfigError {
            throw ValidationError(error.description)
        }
        let app = buildApplication(runtime: runtime, withWorkers: config.workerConcurrency > 0)
        let display = config.host.contains(":") ? "[\(config.host)]" : config.host
        logger.info(
            "Easel is listening",
            metadata: [
                "url": "http://\(display):\(config.port)/", "data": "\(config.dataDirectory)",
                "models": "\(runtime.router.models.map(\.id).joined(separator: ","))",
            ]
        )
        if try await !runtime.accounts.hasUsers() && config.adminKey == nil {
            // First run: nobody can use the API yet. Say once how to fix that.
            FileHandle.standardError.write(
                Data(
                    """

                    No users yet. Create the first admin (prints an API key, shown once):
                      easel keys create --user admin --role admin --data \(config.dataDirectory)
                    Then open http://\(display):\(config.port)/ and paste the key, or continue as a guest.

                    """.utf8
                )
            )
        }
        try await app.runService()
        try await runtime.close()
    }
}

struct Worker: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run only workers: claim and run queued jobs.")

    @OptionGroup var common: CommonOptions

    @Option(help: "Jobs to run at once. Env: EASEL_WORKERS")
    var workers: Int?

    func run() async throws {
        var config = try common.config()
        if let workers { config.workerConcurrency = workers }
        guard config.workerConcurrency > 0 else { throw ValidationError("--workers must be at least 1") }
        let logger = try common.bootstrapLogging(config)
        let runtime = try await EaselRuntime.open(config: config, logger: logger)
        logger.info("Easel worker started", metadata: ["data": "\(config.dataDirectory)", "concurrency": "\(config.workerConcurrency)"])
        let group = ServiceGroup(
            configuration: .init(
                services: runtime.workerServices() + runtime.changeListenerServices(wakesWorkers: true),
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger
            )
        )
        try await group.run()
        try await runtime.close()
    }
}

struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Apply pending database migrations.")

    @OptionGroup var common: CommonOptions

    @Flag(help: "Only list what would be applied.")
    var dryRun = false

    func run() async throws {
        var config = try common.config()
        config.autoMigrate = false
        let logger = try common.bootstrapLogging(config)
        let applied = try await EaselRuntime.migrate(config: config, dryRun: dryRun, logger: logger)
        if applied.isEmpty {
            print("The database is up to date.")
        } else {
            print((dryRun ? "Pending: " : "Applied: ") + applied.joined(separator: ", "))
        }
    }
}
