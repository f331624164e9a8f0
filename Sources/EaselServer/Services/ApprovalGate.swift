import EaselCore

/// "Approval required before share or export": a collection or the template an asset came from may ask that
/// its assets be approved first. One rule for share links and exports.
struct ApprovalGate: Sendable {
    let templates: TemplateService

    /// 409 `approval_required` naming the first asset that is not approved but must be.
    func check(_ assets: [AssetRecord], collection: AssetCollection?, action: String) async throws {
        var policies: [String: Bool] = [:]
        for asset in assets where asset.reviewStatus != .approved {
            if collection?.approvalRequired == true {
                throw refusal(asset, because: "collection \(collection?.id ?? "")", action: action)
            }
            guard let reference = asset.origin?.template else { continue }
            if policies[reference] == nil { policies[reference] = try await templates.reviewPolicy(reference).approvalRequired }
            if policies[reference] == true { throw refusal(asset, because: "template \(reference)", action: action) }
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
