/// How soon a job must run, and so what it costs. `economy` waits for the provider's Batch API (up to a
/// day, at the provider's batch price) where its route has one, and otherwise runs as a last-priority job
/// at the normal price.
public enum ServiceTier: String, Sendable, CaseIterable {
    case standard
    case economy

    /// `service_tier` of a request body; `auto` and `default` (OpenAI's names elsewhere) mean standard.
    public static func read(_ fields: [String: JSONValue], param: String = "service_tier") throws(EaselError) -> ServiceTier {
        switch fields["service_tier"] {
        case nil, .null?: return .standard
        case .string(let text)?:
            if text == "auto" || text == "default" { return .standard }
            guard let tier = ServiceTier(rawValue: text) else {
                throw .invalidRequest("Invalid service_tier '\(text)'. Use standard or economy.", param: param)
            }
            return tier
        case let other?: throw .invalidType(param, expected: "\"standard\" or \"economy\"", got: other)
        }
    }
}

/// What the economy tier does for one model: sent upstream in a provider batch at a share of the table
/// price, or run here like any job (low priority, normal price) because the route cannot batch upstream.
public enum EconomyRoute: Sendable, Equatable {
    case upstream(provider: String, pricePercent: Int)
    case local(reason: String)

    public var pricePercent: Int {
        if case .upstream(_, let percent) = self { return percent }
        return 100
    }
}
