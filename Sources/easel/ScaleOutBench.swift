import AsyncHTTPClient
import EaselCore
import EaselProviders
import EaselServer
import EaselStore
import Foundation
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle

/// The scale-out figures: the queue on PostgreSQL with four workers, the same door load through one `serve`
/// process and through two on one database, and S3 put/get of a 1 MB image. Each part gets a database of
/// its own, made on the given server and dropped afterwards.
struct ScaleOutBench {
    let server: PostgresURL
    let jobs: Int
    let binary: String

    /// A fresh database on the server for one part, dropped by `body`'s end.
    func withDatabase<T>(_ body: (PostgresURL) async throws -> T) async throws -> T {
        let name = "easel_bench_\(UInt32.random(in: 0...UInt32.max))"
        let admin = try await PostgresEaselDatabase.open(url: server, maxConnections: 1, logger: Logger(label: "easel.bench"))
        try await admin.reader.raw("CREATE DATABASE \(ident: name)").run()
        do {
            let value = try await body(server.with(database: name))
            try await admin.reader.raw("DROP DATABASE \(ident: name) WITH (FORCE)").run()
            try await admin.close()
            return value
        } catch {
            try? await admin.reader.raw("DROP DATABASE \(ident: name) WITH (FORCE)").run()
            try? await admin.close()
            throw error
        }
    }

    /// Enqueue → claim → complete with a provider that does nothing: one submitting runtime and four worker
    /// runtimes (each its own pool, LISTEN connection and claim loop, as four `easel worker` processes would
    /// have), every job through the queue (no local hand-over).
    func queue() async throws {
        try await withDatabase { url in
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("easel-bench-\(UUID().uuidString)")
            defer { try? FileManager.default.removeItem(at: directory) }
            let logger = Logger(label: "easel.bench")
            func open(workers: Int) async throws -> EaselRuntime {
                var config = EaselConfig()
                config.dataDirectory = directory.path
                config.databaseURL = url
                config.workerConcurrency = workers
                config.localDispatch = false
                config.logLevel = .error
                return try await EaselRuntime.open(
                    config: config,
                    logger: logger,
                    routes: [.init(model: Bench.noopModel, providers: [NoopProvider()])]
                )
            }
            let submitter = try await open(workers: 0)
            var workers: [EaselRuntime] = []
            for _ in 0..<4 { workers.append(try await open(workers: 16)) }
            let services = workers.flatMap { $0.workerServices() + $0.changeListenerServices(wakesWorkers: true) }
            let group = ServiceGroup(configuration: .init(services: services, logger: logger))
            let runner = Task { try? await group.run() }
            try await Task.sleep(for: .milliseconds(300))

            let total = jobs
            let (seconds, enqueueSeconds) = try await Bench.runNoopJobs(total, through: submitter.jobService, counting: submitter.jobStore)
            await group.triggerGracefulShutdown()
            await runner.value
            for runtime in workers { try await runtime.close() }
            try await submitter.close()
            print(
                String(
                    format: "queue on PostgreSQL, 4 workers × 16 slots: %d jobs enqueued→claimed→completed in %.2f s = %.0f jobs/s "
                        + "(target ≥ 2,000: %@); enqueue alone %.0f jobs/s",
                    total,
                    seconds,
                    Double(total) / seconds,
                    Double(total) / seconds >= 2000 ? "met" : "missed",
                    Double(total) / enqueueSeconds
                )
            )
        }
    }

    /// 256² drafts through the synchronous door at c32: one `serve` process, then two on one database with
    /// the load split between them.
    func serves(requests: Int) async throws {
        var configuration = HTTPClient.Configuration(timeout: .init(connect: .seconds(10), read: .seconds(120)))
        configuration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: 64)
        let client = HTTPClient(eventLoopGroupProvider: .shared(MultiThreadedEventLoopGroup.singleton), configuration: configuration)
        defer { _ = client.shutdown() }
        var rates: [Int: Double] = [:]
        for count in [1, 2] {
            rates[count] = try await withDatabase { url in
                let work = FileManager.default.temporaryDirectory.appendingPathComponent("easel-bench-serves-\(UUID().uuidString)")
                defer { try? FileManager.default.removeItem(at: work) }
                var processes: [Process] = []
                defer { for process in processes { process.terminate() } }
                var urls: [String] = []
                for index in 0..<count {
                    let port = GatewayBench.freePort()
                    processes.append(
                        try GatewayBench.spawn(
                            binary,
                            // One data directory for the image files: on one machine the processes share its disk.
                            ["serve", "--port", String(port), "--data", work.appendingPathComponent("data").path, "--log-level", "error"],
                            environment: ["EASEL_DATABASE_URL": url.connectionString, "EASEL_ADMIN_KEY": GatewayBench.easelKey]
                        )
                    )
                    urls.append("http://127.0.0.1:\(port)")
                    // One at a time: the first migrates the fresh database.
                    try await GatewayBench.waitUntilUp(client, urls[index] + "/readyz", key: nil)
                }
                let gateway = GatewayBench(requests: requests, seconds: 10, binary: binary, workers: 0)
                let results = try await withThrowingTaskGroup(of: GatewayBench.Result.self) { group in
                    for url in urls {
                        group.addTask {
                            try await gateway.load(
                                client,
                                url: url + "/v1/images/generations",
                                model: "easel-draft",
                                key: GatewayBench.easelKey,
                                edge: 256,
                                concurrency: 32 / count,
                                total: requests / count
                            )
                        }
                    }
                    return try await group.reduce(into: []) { $0.append($1) }
                }
                let failures = results.reduce(0) { $0 + $1.failures }
                guard failures == 0 else { throw CLIError("\(failures) requests failed through \(count) serve process(es)") }
                return results.reduce(0) { $0 + $1.rps }
            }
        }
        let one = rates[1] ?? 0
        let two = rates[2] ?? 0
        print(
            String(
                format: "door on PostgreSQL, 256² drafts at c32, %d requests: one serve %.0f req/s, two serves %.0f req/s (%.2f×)",
                requests,
                one,
                two,
                one > 0 ? two / one : 0
            )
        )
    }

    /// Put and get of a 1 MB image on an S3 API (each put a new object: keys are content hashes).
    static func s3(location: S3Location, credentials: AWSCredentials) async throws {
        let store = S3BlobStore(location: location, credentials: credentials, client: HTTPClient.shared)
        try await store.ensureBucket()
        var generator = SeededRandom(seed: 7)
        var puts: [Double] = []
        var gets: [Double] = []
        for round in 0..<40 {
            var data = Data(count: 1 << 20)
            data.withUnsafeMutableBytes { bytes in
                for index in stride(from: 0, to: bytes.count, by: 8) { bytes[index] = UInt8(truncatingIfNeeded: generator.next()) }
            }
            data[0] = UInt8(round)
            var start = ContinuousClock.now
            let ref = try await store.put(data, fileExtension: "png")
            puts.append((ContinuousClock.now - start).milliseconds)
            start = ContinuousClock.now
            guard try await store.get(key: ref.key)?.count == data.count else { throw CLIError("S3 get returned other bytes") }
            gets.append((ContinuousClock.now - start).milliseconds)
            try await store.delete(key: ref.key)
        }
        let put = Stats(Array(puts.dropFirst(5)))
        let get = Stats(Array(gets.dropFirst(5)))
        print(
            String(
                format: "S3 (%@) 1 MB image: put median %.1f ms (p90 %.1f), get median %.1f ms (p90 %.1f)",
                location.endpoint,
                put.median,
                put.p90,
                get.median,
                get.p90
            )
        )
    }
}
