import EaselCore
import Foundation

/// Turns checked edit inputs into a job payload: validates them against the model, parses the fields,
/// stores new files as assets, and links the result to its first input for lineage.
struct EditSubmissions: Sendable {
    let runtime: EaselRuntime

    var rules: EditInputRules { EditInputRules(maxInputPixels: runtime.config.maxInputPixels) }

    struct Prepared: Sendable {
        var payload: JobPayload
        var raw: JSONValue
        /// Files this request stored (not assets it referenced): discarded if the job is refused.
        var stored: [String]
    }

    func payload(_ inputs: EditInputs, identity: Identity, seed: UInt64) async throws -> Prepared {
        let userID = identity.userID
        let parser = runtime.parser
        let caps = try parser.capabilities(inputs.fields)
        try rules.check(images: inputs.images.map(\.info), mask: inputs.mask?.info, caps: caps, imageParam: inputs.imageParam)
        let request = try parser.parseEdit(inputs.fields, firstImage: inputs.images[0].info.size, seed: seed)
        // The plan and the prompt filter before any file is stored.
        try await runtime.accounts.check(request, identity: identity)

        // Only now, with everything valid, are new files stored.
        let assets = runtime.assetService
        var imageIDs: [String] = []
        var digests: [JSONValue] = []
        for item in inputs.images {
            let asset = try await store(item, role: "upload", userID: userID, assets: assets)
            imageIDs.append(asset.id)
            digests.append(.string(asset.sha256))
        }
        var maskID: String?
        if let mask = inputs.mask {
            let asset = try await store(mask, role: "mask", userID: userID, assets: assets)
            maskID = asset.id
            digests.append(.string("mask:" + asset.sha256))
        }
        // What the idempotency check compares: the fields plus the content of every file.
        var raw = inputs.fields
        raw["_inputs"] = .array(digests)
        let referenced = Set((inputs.images + (inputs.mask.map { [$0] } ?? [])).compactMap { $0.existing?.id })
        let stored = (imageIDs + (maskID.map { [$0] } ?? [])).filter { !referenced.contains($0) }
        return Prepared(payload: JobPayload(request: request, inputAssetIDs: imageIDs, maskAssetID: maskID, parentAssetID: imageIDs.first),
                        raw: .object(raw), stored: stored)
    }

    /// Removes the uploads of a refused (or replayed) edit, so no orphan files stay behind.
    func discard(_ prepared: Prepared) async {
        for id in prepared.stored {
            guard let keys = try? await runtime.assetStore.delete(assetID: id) else { continue }
            for key in keys { try? await runtime.blobs.delete(key: key) }
        }
    }

    private func store(_ item: EditInputs.Item, role: String, userID: String, assets: AssetService) async throws -> AssetRecord {
        if let existing = item.existing { return existing }
        guard let data = item.data else { throw EaselError.server("edit input without data") }
        return try await assets.storeInput(data, info: item.info, role: role, userID: userID)
    }

    /// Resolves a reference (JSON form or Easel API) to a checked input item owned by `userID`.
    func item(_ reference: EditInputs.Reference, param: String, userID: String) async throws -> EditInputs.Item {
        switch reference {
        case .data(let data):
            return EditInputs.Item(data: data, existing: nil, info: try rules.inspect(Array(data), param: param), param: param)
        case .asset(let id):
            let service = runtime.assetService
            let asset = try await service.asset(id: id, userID: userID, param: param)
            let data = try await service.data(of: asset)
            return EditInputs.Item(data: nil, existing: asset, info: try rules.inspect(Array(data), param: param), param: param)
        }
    }

    /// Whether a URL points at this Easel server (relative, or the host it is reached or published at).
    static func isLocalURL(_ url: URLComponents, requestHost: String?, publicBaseURL: String?) -> Bool {
        guard let host = url.host else { return url.scheme == nil }
        var known: Set<String> = ["127.0.0.1", "localhost", "::1"]
        if let requestHost { known.insert(String(requestHost.split(separator: ":").first ?? "").lowercased()) }
        if let publicBaseURL, let publicHost = URLComponents(string: publicBaseURL)?.host { known.insert(publicHost.lowercased()) }
        return known.contains(host.lowercased())
    }
}
