import AsyncHTTPClient
import EaselCore
import EaselFakeOpenAI
import EaselProviders
import EaselServer
import Foundation
import Logging
import NIOCore
import NIOPosix

/// A fake OpenAI server plus an HTTP client and providers pointed at it, for provider tests.
public final class FakeHarness: Sendable {
    public static let key = "sk-test-KEEPSECRET-7f3a9c2e5d1b"
    public let fake: RunningFakeOpenAI
    public let client: HTTPClient

    public static func start(latencyMs: Int = 0) async throws -> FakeHarness {
        let fake = try await FakeOpenAIServer.start(state: FakeOpenAIState(keys: [key], latencyMs: latencyMs))
        var configuration = HTTPClient.Configuration(timeout: .init(connect: .seconds(5), read: .seconds(30)))
        configuration.connectionPool.retryConnectionEstablishment = false
        let client = HTTPClient(eventLoopGroupProvider: .shared(MultiThreadedEventLoopGroup.singleton), configuration: configuration)
        return FakeHarness(fake: fake, client: client)
    }

    init(fake: RunningFakeOpenAI, client: HTTPClient) {
        self.fake = fake
        self.client = client
    }

    public var state: FakeOpenAIState { fake.state }

    public func endpoint(
        name: String = "openai",
        key: String? = FakeHarness.key,
        connectTimeout: TimeAmount = .seconds(5),
        readTimeout: TimeAmount = .seconds(30)
    ) -> OpenAIEndpoint {
        OpenAIEndpoint(name: name, baseURL: fake.baseURL, apiKey: key.map(Secret.init), connectTimeout: connectTimeout, readTimeout: readTimeout)
    }

    public func provider(
        name: String = "openai",
        key: String? = FakeHarness.key,
        connectTimeout: TimeAmount = .seconds(5),
        readTimeout: TimeAmount = .seconds(30)
    ) -> OpenAIProvider {
        OpenAIProvider(
            endpoint: endpoint(name: name, key: key, connectTimeout: connectTimeout, readTimeout: readTimeout),
            client: client,
            logger: TestSupport.logger
        )
    }

    /// A providers config routing OpenAI's models to this fake.
    /// `providerYAML`: more settings of the `openai` provider, indented four spaces.
    public func providersConfig(extraYAML: String = "", providerYAML: String = "") throws -> EaselServer.ProvidersConfig {
        try EaselServer.ProvidersConfig.parse(
            """
            providers:
              openai:
                type: openai
                base_url: \(fake.baseURL)
                api_key: ${FAKE_KEY}
            \(providerYAML)
            routes:
              gpt-image-2: [openai]
              gpt-image-1.5: [openai]
            \(extraYAML)
            """,
            environment: ["FAKE_KEY": Self.key]
        )
    }

    public func stop() async {
        try? await client.shutdown()
        await fake.stop()
    }

    /// Runs `body` with a started harness, stopping it afterwards.
    public static func with(latencyMs: Int = 0, _ body: (FakeHarness) async throws -> Void) async throws {
        let harness = try await start(latencyMs: latencyMs)
        do {
            try await body(harness)
        } catch {
            await harness.stop()
            throw error
        }
        await harness.stop()
    }
}
