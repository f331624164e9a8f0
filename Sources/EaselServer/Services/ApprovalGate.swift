import EaselCore

/// "Approval required before share or export": a collection or the template an asset came from may ask that
/// its assets be approved first. One rule for share links and exports.
struct ApprovalGate: Sendable {
    let policies: ReviewPolicies

    /// 409 `approval_required` naming the first asset that is not approved but must be.
    func check(_ assets: [AssetRecord], collection: AssetCollection?, action: String) async throws {
        var required: [String: Bool] = [:]
        for asset in assets where asset.reviewStatus != .approved {
            if collection?.approvalRequired == true {
                throw refusal(asset, because: "collection \(collection?.id ?? "")", action: action)
            }
            guard let origin = asset.origin, origin.template != nil || origin.brandKit != nil else { continue }
            let key = "\(origin.template ?? "")|\(origin.brandKit ?? "")"
            if required[key] == nil { required[key] = try await policies.policy(of: asset).approvalRequired }
            if required[key] == true {
                throw refusal(
                    asset,
                    because: [origin.template.map { "template \($0)" }, origin.brandKit.map { "brand kit \($0)" }].compactMap { $0 }.joined(
                        separator: " or "
                    ),
                    action: action
                )
            }
        }
    }

    private func refusal(_ asset: AssetRecord, because owner: String, action: String) -> EaselError {
        .conflict(
            "Asset \(asset.id) is \(asset.reviewStatus.rawValue); \(owner) requires approval before \(action).",
            code: "approval_required",
            param: "id"
        )
    }
}

/// The review settings an asset falls under: its template version's and its brand kit's together.
struct ReviewPolicies: Sendable {
    let templates: TemplateService
    let kits: BrandKitService

    func policy(of asset: AssetRecord) async throws -> ReviewPolicy {
        var policy = ReviewPolicy()
        if let template = asset.origin?.template { policy = policy.union(try await templates.reviewPolicy(template)) }
        if let kit = asset.origin?.brandKit { policy = policy.union(try await kits.reviewPolicy(kit)) }
        return policy
    }
}
