import EaselCore

/// Maps a model to its chain of providers and runs a job through it: each provider in order, skipping
/// those whose circuit is open or (when another can take the work) whose budget is spent, falling back on
/// provider-side failures. Every upstream error met on the way travels with the result or the final error.
public struct ProviderRouter: Sendable {
    /// One provider in a route's chain.
    public struct Target: Sendable {
        public var provider: any ImageProvider
        /// The model name this provider knows the model by.
        public var upstreamModel: String
        public var gate: ProviderGate
        /// The provider's Batch API, when it has one and the config lets Easel use it.
        public var batch: (any UpstreamBatchAPI)?

        public init(provider: any ImageProvider, upstreamModel: String, gate: ProviderGate = ProviderGate(), batch: (any UpstreamBatchAPI)? = nil) {
            self.provider = provider
            self.upstreamModel = upstreamModel
            self.gate = gate
            self.batch = batch
        }
    }

    public struct Route: Sendable {
        public var model: ModelCapabilities
        public var targets: [Target]

        public init(model: ModelCapabilities, targets: [Target]) {
            self.model = model
            self.targets = targets
        }

        /// A route with providers that know the model by its own name and have no limits.
        public init(model: ModelCapabilities, providers: [any ImageProvider]) {
            self.init(model: model, targets: providers.map { Target(provider: $0, upstreamModel: model.id) })
        }
    }

    public private(set) var routes: [String: Route]
    /// Models in the order they were configured (for `GET /v1/models`).
    public private(set) var order: [String]
    public var defaultModel: String

    public init(routes: [Route], defaultModel: String? = nil) {
        self.routes = Dictionary(routes.map { ($0.model.id, $0) }, uniquingKeysWith: { first, _ in first })
        self.order = routes.map(\.model.id)
        self.defaultModel = defaultModel ?? routes.first?.model.id ?? "easel-draft"
    }

    public func capabilities(for model: String) -> ModelCapabilities? { routes[model]?.model }

    public var models: [ModelCapabilities] { order.compactMap { routes[$0]?.model } }

    /// Each provider's circuit breaker as it stands (routes that share a provider share its gate).
    public var breakers: [String: CircuitBreaker] {
        var out: [String: CircuitBreaker] = [:]
        for route in routes.values {
            for target in route.targets { out[target.provider.name] = target.gate.breakerSnapshot }
        }
        return out
    }

    /// Where economy jobs of `model` go: the Batch API of the route's first provider, when it has one.
    /// Fallbacks never apply to a batch (it is one provider's price and window).
    public func upstreamBatch(for model: String) -> (api: any UpstreamBatchAPI, upstreamModel: String)? {
        guard let first = routes[model]?.targets.first, let api = first.batch else { return nil }
        return (api, first.upstreamModel)
    }

    /// The Batch API of a provider by name (to poll and read a batch sent earlier, whatever routes say now).
    public func batchAPI(provider: String) -> (any UpstreamBatchAPI)? {
        for route in routes.values {
            for target in route.targets where target.provider.name == provider {
                if let api = target.batch { return api }
            }
        }
        return nil
    }

    public func run(_ job: ProviderJob, onPartial: @escaping @Sendable (PartialImage) -> Void) async throws -> ProviderResult {
        let model = job.request.model
        guard let route = routes[model], !route.targets.isEmpty else {
            throw ProviderError(
                JobError(
                    status: 404,
                    type: "invalid_request_error",
                    code: "model_not_found",
                    param: "model",
                    message: "No provider is configured for model '\(model)'.",
                    retryable: false
                )
            )
        }
        var errors: [JobError] = []
        var soonestRetryMs: Int64?
        var called = false
        for (index, target) in route.targets.enumerated() {
            let isLast = index == route.targets.count - 1
            let name = target.provider.name
            guard target.gate.admit() else {
                let wait = target.gate.breakerRetryAfterMs()
                soonestRetryMs = min(soonestRetryMs ?? .max, wait ?? 0)
                errors.append(
                    JobError(
                        status: 503,
                        type: "server_error",
                        code: "circuit_open",
                        message: "Provider '\(name)' of route '\(model)' is cooling down after repeated failures.",
                        retryable: true,
                        provider: name
                    )
                )
                continue
            }
            if !isLast && !target.gate.hasBudget(for: job.request.n) {
                errors.append(
                    JobError(
                        status: 429,
                        type: "rate_limit_error",
                        code: "provider_rate_limited",
                        message: "Provider '\(name)' of route '\(model)' is at its images-per-minute limit.",
                        retryable: true,
                        provider: name
                    )
                )
                continue
            }
            var routed = job
            routed.upstreamModel = target.upstreamModel
            routed.capabilities = route.model
            try await target.gate.acquire(images: job.request.n)
            called = true
            do {
                var result = try await target.provider.run(routed, onPartial: onPartial)
                target.gate.release()
                target.gate.recordSuccess()
                result.fallbackErrors = errors
                return result
            } catch let failure as ProviderError {
                target.gate.release()
                // User errors (a bad request, a moderation block) say nothing about the provider's health.
                if failure.allowsFallback { target.gate.recordFailure() } else { target.gate.recordSuccess() }
                var failure = failure
                if failure.error.provider == nil { failure.error.provider = name }
                guard failure.allowsFallback, !isLast else {
                    failure.fallbackErrors = errors
                    throw failure
                }
                errors.append(failure.error)
            } catch {
                target.gate.release()
                throw error
            }
        }
        // The chain ended on a skipped provider: every provider failed over or was skipped.
        var unavailable = ProviderError(
            JobError(
                status: 503,
                type: "server_error",
                code: "providers_unavailable",
                message: "Every provider of route '\(model)' is unavailable right now (cooling down or at its limit). Try again shortly.",
                retryable: true
            ),
            retryAfterMs: soonestRetryMs
        )
        unavailable.fallbackErrors = errors
        unavailable.nothingSent = !called
        throw unavailable
    }
}
