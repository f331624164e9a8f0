import ArgumentParser
import EaselFakeOpenAI
import Foundation

/// `easel fake-openai`: a local stand-in for OpenAI's Images API, so the whole system can be tried (and
/// benchmarked) without a key or a network.
struct FakeOpenAI: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fake-openai",
        abstract: "Run a fake OpenAI Images API (for trying Easel without a key).",
        discussion: """
            Point Easel at it with OPENAI_BASE_URL=http://127.0.0.1:9100/v1 OPENAI_API_KEY=sk-fake-… easel serve.
            Queue faults with: curl -X POST localhost:9100/_fake/faults -d '{"faults":[{"kind":"rate_limit","retry_after":"1"}]}'
            Fail 30% of image requests at random: curl -X POST localhost:9100/_fake/chaos -d '{"rate":0.3,"seed":7,"hang_ms":2500}'
            """
    )

    @Option(help: "Address to bind.")
    var host: String = "127.0.0.1"

    @Option(help: "Port.")
    var port: Int = 9100

    @Option(help: "A key the fake accepts (repeatable). Without one, any non-empty key is accepted.")
    var key: [String] = []

    @Option(help: "Delay added to every answer, in milliseconds.")
    var latencyMs: Int = 0

    @Option(help: "Share of image requests that fail at random, with every kind of failure (0 to 1; 0 is off).")
    var chaosRate: Double = 0

    @Option(help: "Seed of chaos mode's random choices.")
    var chaosSeed: UInt64 = 1

    @Option(help: "How long chaos mode's hung requests hold, in milliseconds.")
    var chaosHangMs: Int = 5000

    func run() async throws {
        let state = FakeOpenAIState(keys: Set(key), latencyMs: latencyMs)
        state.setChaos(rate: chaosRate, seed: chaosSeed, hangMs: chaosHangMs)
        let running = try await FakeOpenAIServer.start(state: state, host: host, port: port)
        print("fake OpenAI listening on \(running.baseURL)")
        // Runs until interrupted.
        while !Task.isCancelled {
            try await Task.sleep(for: .seconds(3600))
        }
    }
}
