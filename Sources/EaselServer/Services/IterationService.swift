import EaselCore
import EaselImaging
import Foundation

/// The iteration loop over stored images: edit an asset, vary it, promote a preview to a final, upscale it.
/// Every new job links back to the asset it came from.
struct IterationService: Sendable {
    let assets: AssetService
    let edits: EditService
    let jobs: JobService
    let catalog: ModelCatalog

    static func newSeed() -> UInt64 { UInt64.random(in: 0...(1 << 53)) }

    /// `POST /api/assets/{id}/edits`: an edit job with the asset as its image (and an optional mask).
    func edit(assetID: String, body: [String: JSONValue], identity: Identity, isLocalURL: (URLComponents) -> Bool) async throws -> JobRecord {
        let asset = try await assets.asset(id: assetID, userID: identity.userID)
        var fields = body
        let mask = fields.removeValue(forKey: "mask")
        if fields["model"] == nil, let model = editModel(for: asset) { fields["model"] = .string(model) }
        return try await submitEdit(of: asset, fields: fields, mask: mask, identity: identity, isLocalURL: isLocalURL)
    }

    /// The asset's own model when it can edit (iterating on a draft stays a draft), else the default.
    func editModel(for asset: AssetRecord) -> String? {
        guard let caps = catalog.capabilities(for: asset.model), caps.supportsEdits else { return nil }
        return caps.id
    }

    func submitEdit(
        of asset: AssetRecord,
        fields: [String: JSONValue],
        mask: JSONValue?,
        identity: Identity,
        isLocalURL: (URLComponents) -> Bool
    ) async throws -> JobRecord {
        var inputs = EditInputs()
        inputs.imageParam = "id"
        let data = try await assets.data(of: asset)
        inputs.images = [EditInputs.Item(data: nil, existing: asset, info: try edits.rules.inspect(Array(data), param: "id"), param: "id")]
        if let mask, mask != .null {
            inputs.mask = try await edits.item(
                try EditInputs.reference(mask, param: "mask", isLocalURL: isLocalURL),
                param: "mask",
                userID: identity.userID
            )
        }
        inputs.fields = fields
        var prepared = try await edits.prepare(inputs, identity: identity, seed: Self.newSeed())
        prepared.payload.request.stream = prepared.payload.request.partialImages > 0
        prepared.payload.parentAssetID = asset.id
        return try await edits.submit(prepared, identity: identity, delivery: .none).job
    }

    /// The job that made an asset (an upload has none, so it has no brief to re-run).
    func sourceJob(of asset: AssetRecord, action: String, identity: Identity) async throws -> JobRecord {
        guard let jobID = asset.jobID, let job = try? await jobs.job(id: jobID, userID: identity.userID), job.kind != .upscale else {
            throw EaselError.invalidRequest(
                "Asset \(asset.id) is \(asset.role == .generated ? "an upscale" : "an upload"), so it has no brief to \(action). "
                    + "Edit it instead (POST /api/assets/\(asset.id)/edits).",
                param: "id",
                code: "no_brief"
            )
        }
        return job
    }

    /// Re-runs the asset's brief with some fields changed, through the same checks as a new request.
    func rerun(_ asset: AssetRecord, job: JobRecord, overrides: [String: JSONValue], seed: UInt64, identity: Identity) async throws -> JobRecord {
        var fields = job.payload.request.briefFields
        fields.removeValue(forKey: "seed")
        for (key, value) in overrides { fields[key] = value }
        var payload = job.payload
        let parser = catalog.parser
        if job.kind == .edit {
            let inputs = try await assets.records(ids: job.payload.inputAssetIDs).filter { $0.isVisible(to: identity.userID) }
            guard inputs.count == job.payload.inputAssetIDs.count, let first = inputs.first else {
                throw EaselError.invalidRequest("The images this asset was edited from are no longer stored.", param: "id", code: "input_missing")
            }
            payload.request = try parser.parseEdit(fields, firstImage: PixelSize(width: first.width, height: first.height), seed: seed)
            let caps = try parser.capabilities(fields)
            try edits.rules.check(
                images: inputs.map { EditInputInfo(format: $0.format, width: $0.width, height: $0.height, hasAlpha: false, bytes: $0.bytes) },
                mask: nil,
                caps: caps,
                imageParam: "id"
            )
            if job.payload.maskAssetID != nil && !caps.supportsMask {
                throw EaselError.invalidRequest("\(caps.id) does not take the mask this edit used.", param: "model", code: "unsupported_parameter")
            }
        } else {
            payload.request = try parser.parse(.object(fields), seed: seed)
        }
        payload.request.stream = payload.request.partialImages > 0
        payload.parentAssetID = asset.id
        var raw = fields
        raw["_from"] = .string(asset.id)
        raw["_seed"] = .number(Double(seed))
        return try await jobs.enqueue(
            .init(kind: job.kind, payload: payload, userID: identity.userID, rawRequest: .object(raw), identity: identity)
        ).job
    }

    /// `POST /api/assets/{id}/variations {n}`: the same brief and parameters with a new seed.
    func variations(assetID: String, body: [String: JSONValue], identity: Identity) async throws -> JobRecord {
        let asset = try await assets.asset(id: assetID, userID: identity.userID)
        let job = try await sourceJob(of: asset, action: "vary", identity: identity)
        let n = try FieldReader(fields: body).integer("n") ?? 1
        return try await rerun(asset, job: job, overrides: ["n": .int(n)], seed: Self.newSeed(), identity: identity)
    }

    /// `POST /api/assets/{id}/promote {quality, size, model}`: the preview's brief at final quality.
    func promote(assetID: String, body: [String: JSONValue], identity: Identity) async throws -> JobRecord {
        let asset = try await assets.asset(id: assetID, userID: identity.userID)
        let job = try await sourceJob(of: asset, action: "promote", identity: identity)
        var overrides: [String: JSONValue] = ["n": .int(1), "quality": .string("high")]
        for key in ["quality", "size", "model", "output_format", "output_compression", "background"] {
            if let value = body[key], value != .null { overrides[key] = value }
        }
        // The same seed: on a seeded model the final keeps the preview's composition.
        let seed = job.payload.request.seed &+ UInt64(asset.index)
        return try await rerun(asset, job: job, overrides: overrides, seed: seed, identity: identity)
    }

    /// `POST /api/assets/{id}/upscale {factor: 2|4}`: a post-process job (lanczos3 + mild sharpen).
    func upscale(assetID: String, body: [String: JSONValue], identity: Identity) async throws -> JobRecord {
        let asset = try await assets.asset(id: assetID, userID: identity.userID)
        let factor = try FieldReader(fields: body).integer("factor") ?? 2
        guard factor == 2 || factor == 4 else {
            throw EaselError.invalidRequest("Invalid 'factor': \(factor). Upscaling takes 2 or 4.", param: "factor")
        }
        let size = PixelSize(width: asset.width, height: asset.height)
        if let reason = Upscaler.violation(for: size, factor: factor) {
            throw EaselError.invalidRequest(reason, param: "factor", code: "image_too_large")
        }
        let enlarged = PixelSize(width: size.width * factor, height: size.height * factor)
        let request = ImageRequest(
            prompt: asset.prompt.isEmpty ? "upscale of \(asset.id)" : asset.prompt,
            model: asset.model.isEmpty ? "easel-upscale" : asset.model,
            size: .fixed(enlarged),
            resolvedSize: enlarged,
            outputFormat: asset.format
        )
        let payload = JobPayload(request: request, inputAssetIDs: [asset.id], parentAssetID: asset.id, upscaleFactor: factor)
        let raw: JSONValue = .object(["upscale": .string(asset.id), "factor": .int(factor)])
        return try await jobs.enqueue(.init(kind: .upscale, payload: payload, userID: identity.userID, rawRequest: raw, identity: identity)).job
    }
}
