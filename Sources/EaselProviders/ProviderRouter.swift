import EaselCore

/// Maps a model to the provider that serves it, and knows each routed model's capabilities.
public struct ProviderRouter: Sendable {
    public struct Route: Sendable {
        public var model: ModelCapabilities
        public var providers: [any ImageProvider]

        public init(model: ModelCapabilities, providers: [any ImageProvider]) {
            self.model = model
            self.providers = providers
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

    public func generate(_ job: ProviderJob, onPartial: @escaping @Sendable (PartialImage) -> Void) async throws -> ProviderResult {
        guard let route = routes[job.request.model], let provider = route.providers.first else {
            throw ProviderError(JobError(status: 404, type: "invalid_request_error", code: "model_not_found", param: "model",
                                         message: "No provider is configured for model '\(job.request.model)'.", retryable: false))
        }
        return try await provider.generate(job, onPartial: onPartial)
    }
}
