import EaselCore
import EaselStore

/// Review: each asset's state with its history, a checklist against the template's policy, evidence Easel
/// already has (cost, repeatability, the brief's constraints, the requested text), alt text required to
/// approve, a queue, a batch sent to review whole, and an approved image saved as a template.
public struct ReviewService: Sendable {
    let curation: any CurationStore
    let assets: AssetService
    let templates: TemplateService
    let policies: ReviewPolicies
    let jobs: any JobStore
    let ledger: any LedgerStore
    let ids: IDGenerator
    let clock: any EaselClock

    /// Review events shown with an asset's state.
    static let historyLimit = 100

    public struct State: Sendable {
        public var asset: AssetRecord
        public var policy: ReviewPolicy
        public var events: [ReviewEvent]
        public var suggestedAltText: String
        public var evidence: JSONValue
    }

    /// The asset a review route may act on: the caller's own, or (for admins and reviewers) anyone's that is
    /// not hidden. 404 otherwise.
    func target(_ id: String, identity: Identity) async throws -> AssetRecord {
        if identity.isReviewer, let asset = try await assets.anyAsset(id: id), asset.hiddenAt == nil, asset.role == .generated { return asset }
        let asset = try await assets.asset(id: id, userID: identity.userID)
        guard asset.role == .generated else { throw EaselError.notFound("asset", id: id, param: "id") }
        return asset
    }

    func policy(of asset: AssetRecord) async throws -> ReviewPolicy { try await policies.policy(of: asset) }

    public func state(_ id: String, identity: Identity) async throws -> State {
        try await state(of: try await target(id, identity: identity))
    }

    func state(of asset: AssetRecord) async throws -> State {
        let policy = try await policy(of: asset)
        let suggestion = AltText.suggest(brief: asset.origin?.brief, variables: asset.origin?.variables ?? [:], prompt: asset.prompt)
        return State(
            asset: asset,
            policy: policy,
            // Bounded: the newest decisions tell the story; an asset reviewed more often shows its latest.
            events: try await curation.reviewEvents(assetID: asset.id, limit: Self.historyLimit),
            suggestedAltText: suggestion,
            evidence: try await evidence(for: asset)
        )
    }

    /// What Easel knows for the checklist: the cost, how often this template version's images were approved,
    /// the constraints to check by eye, and the text the image was asked to carry.
    func evidence(for asset: AssetRecord) async throws -> JSONValue {
        var object: [String: JSONValue] = [:]
        if let job = asset.jobID, let cost = try await ledger.settledCosts(jobIDs: [job])[job] {
            object["cost"] = .object(["usd": .string(Money.usd(cost)), "micros": .number(Double(cost))])
        } else {
            object["cost"] = .null
        }
        if let template = asset.origin?.template {
            let tally = try await curation.reviewTally(templateRef: template)
            object["repeatability"] = .object([
                "template": .string(template), "approved": .int(tally.approved), "reviewed": .int(tally.reviewed),
            ])
        } else {
            object["repeatability"] = .null
        }
        let brief = asset.origin?.brief
        var constraints: [JSONValue] = []
        if let c = brief?.constraints {
            if c.noText { constraints.append("no text in the image") }
            if c.noWatermark { constraints.append("no watermark") }
            if c.noLogos { constraints.append("no logos") }
            if c.noPeople { constraints.append("no people or faces") }
            if let edge = c.headlineSpace { constraints.append(.string("empty space for a headline at the \(edge.rawValue)")) }
            if let background = c.background { constraints.append(.string("\(background.rawValue) background")) }
        }
        for avoid in brief?.avoid ?? [] { constraints.append(.string("avoid: \(avoid)")) }
        object["constraints"] = .array(constraints)
        object["requested_text"] = .optional(brief?.headline ?? brief?.text)
        return .object(object)
    }

    /// Records a review: `status`, `checklist`, `alt_text`, `note`. Approving needs alt text (given now, or a
    /// person's stored earlier) and a checklist that fails nothing and answers every required key.
    public func review(_ id: String, body: [String: JSONValue], identity: Identity) async throws -> State {
        let asset = try await target(id, identity: identity)
        let fields = try JSONValue.object(body).members(known: ["status", "checklist", "alt_text", "note"], param: nil)
        let reader = FieldReader(fields: fields)
        guard let statusText = try reader.string("status") else { throw EaselError.missing("status") }
        guard let status = ReviewStatus(rawValue: statusText), status != .unreviewed else {
            throw EaselError.invalidRequest(
                "Invalid status '\(statusText)'. Use in_review, approved, rejected or changes_requested.",
                param: "status"
            )
        }
        let policy = try await policy(of: asset)
        let checklist = try policy.checklist(fields["checklist"])
        var altText = try reader.string("alt_text")?.trimmingWhitespace
        if altText?.isEmpty == true { altText = nil }
        if let altText, altText.count > AltText.maxLength {
            throw EaselError.invalidRequest("Alt text is at most \(AltText.maxLength) characters.", param: "alt_text")
        }
        let note = try reader.string("note")
        if let note, note.count > 4000 { throw EaselError.invalidRequest("A note is at most 4,000 characters.", param: "note") }
        if status == .approved {
            let stored = asset.altSource == .human ? asset.altText : nil
            guard altText != nil || stored != nil else {
                let suggestion = AltText.suggest(brief: asset.origin?.brief, variables: asset.origin?.variables ?? [:], prompt: asset.prompt)
                throw EaselError.invalidRequest(
                    "Alt text is required to approve. Send 'alt_text' (suggested from the brief: \"\(suggestion)\").",
                    param: "alt_text",
                    code: "alt_text_required"
                )
            }
            if let refusal = policy.refusal(toApprove: checklist) { throw refusal }
        }
        let now = clock.nowMillis()
        let event = ReviewEvent(
            id: ids.make(prefix: "rev", millis: now),
            assetID: asset.id,
            actorID: identity.userID,
            status: status,
            checklist: checklist,
            altText: altText,
            note: note,
            createdAt: now
        )
        try await curation.recordReview(event, ownerID: asset.userID, altText: altText, altSource: altText == nil ? nil : .human)
        return try await state(id, identity: identity)
    }

    /// Assets in `status`, newest first: the caller's own, or everyone's for admins and reviewers.
    public func queue(status: ReviewStatus, identity: Identity, after: String?, limit: Int) async throws -> Page<AssetRecord> {
        var query = AssetQuery(userID: identity.isReviewer ? nil : identity.userID)
        query.review = status
        query.after = after
        query.limit = limit
        return try await curation.search(query)
    }

    /// Sends the batch's unreviewed images to review; returns how many went.
    public func sendBatch(_ batchID: String, identity: Identity) async throws -> Int {
        var query = AssetQuery(userID: identity.userID)
        query.batchID = batchID
        query.review = .unreviewed
        query.limit = 200
        var sent = 0
        while true {
            // Each page leaves `unreviewed` as it is sent, so the next page starts over.
            let page = try await curation.search(query)
            for asset in page.items {
                let now = clock.nowMillis()
                let event = ReviewEvent(
                    id: ids.make(prefix: "rev", millis: now),
                    assetID: asset.id,
                    actorID: identity.userID,
                    status: .inReview,
                    checklist: [],
                    altText: nil,
                    note: "sent to review with batch \(batchID)",
                    createdAt: now
                )
                try await curation.recordReview(event, ownerID: asset.userID, altText: nil, altSource: nil)
                sent += 1
            }
            guard page.hasMore else { break }
        }
        if sent == 0 {
            // Nothing left unreviewed, or no such batch of the caller's (404, never confirming another's).
            var any = AssetQuery(userID: identity.userID)
            any.batchID = batchID
            any.limit = 1
            if try await curation.search(any).items.isEmpty { throw EaselError.notFound("batch", id: batchID, param: "id") }
        }
        return sent
    }

    /// An approved image's whole brief, variables, model and parameters as a template: a new version of the
    /// caller's template it came from, or a new template; the image becomes its example.
    public func saveAsTemplate(_ id: String, body: [String: JSONValue], identity: Identity) async throws -> Template {
        let asset = try await assets.asset(id: id, userID: identity.userID)
        guard asset.reviewStatus == .approved else {
            throw EaselError.conflict(
                "Asset \(id) is \(asset.reviewStatus.rawValue); only approved images are saved as templates.",
                code: "not_approved"
            )
        }
        let fields = try JSONValue.object(body).members(known: ["name", "new"], param: nil)
        let reader = FieldReader(fields: fields)
        let origin = asset.origin ?? CreativeOrigin()
        var job: JobRecord?
        if let jobID = asset.jobID { job = try await jobs.job(id: jobID) }
        var source: Template?
        if let reference = origin.template { source = try await templates.find(reference, identity: identity) }
        var brief = origin.brief ?? Brief(subject: asset.prompt)
        // Variables keep their placeholders; a brief without a template is saved with its values filled in.
        if source == nil, !origin.variables.isEmpty {
            brief = try brief.mapText { _, text in
                var out = text
                for (name, value) in origin.variables { out = out.replacingOccurrences(of: "{\(name)}", with: value) }
                return out
            }
        }
        var object: [String: JSONValue] = [
            "name": .string(try reader.string("name") ?? source?.name ?? "From \(asset.id)"),
            "description": .string(source?.description ?? "Saved from approved image \(asset.id)."),
            "job_type": .string(source?.jobType ?? "custom"),
            "brief": brief.json,
            "defaults": .object([
                "model": .string(asset.model),
                "quality": .optional(job?.payload.request.quality),
                "output_format": .string(asset.format.rawValue),
                "brand_kit": .optional(origin.brandKit),
            ]),
            "example_asset": .string(asset.id),
        ]
        if let source {
            object["variables"] = Template.variablesJSON(source.variables)
            if !source.review.isEmpty { object["review"] = source.review.json }
        }
        if let source, !source.builtIn, source.id.hasPrefix("tpl_"), try reader.bool("new") != true,
            (try? await templates.editable(source.id, identity: identity)) != nil
        {
            return try await templates.update(source.id, body: .object(object), expected: nil, identity: identity)
        }
        return try await templates.create(body: .object(object), identity: identity)
    }
}
