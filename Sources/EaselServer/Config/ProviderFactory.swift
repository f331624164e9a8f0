import AsyncHTTPClient
import EaselCore
import EaselProviders
import Foundation
import Logging
import NIOCore
import NIOPosix

/// Builds the provider router from the providers config: one HTTP client and one gate (limits, circuit
/// breaker) per provider, shared by every route that uses it.
struct ProviderFactory {
    struct Built {
        var router: ProviderRouter
        var clients: [HTTPClient]
    }

    static func build(_ providers: ProvidersConfig, draftThreads: Int, clock: any EaselClock, logger: Logger) throws -> Built {
        var clients: [HTTPClient] = []
        var targets: [String: (any ImageProvider, ProviderGate, ProvidersConfig.Provider?, (any UpstreamBatchAPI)?)] = [:]
        if providers.draft || providers.routes.contains(where: { $0.providers.contains("draft") }) {
            targets["draft"] = (DraftProvider(threads: draftThreads), ProviderGate(clock: clock), nil, nil)
        }
        for (name, provider) in providers.providers {
            var configuration = HTTPClient.Configuration(
                timeout: .init(connect: .seconds(Int64(provider.connectTimeoutSeconds)), read: .seconds(Int64(provider.readTimeoutSeconds)))
            )
            configuration.connectionPool = .init(
                idleTimeout: .seconds(60),
                concurrentHTTP1ConnectionsPerHostSoftLimit: provider.concurrency ?? 1024
            )
            configuration.decompression = .enabled(limit: .ratio(20))
            // A provider that refuses connections fails the attempt now (and falls back or retries with
            // backoff) instead of the pool retrying the connect until the request's deadline.
            configuration.connectionPool.retryConnectionEstablishment = false
            let client = HTTPClient(eventLoopGroupProvider: .shared(MultiThreadedEventLoopGroup.singleton), configuration: configuration)
            clients.append(client)
            let endpoint = OpenAIEndpoint(
                name: name,
                baseURL: provider.baseURL,
                apiKey: provider.apiKey.map(Secret.init),
                organization: provider.organization,
                project: provider.project,
                headers: provider.headers,
                connectTimeout: .seconds(Int64(provider.connectTimeoutSeconds)),
                readTimeout: .seconds(Int64(provider.readTimeoutSeconds))
            )
            let gate = ProviderGate(
                limits: .init(
                    concurrency: provider.concurrency,
                    imagesPerMinute: provider.imagesPerMinute,
                    breakerThreshold: provider.breakerFailures,
                    breakerCooldownMs: Int64(provider.breakerCooldownSeconds) * 1000
                ),
                clock: clock
            )
            let images = OpenAIProvider(endpoint: endpoint, client: client, logger: logger)
            targets[name] = (images, gate, provider, provider.batch.map { OpenAIBatchAPI(provider: images, settings: $0) })
        }
        var routes: [ProviderRouter.Route] = []
        if providers.draft && !providers.routes.contains(where: { $0.model.id == ModelCapabilities.easelDraft.id }),
            let draft = targets["draft"]
        {
            routes.append(.init(model: .easelDraft, targets: [.init(provider: draft.0, upstreamModel: "easel-draft", gate: draft.1)]))
        }
        for route in providers.routes {
            let chain = route.providers.compactMap { name -> ProviderRouter.Target? in
                guard let (provider, gate, settings, batch) = targets[name] else { return nil }
                return .init(provider: provider, upstreamModel: settings?.modelNames[route.model.id] ?? route.model.id, gate: gate, batch: batch)
            }
            var model = route.model
            if route.providers == ["draft"] { model.isDraft = true }
            routes.append(.init(model: model, targets: chain))
        }
        let defaultModel = providers.defaultModel ?? routes.first?.model.id
        if let wanted = providers.defaultModel, !routes.contains(where: { $0.model.id == wanted }) {
            throw ConfigError.invalid("default_model", wanted, "a model that has a route")
        }
        return Built(router: ProviderRouter(routes: routes, defaultModel: defaultModel), clients: clients)
    }
}
