import EaselCore
import EaselProviders

/// Decides where an economy job goes: into its route's provider batch at the batch price, or, on a route
/// that cannot batch upstream, onto the local queue at the lowest priority and the normal price. A request
/// the upstream batch cannot take is refused before anything is stored, naming the field.
struct EconomyPolicy: Sendable {
    let router: ProviderRouter

    /// The queue economy jobs wait in until a provider batch takes them.
    static let queue = "economy"
    /// The priority economy jobs run at where there is no provider batch.
    static let localPriority = -10

    func route(for request: ImageRequest, kind: JobKind, param prefix: String = "") throws -> EconomyRoute {
        func param(_ name: String) -> String { prefix.isEmpty ? name : "\(prefix).\(name)" }
        guard kind == .generate else {
            throw EaselError.invalidRequest(
                "The economy tier runs image generations only; send edits and upscales as standard jobs.",
                param: param("service_tier")
            )
        }
        guard !request.stream, request.partialImages == 0 else {
            throw EaselError.invalidRequest(
                "Economy jobs finish within a day and stream nothing; leave out stream and partial_images.",
                param: param(request.partialImages > 0 ? "partial_images" : "stream")
            )
        }
        guard let (api, upstreamModel) = router.upstreamBatch(for: request.model) else {
            return .local(
                reason:
                    "Model '\(request.model)' has no provider Batch API behind it, so economy jobs run here at the lowest priority and the normal price."
            )
        }
        let settings = api.settings
        if let allowed = settings.models, !allowed.contains(request.model) {
            throw EaselError.invalidRequest(
                "Model '\(request.model)' cannot run in provider '\(api.provider)' batches (as \(upstreamModel)); economy takes "
                    + "\(allowed.sorted().joined(separator: ", ")). Send it as a standard job.",
                param: param("model")
            )
        }
        if let sizes = settings.sizes, !sizes.contains(request.resolvedSize) {
            throw EaselError.invalidRequest(
                "Size \(request.resolvedSize) cannot run in provider '\(api.provider)' batches; economy takes "
                    + "\(sizes.map(\.description).joined(separator: ", ")).",
                param: param("size")
            )
        }
        return .upstream(provider: api.provider, pricePercent: settings.pricePercent)
    }

    /// Applies the tier's decision to a submission: its price, and its queue or priority.
    static func apply(_ route: EconomyRoute, to submission: inout JobService.Submission) {
        submission.payload.tier = .economy
        submission.payload.pricePercent = route.pricePercent
        switch route {
        case .upstream: submission.queue = queue
        case .local: submission.priority = localPriority
        }
    }
}
