import ArgumentParser
import CEaselSystem
import EaselCore
import EaselServer
import Foundation
import Logging

@main
struct Easel: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "easel",
        abstract: "A self-hosted image-generation platform and OpenAI-compatible gateway.",
        subcommands: [Serve.self, Worker.self, Generate.self, BatchCommand.self, Migrate.self, Keys.self, Credits.self, Bench.self, FakeOpenAI.self],
        defaultSubcommand: Serve.self
    )

    static func main() async {
        // glibc gives each thread that allocates its own heap arena (up to 8 per core); with NIO's event
        // loops, thread pools and Swift's executor that fragments memory under thousands of concurrent
        // requests. Two arenas keep resident memory about 10 % lower (BENCHMARKS.md) at no measurable cost
        // in throughput here.
        if ProcessInfo.processInfo.environment["MALLOC_ARENA_MAX"] == nil {
            _ = easel_limit_malloc_arenas(2)
        }
        await main(nil)
    }
}

/// Options every command shares: where the data lives and how much to log.
struct CommonOptions: ParsableArguments {
    @Option(name: .long, help: "Data directory (SQLite database and image files). Env: EASEL_DATA. Default ./easel-data")
    var data: String?

    @Option(
        name: .long,
        help: "Image files on an S3-compatible store: s3://bucket/prefix?endpoint=…&region=…&path_style=true. Env: EASEL_BLOB_URL"
    )
    var blobs: String?

    @Option(
        name: .long,
        help: "PostgreSQL instead of SQLite: postgres://user:password@host:5432/database?sslmode=…. Env: EASEL_DATABASE_URL"
    )
    var database: String?

    @Option(name: .long, help: "Log level: trace, debug, info, notice, warning, error. Env: EASEL_LOG_LEVEL")
    var logLevel: String?

    @Option(name: .long, help: "Log format: text or json (default: text on a terminal, json otherwise)")
    var logFormat: String?

    @Option(name: .customLong("config"), help: "Providers and routes config file (YAML or JSON). Env: EASEL_CONFIG")
    var configFile: String?

    func config() throws -> EaselConfig {
        var config = try EaselConfig.fromEnvironment()
        if let data { config.dataDirectory = data }
        if let blobs { try config.useBlobURL(blobs) }
        if let database { try config.useDatabaseURL(database) }
        if let configFile { config.configFile = configFile }
        if let logLevel {
            guard let level = Logger.Level(rawValue: logLevel.lowercased()) else {
                throw ValidationError("--log-level must be one of trace, debug, info, notice, warning, error, critical")
            }
            config.logLevel = level
        }
        return config
    }

    func bootstrapLogging(_ config: EaselConfig) throws -> Logger {
        var format: StructuredLogHandler.Format?
        if let logFormat = logFormat ?? ProcessInfo.processInfo.environment["EASEL_LOG_FORMAT"] {
            guard let parsed = StructuredLogHandler.Format(rawValue: logFormat) else {
                throw ValidationError("--log-format (EASEL_LOG_FORMAT) must be text or json")
            }
            format = parsed
        }
        StructuredLogHandler.bootstrap(level: config.logLevel, format: format)
        var logger = Logger(label: "easel")
        logger.logLevel = config.logLevel
        return logger
    }
}

/// A failure to report in one line, without the usage text.
struct CLIError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
