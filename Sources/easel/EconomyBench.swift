import AsyncHTTPClient
import EaselCore
import EaselFakeOpenAI
import EaselProviders
import EaselServer
import Foundation
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle

/// `easel bench --only economy`: a 500-image economy batch through the fake OpenAI's Batch API. Prints what
/// it cost against the standard tier (from each job's usage and the price table), and how long Easel takes to
/// read the 500-line output file into jobs (parse, decode, store, complete, settle) against only downloading
/// the same file, with the memory the read adds.
struct EconomyBench {
    let images: Int

    func run() async throws {
        let key = "sk-bench-economy"
        let state = FakeOpenAIState(keys: [key])
        var behavior = FakeBatchBehavior()
        (behavior.validatingMs, behavior.runMs, behavior.finalizingMs) = (0, 500, 0)
        state.batches.behavior = behavior
        let fake = try await FakeOpenAIServer.start(state: state, logger: Logger(label: "easel.bench.fake"))
        let providers = try ProvidersConfig.parse(
            """
            providers:
              openai:
                type: openai
                base_url: \(fake.baseURL)
                api_key: \(key)
                batch: {collect_seconds: 0.2, poll_seconds: 0.05, max_poll_seconds: 0.05}
            routes:
              gpt-image-2: [openai]
            """,
            environment: [:]
        )
        let ingest = try await BenchRuntime.with {
            $0.economyTickMs = 20
            $0.providers = providers
        } _: { runtime, _ in
            try await measure(runtime)
        }
        // The same output, only downloaded: a second batch of the same lines, its file read and thrown away.
        let download = try await downloadBaseline(fake: fake, key: key, lines: images)
        report(ingest, download: download)
        await fake.stop()
    }

    struct Ingest {
        var ms: Double
        var baselineKB: Int
        var peakKB: Int
        var sawOutput: Bool
    }

    /// Runs the batch; returns how long reading its output took and the memory it added.
    func measure(_ runtime: EaselRuntime) async throws -> Ingest {
        let group = ServiceGroup(configuration: .init(services: runtime.workerServices(), logger: Logger(label: "easel.bench")))
        let services = Task { try? await group.run() }

        // The same prompt for every row: the fake makes one image, so its own cost stays out of the figures.
        var csv = "subject\n"
        for _ in 0..<images { csv += "a ceramic mug on a wooden desk\n" }
        let spec: [String: JSONValue] = [
            "brief": ["subject": "{subject}", "style": "photorealistic"], "model": "gpt-image-2", "size": "1024x1024",
            "quality": "medium", "service_tier": "economy",
        ]
        let (id, total) = try await runtime.startBatch(spec, csv: Array(csv.utf8))

        // Watch the provider batch: reading starts when it turns `ingesting`, ends when `finished`.
        var ingestStart: ContinuousClock.Instant?
        var ingestEnd: ContinuousClock.Instant?
        var baselineKB = 0
        var peakKB = 0
        var outputFileID: String?
        let deadline = ContinuousClock.now + .seconds(600)
        while ingestEnd == nil && ContinuousClock.now < deadline {
            let phase = try await runtime.upstreamBatches(limit: 1).first
            let now = ContinuousClock.now
            if phase?.phase == .ingesting || phase?.phase == .finished, ingestStart == nil {
                ingestStart = now
                baselineKB = GatewayBench.residentKB(pid: getpid())
                outputFileID = phase?.outputFileID
            }
            if ingestStart != nil { peakKB = max(peakKB, GatewayBench.residentKB(pid: getpid())) }
            if phase?.phase == .finished { ingestEnd = now }
            try await Task.sleep(for: .milliseconds(5))
        }
        guard let ingestStart, let ingestEnd else { throw CLIError("the economy batch did not finish within 10 minutes") }
        let ingestMs = (ingestEnd - ingestStart).milliseconds
        var progress = try await runtime.batchProgress(id)
        while !progress.isFinished {
            try await Task.sleep(for: .milliseconds(20))
            progress = try await runtime.batchProgress(id)
        }

        // Money, from each job's usage: what it was settled at, and what the standard tier would have charged.
        let jobs = try await runtime.jobStore.jobs(userID: nil, status: nil, groupID: id, before: nil, limit: images + 10).items
        let paid = jobs.reduce(Int64(0)) { $0 + runtime.billing.cost(of: $1) }
        let standard = jobs.reduce(Int64(0)) { $0 + runtime.billing.cost(of: $1) + runtime.billing.saving(of: $1) }
        print(
            String(
                format: "economy: %d images (%d succeeded) at gpt-image-2 1024x1024 medium: $%@ economy vs $%@ standard, %.2f× the standard cost",
                total,
                progress.succeeded,
                Money.usd(paid),
                Money.usd(standard),
                Double(paid) / Double(max(1, standard))
            )
        )
        await group.triggerGracefulShutdown()
        _ = await services.value
        return Ingest(ms: ingestMs, baselineKB: baselineKB, peakKB: peakKB, sawOutput: outputFileID != nil)
    }

    func report(_ ingest: Ingest, download: (ms: Double, bytes: Int)) {
        print(
            String(
                format:
                    "economy: reading a %d-line output file (%.1f MB) into jobs: %.0f ms (%.2f ms per image); downloading it alone: %.0f ms; %.1f× the download",
                images,
                Double(download.bytes) / 1_048_576,
                ingest.ms,
                ingest.ms / Double(images),
                download.ms,
                ingest.ms / max(1, download.ms)
            )
        )
        print(
            String(
                format: "economy: resident memory while reading: %+.1f MB at peak over %.1f MB before (the file is %.1f MB)%@",
                Double(ingest.peakKB - ingest.baselineKB) / 1024,
                Double(ingest.baselineKB) / 1024,
                Double(download.bytes) / 1_048_576,
                ingest.sawOutput ? "" : " (no output file seen)"
            )
        )
    }

    /// Sends `lines` requests as one batch straight to the fake, waits for it, and times a plain download of its
    /// output file (median of three).
    func downloadBaseline(fake: RunningFakeOpenAI, key: String, lines: Int) async throws -> (ms: Double, bytes: Int) {
        let client = HTTPClient(eventLoopGroupProvider: .shared(MultiThreadedEventLoopGroup.singleton))
        do {
            let result = try await downloadBaseline(fake: fake, key: key, lines: lines, client: client)
            try await client.shutdown()
            return result
        } catch {
            try? await client.shutdown()
            throw error
        }
    }

    private func downloadBaseline(fake: RunningFakeOpenAI, key: String, lines: Int, client: HTTPClient) async throws -> (ms: Double, bytes: Int) {
        let endpoint = OpenAIEndpoint(
            name: "openai",
            baseURL: fake.baseURL,
            apiKey: Secret(key),
            connectTimeout: .seconds(5),
            readTimeout: .seconds(120)
        )
        let api = OpenAIBatchAPI(
            provider: OpenAIProvider(endpoint: endpoint, client: client, logger: Logger(label: "easel.bench")),
            settings: .init()
        )
        let request = ImageRequest(
            prompt: "Photorealistic photograph of a ceramic mug on a wooden desk",
            model: "gpt-image-2",
            resolvedSize: .init(width: 1024, height: 1024),
            quality: "medium",
            resolvedQuality: "medium"
        )
        var jsonl: [UInt8] = []
        for index in 0..<lines {
            jsonl += api.requestLine(for: ProviderJob(id: "job_\(index)", request: request, attempt: 1))
            jsonl.append(UInt8(ascii: "\n"))
        }
        let file = try await api.uploadInput(jsonl, filename: "bench.jsonl")
        var status = try await api.create(inputFileID: file, metadata: [:])
        while !status.isFinal {
            try await Task.sleep(for: .milliseconds(50))
            status = try await api.status(of: status.id)
        }
        guard let output = status.outputFileID else { throw CLIError("the baseline batch has no output file") }
        var times: [Double] = []
        var bytes = 0
        for _ in 0..<3 {
            var get = HTTPClientRequest(url: fake.baseURL + "/files/\(output)/content")
            get.headers.add(name: "Authorization", value: "Bearer \(key)")
            let start = ContinuousClock.now
            let response = try await client.execute(get, timeout: .seconds(120))
            bytes = 0
            for try await chunk in response.body { bytes += chunk.readableBytes }
            times.append((ContinuousClock.now - start).milliseconds)
        }
        return (Stats(times).median, bytes)
    }
}
