import AsyncHTTPClient
import EaselCore
import Foundation
import NIOCore
import NIOPosix

/// The gateway benchmark: Easel as a separate `easel serve` process routing to `easel fake-openai` (also
/// its own process), against calling the fake directly, from a load generator in this process.
struct GatewayBench {
    let requests: Int
    /// Seconds per wrk row.
    let seconds: Int
    let binary: String
    /// `--workers` of the Easel under test: how many jobs it runs upstream at once.
    let workers: Int

    struct Result {
        var rps: Double
        var p50: Double
        var p99: Double
        var failures: Int
    }

    func run() async throws {
        let key = "sk-bench-\(UInt64.random(in: 0...UInt64.max))"
        let fakePort = Self.freePort()
        let easelPort = Self.freePort()
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("easel-bench-gw-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: work) }
        let configPath = work.appendingPathComponent("easel.yaml").path
        try """
        providers:
          openai:
            type: openai
            base_url: http://127.0.0.1:\(fakePort)/v1
            api_key_env: BENCH_KEY
            concurrency: 4096
        routes:
          bench:
            base: easel-draft
            providers: [openai]
        """.write(toFile: configPath, atomically: true, encoding: .utf8)
        // The route's model is known upstream as the fake's any-size model.
        try String(contentsOfFile: configPath, encoding: .utf8).replacingOccurrences(
            of: "concurrency: 4096",
            with: "concurrency: 4096\n    models: { bench: fake-any }"
        )
        .write(toFile: configPath, atomically: true, encoding: .utf8)

        let fake = try Self.spawn(binary, ["fake-openai", "--port", String(fakePort), "--key", key], environment: [:])
        defer { fake.terminate() }
        let easel = try Self.spawn(
            binary,
            [
                "serve", "--port", String(easelPort), "--data", work.appendingPathComponent("data").path,
                "--workers", String(workers), "--config", configPath, "--log-level", "error",
            ],
            environment: ["BENCH_KEY": key, "EASEL_ADMIN_KEY": Self.easelKey]
        )
        defer { easel.terminate() }

        var configuration = HTTPClient.Configuration(timeout: .init(connect: .seconds(10), read: .seconds(120)))
        configuration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: 2048)
        let client = HTTPClient(eventLoopGroupProvider: .shared(MultiThreadedEventLoopGroup.singleton), configuration: configuration)
        do {
            try await measure(client, key: key, fakePort: fakePort, easelPort: easelPort, easelPID: easel.processIdentifier)
        } catch {
            try? await client.shutdown()
            throw error
        }
        try await client.shutdown()
    }

    func measure(_ client: HTTPClient, key: String, fakePort: Int, easelPort: Int, easelPID: Int32) async throws {
        try await Self.waitUntilUp(client, "http://127.0.0.1:\(fakePort)/v1/models", key: key)
        try await Self.waitUntilUp(client, "http://127.0.0.1:\(easelPort)/readyz", key: nil)

        let wrk = WrkLoad.binary
        let scratch = FileManager.default.temporaryDirectory
        print(
            wrk == nil
                ? "gateway: Easel (separate process, route → fake OpenAI) vs the fake directly; \(requests) requests per row from an in-process client (install wrk for the wrk rows)"
                : "gateway: Easel (separate process, route → fake OpenAI) vs the fake directly; wrk -t1, \(seconds) s per row"
        )
        print("  size       conc  direct req/s  p50 ms  p99 ms | easel req/s  p50 ms  p99 ms | added p50  p99  | ratio | failures")
        for (edge, concurrency) in [(64, 32), (1024, 32), (64, 256), (1024, 256)] {
            func row(_ url: String, model: String, key: String) async throws -> Result {
                guard let wrk else {
                    return try await load(client, url: url, model: model, key: key, edge: edge, concurrency: concurrency, total: requests)
                }
                let body = Self.requestBody(model: model, edge: edge)
                // A short warm-up (connections, caches, the fake's image), then the measured run.
                _ = try WrkLoad(url: url, body: body, key: key, connections: concurrency, seconds: 1).run(wrk, scratch: scratch)
                return try WrkLoad(url: url, body: body, key: key, connections: concurrency, seconds: seconds).run(wrk, scratch: scratch)
            }
            let direct = try await row("http://127.0.0.1:\(fakePort)/v1/images/generations", model: "fake-any", key: key)
            let through = try await row("http://127.0.0.1:\(easelPort)/v1/images/generations", model: "bench", key: Self.easelKey)
            print(
                String(
                    format: "  %4dx%-4d  %4d  %12.0f  %6.1f  %6.1f | %11.0f  %6.1f  %6.1f | %8.1f  %5.1f | %5.2f | %d%@",
                    edge,
                    edge,
                    concurrency,
                    direct.rps,
                    direct.p50,
                    direct.p99,
                    through.rps,
                    through.p50,
                    through.p99,
                    through.p50 - direct.p50,
                    through.p99 - direct.p99,
                    through.rps / direct.rps,
                    direct.failures + through.failures,
                    concurrency == 32 ? (through.rps / direct.rps >= 0.5 ? "  (target ≥ 0.5: met)" : "  (target ≥ 0.5: missed)") : ""
                )
            )
        }

        // Slow upstream: 2,000 requests at once against a provider that takes 2 s each.
        var latency = HTTPClientRequest(url: "http://127.0.0.1:\(fakePort)/_fake/latency")
        latency.method = .POST
        latency.body = .bytes(ByteBuffer(string: #"{"ms": 2000}"#))
        _ = try await client.execute(latency, timeout: .seconds(5))
        // The same 2,000 straight to the fake first: what Easel adds is measured against it.
        let slowDirect = try await load(
            client,
            url: "http://127.0.0.1:\(fakePort)/v1/images/generations",
            model: "fake-any",
            key: key,
            edge: 64,
            concurrency: 2000,
            total: 2000,
            warmUp: 0
        )
        let baseline = Self.residentKB(pid: easelPID)
        let peak = Locked(0)
        let sampler = Task {
            while !Task.isCancelled {
                peak.withLock { $0 = max($0, Self.residentKB(pid: easelPID)) }
                try? await Task.sleep(for: .milliseconds(20))
            }
        }
        let slow = try await load(
            client,
            url: "http://127.0.0.1:\(easelPort)/v1/images/generations",
            model: "bench",
            key: Self.easelKey,
            edge: 64,
            concurrency: 2000,
            total: 2000,
            warmUp: 0
        )
        sampler.cancel()
        let added = slow.p99 - slowDirect.p99
        let peakMB = Double(peak.current) / 1024
        print(
            String(
                format:
                    "  2,000 in flight, upstream 2 s each, Easel --workers %d: direct p99 %.0f ms, Easel p50 %.0f ms, p99 %.0f ms (added %.0f ms), %d failed; Easel RSS %.0f MB before, peak %.0f MB",
                workers,
                slowDirect.p99,
                slow.p50,
                slow.p99,
                added,
                slow.failures + slowDirect.failures,
                Double(baseline) / 1024,
                peakMB
            )
        )
        print(
            "    targets: 0 failed \(slow.failures == 0 ? "met" : "missed"), added p99 ≤ 50 ms \(added <= 50 ? "met" : "missed"), peak RSS ≤ 200 MB \(peakMB <= 200 ? "met" : "missed")"
        )
    }

    func load(
        _ client: HTTPClient,
        url: String,
        model: String,
        key: String?,
        edge: Int,
        concurrency: Int,
        total: Int,
        warmUp: Int = 64
    ) async throws -> Result {
        let body = Self.requestBody(model: model, edge: edge)
        @Sendable func call() async -> Double? {
            var request = HTTPClientRequest(url: url)
            request.method = .POST
            request.headers.add(name: "Content-Type", value: "application/json")
            if let key { request.headers.add(name: "Authorization", value: "Bearer \(key)") }
            request.body = .bytes(ByteBuffer(string: body))
            let start = ContinuousClock.now
            do {
                let response = try await client.execute(request, timeout: .seconds(120))
                let bytes = try await response.body.collect(upTo: 64 * 1024 * 1024)
                guard response.status == .ok, bytes.readableBytes > 50 else { return nil }
                return (ContinuousClock.now - start).milliseconds
            } catch {
                return nil
            }
        }
        for _ in 0..<min(warmUp, total) { _ = await call() }  // warm connections and caches
        let start = ContinuousClock.now
        let results = await withTaskGroup(of: [Double?].self) { group in
            for worker in 0..<concurrency {
                group.addTask {
                    var mine: [Double?] = []
                    for _ in stride(from: worker, to: total, by: concurrency) { mine.append(await call()) }
                    return mine
                }
            }
            var all: [Double?] = []
            for await part in group { all += part }
            return all
        }
        let seconds = (ContinuousClock.now - start).seconds
        let ok = results.compactMap { $0 }
        let stats = Stats(ok)
        return Result(rps: Double(ok.count) / seconds, p50: stats.median, p99: stats.p99, failures: results.count - ok.count)
    }

    /// What every benchmark request asks for: one square image of `edge` pixels.
    static func requestBody(model: String, edge: Int) -> String {
        #"{"model":"\#(model)","prompt":"benchmark image","size":"\#(edge)x\#(edge)"}"#
    }

    static func spawn(_ binary: String, _ arguments: [String], environment: [String: String]) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process
    }

    /// The key load-generator requests present to Easel (its bootstrap admin, on the unlimited plan).
    static let easelKey = "bench-admin-\(UInt64.random(in: 0...UInt64.max))"

    static func waitUntilUp(_ client: HTTPClient, _ url: String, key: String?) async throws {
        for _ in 0..<300 {
            var request = HTTPClientRequest(url: url)
            if let key { request.headers.add(name: "Authorization", value: "Bearer \(key)") }
            if let response = try? await client.execute(request, timeout: .seconds(1)), response.status == .ok { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw CLIError("\(url) did not come up")
    }

    static func freePort() -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// Resident memory of a process, in KB.
    static func residentKB(pid: Int32) -> Int {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return 0 }
        for line in status.split(separator: "\n") where line.hasPrefix("VmRSS:") {
            return Int(line.split(separator: " ").dropFirst().first ?? "0") ?? 0
        }
        return 0
    }
}
