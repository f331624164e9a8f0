import EaselCore
import EaselProviders
import EaselServer
import EaselStore
import Foundation
import Logging

/// A directory removed when the test is done with it.
public final class TemporaryDirectory: Sendable {
    public let path: String

    public init() throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("easel-test-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    public var url: URL { URL(fileURLWithPath: path) }
}

public enum TestSupport {
    public static let logger: Logger = {
        LogCapture.install
        var logger = Logger(label: "easel.test")
        logger.logLevel = ProcessInfo.processInfo.environment["EASEL_TEST_LOG"].flatMap(Logger.Level.init(rawValue:)) ?? .critical
        return logger
    }()

    /// A migrated database of its own: a fresh SQLite file, or (with `EASEL_TEST_POSTGRES`) a fresh PostgreSQL
    /// database. The real engines, never a mock. The same directory and name open the same database again.
    public static func database(in directory: TemporaryDirectory, name: String = "test.sqlite") async throws -> any EaselDatabase {
        // PostgreSQL copies a template migrated once; SQLite migrates its fresh file.
        if TestDatabase.postgres != nil { return try await open(in: directory, name: name, migrated: true) }
        let database = try await open(in: directory, name: name, migrated: false)
        try await Migrator().migrate(database, now: 0, logger: logger)
        return database
    }

    /// A database with no tables yet (for migration tests), on the engine under test; reopened by the same path.
    public static func emptyDatabase(in directory: TemporaryDirectory, name: String) async throws -> any EaselDatabase {
        try await open(in: directory, name: name, migrated: false)
    }

    private static func open(in directory: TemporaryDirectory, name: String, migrated: Bool) async throws -> any EaselDatabase {
        if TestDatabase.postgres != nil {
            let url = try await TestDatabase.url(for: directory.path + "/" + name, migrated: migrated)
            return try await PostgresEaselDatabase.open(url: url, maxConnections: 4, logger: logger)
        }
        return try await SQLiteEaselDatabase.open(path: directory.url.appendingPathComponent(name).path, logger: logger)
    }

    /// Makes the PostgreSQL database a test config names, when the tests run on PostgreSQL.
    public static func prepareDatabase(_ config: inout EaselConfig) async throws {
        guard TestDatabase.postgres != nil else { return }
        config.databaseURL = try await TestDatabase.url(for: config.dataDirectory)
        config.databaseConnections = 4
    }

    /// A config for tests: a temp data dir, fast polling, short leases, quick retries.
    public static func config(data: TemporaryDirectory, workers: Int = 4) -> EaselConfig {
        var config = EaselConfig()
        config.dataDirectory = data.path
        config.port = 0
        config.workerConcurrency = workers
        config.draftThreads = 2
        config.pollIntervalMs = 20
        // Long enough that a heartbeat delayed by a loaded machine (the suites run on two engines, with many
        // tests at once on two cores) never loses a live job; lease-expiry tests set their own.
        config.leaseMs = 8000
        config.heartbeatMs = 1000
        config.reaperIntervalMs = 100
        config.reconcileAfterMs = 3000
        config.economyTickMs = 50
        config.retry = RetryPolicy(maxAttempts: 3, baseDelayMs: 10, maxDelayMs: 200, jitter: 0.1)
        config.syncTimeoutSeconds = 20
        config.drainSeconds = 5
        config.logLevel = .critical
        return config
    }

    public static func runtime(
        data: TemporaryDirectory,
        workers: Int = 4,
        routes: [ProviderRouter.Route]? = nil,
        configure: (inout EaselConfig) -> Void = { _ in }
    ) async throws -> EaselRuntime {
        var config = config(data: data, workers: workers)
        configure(&config)
        try await prepareDatabase(&config)
        var logger = self.logger
        logger.logLevel = config.logLevel
        return try await EaselRuntime.open(config: config, logger: logger, routes: routes)
    }

    public static func generateRequest(
        prompt: String = "a test",
        model: String = "easel-draft",
        size: PixelSize = .init(width: 64, height: 64)
    ) -> ImageRequest {
        ImageRequest(prompt: prompt, model: model, size: .fixed(size), resolvedSize: size, seed: 1)
    }
}

/// A provider that follows a script, one step per call, for queue and retry tests.
public final class ScriptedProvider: ImageProvider, Sendable {
    public enum Step: Sendable {
        case succeed
        case fail(JobError, retryAfterMs: Int64? = nil)
        /// Waits until cancelled.
        case hang
        case delay(milliseconds: Int)
        /// Waits until the latch opens, so a test decides when the call ends rather than a clock.
        case wait(Latch)
    }

    /// Opened once by a test; calls waiting on it then go on.
    public final class Latch: Sendable {
        private let isOpen = Locked(false)
        public init() {}
        public func open() { isOpen.withLock { $0 = true } }
        func wait() async throws {
            while !isOpen.current {
                try Task.checkCancellation()
                try await Task.sleep(for: .milliseconds(5))
            }
        }
    }

    public let name = "scripted"
    private let steps: Locked<[Step]>
    private let calls = Locked(0)
    private let started = Locked<[String]>([])
    private let models = Locked<[String]>([])
    private let concurrency = Locked((current: 0, max: 0))

    /// Steps are used in order; when they run out, calls succeed.
    public init(_ steps: [Step]) {
        self.steps = Locked(steps)
    }

    public var callCount: Int { calls.current }
    public var startedJobs: [String] { started.current }
    /// The upstream model names the router asked for, per call.
    public var upstreamModels: [String] { models.current }
    public var maxConcurrent: Int { concurrency.current.max }

    public func run(_ job: ProviderJob, onPartial: @escaping @Sendable (PartialImage) -> Void) async throws -> ProviderResult {
        calls.withLock { $0 += 1 }
        started.withLock { $0.append(job.id) }
        models.withLock { $0.append(job.upstreamModel) }
        concurrency.withLock {
            $0.current += 1
            $0.max = max($0.max, $0.current)
        }
        defer { concurrency.withLock { $0.current -= 1 } }
        let step = steps.withLock { $0.isEmpty ? Step.succeed : $0.removeFirst() }
        switch step {
        case .succeed: break
        case .fail(let error, let retryAfter): throw ProviderError(error, retryAfterMs: retryAfter)
        case .hang:
            while true {
                try Task.checkCancellation()
                try await Task.sleep(for: .milliseconds(10))
            }
        case .delay(let ms): try await Task.sleep(for: .milliseconds(ms))
        case .wait(let latch): try await latch.wait()
        }
        let data = try TinyPNG.make(width: job.request.resolvedSize.width, height: job.request.resolvedSize.height)
        let images = (0..<job.request.n).map { _ in ProviderImage(data: data, format: .png, size: job.request.resolvedSize) }
        return ProviderResult(images: images, usage: ImageUsage(inputTextTokens: 10, outputTokens: 100), provider: name, isDraft: false)
    }

    public static func retryable(_ message: String = "upstream overloaded", status: Int = 503) -> JobError {
        JobError(status: status, type: "server_error", code: "server_error", message: message, retryable: true, provider: "scripted")
    }

    public static func permanent(_ message: String = "rejected", status: Int = 400, code: String = "moderation_blocked") -> JobError {
        JobError(status: status, type: "image_generation_user_error", code: code, message: message, retryable: false, provider: "scripted")
    }
}
