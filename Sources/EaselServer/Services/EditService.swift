import EaselCore
import Foundation

/// Edits from checked inputs to a job: validates the images against the model, parses the fields, screens
/// the request, stores new files as assets (only then), links the result to its first input for lineage,
/// and removes what it stored if the job is refused or answered by an earlier one.
struct EditService: Sendable {
    let assets: AssetService
    let jobs: JobService
    let catalog: ModelCatalog
    let rules: EditInputRules

    /// An edit ready to submit.
    public struct Prepared: Sendable {
        var payload: JobPayload
        var raw: JSONValue
        /// Files this request stored (not assets it referenced): discarded if the job is refused.
        var stored: [String]

        public var request: ImageRequest { payload.request }
    }

    /// Checks and stores an edit's inputs and parses its fields.
    public func prepare(_ inputs: EditInputs, identity: Identity, seed: UInt64) async throws -> Prepared {
        let parser = catalog.parser
        let caps = try parser.capabilities(inputs.fields)
        try rules.check(images: inputs.images.map(\.info), mask: inputs.mask?.info, caps: caps, imageParam: inputs.imageParam)
        let request = try parser.parseEdit(inputs.fields, firstImage: inputs.images[0].info.size, seed: seed)
        // The plan and the prompt filter before any file is stored.
        try await jobs.screen(request, identity: identity)

        // Only now, with everything valid, are new files stored.
        var imageIDs: [String] = []
        var digests: [JSONValue] = []
        for item in inputs.images {
            let asset = try await store(item, role: .upload, userID: identity.userID)
            imageIDs.append(asset.id)
            digests.append(.string(asset.sha256))
        }
        var maskID: String?
        if let mask = inputs.mask {
            let asset = try await store(mask, role: .mask, userID: identity.userID)
            maskID = asset.id
            digests.append(.string("mask:" + asset.sha256))
        }
        // What the idempotency check compares: the fields plus the content of every file.
        var raw = inputs.fields
        raw["_inputs"] = .array(digests)
        let referenced = Set((inputs.images + (inputs.mask.map { [$0] } ?? [])).compactMap { $0.existing?.id })
        let stored = (imageIDs + (maskID.map { [$0] } ?? [])).filter { !referenced.contains($0) }
        let payload = JobPayload(request: request, inputAssetIDs: imageIDs, maskAssetID: maskID, parentAssetID: imageIDs.first)
        return Prepared(payload: payload, raw: .object(raw), stored: stored)
    }

    /// Submits a prepared edit; if it is refused (quota, budget…) or answered by an earlier job (a replayed
    /// idempotency key), the files this request uploaded are removed again.
    public func submit(
        _ prepared: Prepared,
        identity: Identity,
        idempotencyKey: String? = nil,
        groupID: String? = nil,
        delivery: JobService.Delivery
    ) async throws -> JobService.Submitted {
        let submission = JobService.Submission(
            kind: .edit,
            payload: prepared.payload,
            userID: identity.userID,
            rawRequest: prepared.raw,
            idempotencyKey: idempotencyKey,
            groupID: groupID,
            identity: identity
        )
        do {
            let submitted = try await jobs.submit(submission, delivery: delivery)
            if !submitted.isNew { await discard(prepared) }
            return submitted
        } catch {
            await discard(prepared)
            throw error
        }
    }

    /// Removes the uploads of a refused (or replayed) edit, so no orphan files stay behind.
    func discard(_ prepared: Prepared) async {
        for id in prepared.stored { try? await assets.delete(assetID: id) }
    }

    private func store(_ item: EditInputs.Item, role: AssetRole, userID: String) async throws -> AssetRecord {
        if let existing = item.existing { return existing }
        guard let data = item.data else { throw EaselError.server("edit input without data") }
        return try await assets.storeInput(data, info: item.info, role: role, userID: userID)
    }

    /// Resolves a reference (JSON form or Easel API) to a checked input item the caller may use.
    public func item(_ reference: EditInputs.Reference, param: String, userID: String) async throws -> EditInputs.Item {
        switch reference {
        case .data(let data):
            return EditInputs.Item(data: data, existing: nil, info: try rules.inspect(Array(data), param: param), param: param)
        case .asset(let id):
            let asset = try await assets.asset(id: id, userID: userID, param: param)
            let data = try await assets.data(of: asset)
            return EditInputs.Item(data: nil, existing: asset, info: try rules.inspect(Array(data), param: param), param: param)
        }
    }

    /// The JSON form of `/v1/images/edits`: `images: [{image_url} | {file_id}]` and an optional `mask`.
    public func inputs(json fields: [String: JSONValue], userID: String, isLocalURL: (URLComponents) -> Bool) async throws -> EditInputs {
        let form = try EditInputs.JSONForm(fields)
        var inputs = EditInputs()
        inputs.imageParam = "images"
        for (index, value) in form.images.enumerated() {
            let param = "images[\(index)]"
            inputs.images.append(try await item(try EditInputs.reference(value, param: param, isLocalURL: isLocalURL), param: param, userID: userID))
        }
        if let mask = form.mask {
            inputs.mask = try await item(try EditInputs.reference(mask, param: "mask", isLocalURL: isLocalURL), param: "mask", userID: userID)
        }
        inputs.fields = form.fields
        return inputs
    }
}
