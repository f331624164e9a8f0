import ArgumentParser
import AsyncHTTPClient
import EaselCore
import EaselImaging
import EaselProviders
import EaselServer
import EaselStore
import Foundation
import Logging
import NIOCore
import ServiceLifecycle

/// `easel bench`: the figures BENCHMARKS.md records, measured on this machine. Each part runs on a fresh
/// data directory in a temporary folder.
struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Measure the draft renderer, the queue and the door on this machine.")

    @Option(
        help: """
            Which parts: render, queue, door, batch, economy, gallery, gateway, imaging; and with a PostgreSQL server \
            (--postgres) queue-pg and serves, with an S3 API (--s3) s3 (comma-separated).
            """
    )
    var only: String = "render,queue,door,batch,economy,gallery,gateway,imaging"

    @Option(help: "A PostgreSQL server (postgres://user@host:port/db) the queue-pg and serves parts make their databases on.")
    var postgres: String?

    @Option(help: "An S3 API for the s3 part: s3://bucket/prefix?endpoint=…; credentials from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY.")
    var s3: String?

    @Option(help: "Jobs for the queue benchmark.")
    var jobs: Int = 20_000

    @Option(help: "Requests for the door benchmark.")
    var requests: Int = 3_000

    @Option(help: "Concurrent clients for the door benchmark.")
    var concurrency: Int = 32

    @Option(help: "Assets in the gallery benchmark.")
    var galleryAssets: Int = 100_000

    @Option(help: "Images in the economy batch benchmark.")
    var economyImages: Int = 500

    @Option(help: "Requests per row of the gateway benchmark without wrk, and its warm-up.")
    var gatewayRequests: Int = 4000

    @Option(help: "Seconds per row of the gateway benchmark when wrk drives it.")
    var gatewaySeconds: Int = 10

    @Option(help: "Jobs the Easel under the gateway benchmark runs at once (its --workers).")
    var gatewayWorkers: Int = 2048

    @Option(help: "Thumbnails of each sample image per row of the imaging benchmark.")
    var imagingRounds: Int = 15

    func run() async throws {
        StructuredLogHandler.bootstrap(level: .error, format: .text)
        let parts = Set(only.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
        print("easel bench on \(ProcessInfo.processInfo.activeProcessorCount) cores")
        if parts.contains("render") { try renderBench() }
        if parts.contains("queue") { try await queueBench() }
        if parts.contains("door") { try await doorBench() }
        if parts.contains("batch") { try await BatchBench().run() }
        if parts.contains("economy") { try await EconomyBench(images: economyImages).run() }
        if parts.contains("gallery") { try await GalleryBench(count: galleryAssets).run() }
        if !parts.isDisjoint(with: ["queue-pg", "serves"]) {
            guard let postgres else { throw ValidationError("queue-pg and serves need --postgres (scripts/postgres starts a throwaway server)") }
            let binary = Bundle.main.executablePath ?? CommandLine.arguments[0]
            let bench = ScaleOutBench(server: try PostgresURL(postgres), jobs: jobs, binary: binary)
            if parts.contains("queue-pg") { try await bench.queue() }
            if parts.contains("serves") { try await bench.serves(requests: requests) }
        }
        if parts.contains("s3") {
            guard let s3 else { throw ValidationError("the s3 part needs --s3 s3://bucket?endpoint=…") }
            let config = try EaselConfig.fromEnvironment()
            guard let credentials = config.blobCredentials else {
                throw ValidationError("the s3 part needs AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY")
            }
            try await ScaleOutBench.s3(location: try S3Location.parse(s3), credentials: credentials)
        }
        if parts.contains("imaging") { try ImagingBench(rounds: imagingRounds).run() }
        if parts.contains("gateway") {
            let binary = Bundle.main.executablePath ?? CommandLine.arguments[0]
            try await GatewayBench(requests: gatewayRequests, seconds: gatewaySeconds, binary: binary, workers: gatewayWorkers).run()
        }
    }

    // MARK: draft renderer

    func renderBench() throws {
        let renderer = DraftRenderer()
        let size = PixelSize(width: 1024, height: 1024)
        for format in [ImageFormat.png, .webp] {
            var times: [Double] = []
            var bytes = 0
            for iteration in 0..<25 {
                let start = ContinuousClock.now
                let output = try renderer.render(
                    prompt: "a lighthouse at dusk, dark cinematic palette",
                    seed: UInt64(iteration),
                    options: .init(size: size, format: format)
                )
                times.append((ContinuousClock.now - start).milliseconds)
                bytes = output.data.count
            }
            let stats = Stats(times.dropFirst(3).map { $0 })
            print(
                String(
                    format: "render 1024x1024 %@: median %.1f ms, p90 %.1f ms (target ≤ 50 ms: %@), %d KB",
                    format.rawValue,
                    stats.median,
                    stats.p90,
                    stats.median <= 50 ? "met" : "missed",
                    bytes / 1024
                )
            )
        }
    }

    // MARK: queue

    /// Enqueue → claim → complete through the real services (store, worker, events) with a provider that
    /// does nothing, so only the queue is measured.
    func queueBench() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("easel-bench-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        var config = EaselConfig()
        config.dataDirectory = directory.path
        config.workerConcurrency = 64
        config.logLevel = .error
        let logger = Logger(label: "easel.bench")
        let runtime = try await EaselRuntime.open(config: config, logger: logger, routes: [.init(model: Self.noopModel, providers: [NoopProvider()])])
        let group = ServiceGroup(configuration: .init(services: runtime.workerServices(), logger: logger))
        let runner = Task { try? await group.run() }

        let total = jobs
        let (seconds, enqueueSeconds) = try await Self.runNoopJobs(total, through: runtime.jobService, counting: runtime.jobStore)
        await group.triggerGracefulShutdown()
        await runner.value
        try await runtime.close()
        print(
            String(
                format: "queue on SQLite: %d jobs enqueued→claimed→completed in %.2f s = %.0f jobs/s (target ≥ 5,000: %@); enqueue alone %.0f jobs/s",
                total,
                seconds,
                Double(total) / seconds,
                Double(total) / seconds >= 5000 ? "met" : "missed",
                Double(total) / enqueueSeconds
            )
        )
    }

    /// The model the queue benchmarks route to a provider that does nothing.
    static let noopModel = ModelCapabilities(
        id: "noop",
        sizes: .flexible(FlexibleSizeRule(multiple: 16, minEdge: 16, maxEdge: 4096)),
        ownedBy: "bench"
    )

    /// Enqueues `total` no-op jobs from 32 submitters through `service` and waits until `store` counts them all
    /// succeeded. Returns the seconds end to end and the seconds the enqueues alone took.
    static func runNoopJobs(_ total: Int, through service: JobService, counting store: any JobStore) async throws -> (Double, Double) {
        let request = ImageRequest(prompt: "noop", model: "noop", resolvedSize: PixelSize(width: 16, height: 16))
        let start = ContinuousClock.now
        let submitters = 32
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            for submitter in 0..<submitters {
                tasks.addTask {
                    for _ in stride(from: submitter, to: total, by: submitters) {
                        _ = try await service.enqueue(.init(payload: JobPayload(request: request), userID: "bench", rawRequest: "noop"))
                    }
                }
            }
            try await tasks.waitForAll()
        }
        let enqueued = ContinuousClock.now
        while try await store.countsByStatus()[.succeeded] ?? 0 < total {
            try await Task.sleep(for: .milliseconds(50))
        }
        return ((ContinuousClock.now - start).seconds, (enqueued - start).seconds)
    }

    // MARK: door

    /// Concurrent clients calling `/v1/images/generations` for 256x256 drafts on a live server.
    func doorBench() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("easel-bench-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        var config = EaselConfig()
        config.dataDirectory = directory.path
        config.port = 0
        config.workerConcurrency = 64
        config.logLevel = .error
        // Requests authenticate as the bootstrap admin (unlimited plan), as every API call must.
        let adminKey = "bench-\(UInt64.random(in: 0...UInt64.max))"
        config.adminKey = adminKey
        let runtime = try await EaselRuntime.open(config: config, logger: Logger(label: "easel.bench"))
        let (portStream, portContinuation) = AsyncStream<Int>.makeStream()
        let app = buildApplication(runtime: runtime) { port in portContinuation.yield(port) }
        let server = Task { try await app.runService(gracefulShutdownSignals: []) }
        var iterator = portStream.makeAsyncIterator()
        guard let port = await iterator.next() else { throw CLIError("server did not start") }

        let client = HTTPClient(
            eventLoopGroupProvider: .singleton,
            configuration: .init(
                connectionPool: .init(idleTimeout: .seconds(30), concurrentHTTP1ConnectionsPerHostSoftLimit: concurrency)
            )
        )
        let body = #"{"model":"easel-draft","prompt":"a lighthouse at dusk","size":"256x256"}"#
        let url = "http://127.0.0.1:\(port)/v1/images/generations"
        func call() async throws -> Double {
            var request = HTTPClientRequest(url: url)
            request.method = .POST
            request.headers.add(name: "Content-Type", value: "application/json")
            request.headers.add(name: "Authorization", value: "Bearer \(adminKey)")
            request.body = .bytes(ByteBuffer(string: body))
            let start = ContinuousClock.now
            let response = try await client.execute(request, timeout: .seconds(60))
            let bytes = try await response.body.collect(upTo: 16 * 1024 * 1024)
            guard response.status == .ok, bytes.readableBytes > 100 else { throw CLIError("door answered \(response.status)") }
            return (ContinuousClock.now - start).milliseconds
        }
        for _ in 0..<min(100, requests) { _ = try await call() }  // warm-up

        let total = requests
        let workers = concurrency
        let start = ContinuousClock.now
        let latencies = try await withThrowingTaskGroup(of: [Double].self) { tasks in
            for worker in 0..<workers {
                tasks.addTask {
                    var mine: [Double] = []
                    for _ in stride(from: worker, to: total, by: workers) { mine.append(try await call()) }
                    return mine
                }
            }
            var all: [Double] = []
            for try await part in tasks { all += part }
            return all
        }
        let seconds = (ContinuousClock.now - start).seconds
        let stats = Stats(latencies)
        print(
            String(
                format:
                    "door, easel-draft 256x256, concurrency %d: %.0f req/s, latency p50 %.1f ms, p99 %.1f ms (%d requests, every job persisted and image stored)",
                workers,
                Double(total) / seconds,
                stats.median,
                stats.p99,
                total
            )
        )
        try await client.shutdown()
        server.cancel()
        _ = try? await server.value
        try await runtime.close()
    }
}

/// A provider that returns at once with no images: the queue's own cost, nothing else.
struct NoopProvider: ImageProvider {
    let name = "noop"

    func run(_ job: ProviderJob, onPartial: @escaping @Sendable (PartialImage) -> Void) async throws -> ProviderResult {
        ProviderResult(images: [], usage: .zero, provider: name, isDraft: false)
    }
}

/// A runtime on a fresh data directory in a temporary folder, with no workers, for one benchmark; the
/// folder is removed afterwards.
enum BenchRuntime {
    static func with<T>(
        _ configure: (inout EaselConfig) throws -> Void = { _ in },
        _ body: (EaselRuntime, EaselConfig) async throws -> T
    ) async throws -> T {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("easel-bench-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        var config = EaselConfig()
        config.dataDirectory = directory.path
        config.workerConcurrency = 0
        config.logLevel = .error
        try configure(&config)
        let runtime = try await EaselRuntime.open(config: config, logger: Logger(label: "easel.bench"))
        do {
            let value = try await body(runtime, config)
            try await runtime.close()
            return value
        } catch {
            try? await runtime.close()
            throw error
        }
    }
}

struct Stats {
    let sorted: [Double]

    init(_ values: [Double]) { sorted = values.sorted() }

    func percentile(_ p: Double) -> Double {
        guard !sorted.isEmpty else { return 0 }
        return sorted[min(sorted.count - 1, Int((Double(sorted.count - 1) * p).rounded()))]
    }

    var median: Double { percentile(0.5) }
    var p90: Double { percentile(0.9) }
    var p99: Double { percentile(0.99) }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
    var milliseconds: Double { seconds * 1000 }
}
