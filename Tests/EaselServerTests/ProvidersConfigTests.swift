import EaselCore
import EaselServer
import EaselTesting
import Testing

@Suite("Providers config file")
struct ProvidersConfigTests {
    @Test func readsYAML() throws {
        let config = try ProvidersConfig.parse(
            """
            default_model: gpt-image-2
            providers:
              openai:
                type: openai
                api_key_env: MY_KEY
                organization: org-1
                concurrency: 8
                images_per_minute: 50
                circuit_breaker: { failures: 3, cooldown_seconds: 10 }
                timeouts: { connect_seconds: 3, read_seconds: 240 }
              gateway:
                type: openai-compatible
                base_url: http://127.0.0.1:9000/v1
                api_key: "${GATEWAY_KEY}-suffix"
                headers: { X-Title: Easel }
                models: { gpt-image-2: vendor/gpt-image-2 }
            routes:
              gpt-image-2: [openai, gateway]
              cheap:
                base: gpt-image-1-mini
                providers: [gateway]
                capabilities: { edits: false, sizes: [1024x1024], max_n: 2 }
            """,
            environment: ["MY_KEY": "sk-1", "GATEWAY_KEY": "gw"]
        )
        #expect(config.defaultModel == "gpt-image-2")
        let openai = try #require(config.providers["openai"])
        #expect(openai.baseURL == "https://api.openai.com/v1" && openai.apiKey == "sk-1" && !openai.compatible)
        #expect(openai.concurrency == 8 && openai.imagesPerMinute == 50 && openai.breakerFailures == 3)
        #expect(openai.connectTimeoutSeconds == 3 && openai.readTimeoutSeconds == 240)
        let gateway = try #require(config.providers["gateway"])
        #expect(gateway.apiKey == "gw-suffix" && gateway.compatible)
        #expect(gateway.headers.map(\.0) == ["X-Title"])
        #expect(gateway.modelNames["gpt-image-2"] == "vendor/gpt-image-2")
        #expect(config.routes.map(\.model.id) == ["cheap", "gpt-image-2"])
        let cheap = try #require(config.routes.first)
        #expect(!cheap.model.supportsEdits && cheap.model.maxImages == 2 && cheap.model.sizes == .fixed([.init(width: 1024, height: 1024)]))
        #expect(config.routes[1].providers == ["openai", "gateway"])
        #expect(config.routes[1].model.sizes == ModelCapabilities.gptImage2.sizes)
    }

    @Test func readsJSONToo() throws {
        let config = try ProvidersConfig.parse(
            #"{"providers": {"p": {"type": "openai-compatible", "base_url": "http://h/v1"}}, "routes": {"gpt-image-1.5": ["p"]}, "draft": false}"#,
            environment: [:]
        )
        #expect(config.providers["p"]?.baseURL == "http://h/v1")
        #expect(!config.draft)
    }

    @Test(arguments: [
        ("providers: {p: {type: weird, base_url: http://h}}", "providers.p.type"),
        ("providers: {p: {base_url: ftp://h}}", "providers.p.base_url"),
        ("providers: {p: {base_url: http://h, api_key_env: NOT_SET}}", "providers.p.api_key_env"),
        ("providers: {p: {base_url: http://h, concurrency: 0}}", "providers.p.concurrency"),
        ("providers: {p: {base_url: http://h, colour: red}}", "providers.p.colour"),
        ("routes: {gpt-image-2: [missing]}", "routes.gpt-image-2"),
        ("routes: {x: {base: dall-e-9, providers: [draft]}}", "routes.x.base"),
        ("routes: {x: {providers: [draft], capabilities: {sizes: [big]}}}", "routes.x.capabilities.sizes"),
        ("[1, 2]", "config"),
        ("providers: [", "config"),
    ])
    func errorsNameTheKey(text: String, key: String) {
        do {
            _ = try ProvidersConfig.parse(text, environment: [:])
            Issue.record("expected an error")
        } catch let error as ConfigError {
            #expect(error.description.contains(key), "\(error)")
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test func openAIKeyInTheEnvironmentAddsTheStandardRoutes() throws {
        var config = ProvidersConfig()
        config.addEnvironmentDefaults(["OPENAI_API_KEY": "sk-env", "OPENAI_BASE_URL": "http://127.0.0.1:1/v1"])
        #expect(config.providers["openai"]?.baseURL == "http://127.0.0.1:1/v1")
        #expect(config.routes.map(\.model.id) == ["gpt-image-2", "gpt-image-1.5", "gpt-image-1-mini", "chatgpt-image-latest"])
        var none = ProvidersConfig()
        none.addEnvironmentDefaults([:])
        #expect(none.providers.isEmpty && none.routes.isEmpty)
    }

    @Test func aBadDefaultModelStopsStartUp() async throws {
        let data = try TemporaryDirectory()
        let providers = try ProvidersConfig.parse("default_model: nope", environment: [:])
        await #expect(throws: ConfigError.self) {
            _ = try await TestSupport.runtime(data: data) { $0.providers = providers }
        }
    }
}
