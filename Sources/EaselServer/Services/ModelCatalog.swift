import EaselCore

/// The models this server routes and what each accepts: what request parsing and the model list need of the
/// provider router, without the power to run a provider.
public struct ModelCatalog: Sendable {
    public let models: [ModelCapabilities]
    public let defaultModel: String
    private let byID: [String: ModelCapabilities]

    public init(models: [ModelCapabilities], defaultModel: String) {
        self.models = models
        self.defaultModel = defaultModel
        self.byID = Dictionary(models.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
    }

    public func capabilities(for model: String) -> ModelCapabilities? { byID[model] }

    public func isDraft(_ model: String) -> Bool { byID[model]?.isDraft ?? false }

    /// Checks a request body against the model it names.
    public var parser: GenerationRequestParser {
        let byID = self.byID
        return GenerationRequestParser(defaultModel: defaultModel) { byID[$0] }
    }

    /// The model's capabilities, or 404 `model_not_found` naming `param`.
    public func require(_ model: String, param: String = "model") throws(EaselError) -> ModelCapabilities {
        guard let caps = byID[model] else { throw .modelNotFound(model, param: param) }
        return caps
    }
}
