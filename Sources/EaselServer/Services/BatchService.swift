import EaselCore
import EaselStore
import Foundation

/// Batches: a template (or brief) with rows, variants and axes, expanded into items, checked whole, reserved
/// whole in one admission, and run as one job per item in the batch's group. Each item settles or is refunded
/// on its own; failed items can be run again; the results export as a zip with a manifest.
struct BatchService: Sendable {
    let store: any BatchStore
    let upstream: any UpstreamBatchStore
    let briefs: BriefService
    let jobs: JobService
    let billing: BillingService
    let assets: AssetService
    let catalog: ModelCatalog
    let economy: EconomyPolicy
    let ids: IDGenerator
    let clock: any EaselClock

    /// Who asks, and whether their items are billed (the operator's CLI is not).
    struct Requester: Sendable {
        var identity: Identity
        var billed = true
    }

    /// One item as planned: the request it becomes and what it is estimated at.
    struct PlannedItem: Sendable {
        var index: Int
        var row: Int
        var variables: [String: String]
        var request: ImageRequest
        var origin: CreativeOrigin
        var estimateMicros: Int64
        /// The economy tier's decision for this item (nil: standard).
        var economy: EconomyRoute?
        /// At the table price.
        var standardEstimateMicros: Int64
    }

    struct Planned: Sendable {
        var items: [PlannedItem]
        var templateRef: String?
        var cache: Bool
        var priority: Int
        var spec: JSONValue
        var tier: ServiceTier
        var totalEstimateMicros: Int64 { items.reduce(0) { $0 + $1.estimateMicros } }
        var totalStandardMicros: Int64 { items.reduce(0) { $0 + $1.standardEstimateMicros } }
        /// Each economy decision once (per model), in item order.
        var economyRoutes: [EconomyRoute] {
            var seen: [EconomyRoute] = []
            for item in items { if let route = item.economy, !seen.contains(route) { seen.append(route) } }
            return seen
        }
    }

    /// What a batch is now: its items' latest jobs, counts by state, cost so far and an ETA.
    struct Summary: Sendable {
        var batch: StoredBatch
        /// The newest job of each item, by item index.
        var items: [Int: JobRecord]
        var counts: [JobStatus: Int]
        var costMicros: Int64
        var etaSeconds: Int?
        /// The provider batches its economy items were sent in.
        var upstream: [UpstreamBatch] = []
        var isFinished: Bool { counts.filter { !$0.key.isTerminal }.values.reduce(0, +) == 0 }
    }

    // MARK: Planning

    /// Expands and checks a batch request (`csv`: an uploaded table, if any) without changing anything.
    func plan(_ body: [String: JSONValue], csv: CSVTable?, requester: Requester) async throws -> Planned {
        let identity = requester.identity
        var fields = body
        let rowsValue = fields.removeValue(forKey: "rows")
        let csvText = fields.removeValue(forKey: "csv")
        let models = try Brief.list(fields.removeValue(forKey: "models"), param: "models")
        let sizes = try Brief.list(fields.removeValue(forKey: "sizes"), param: "sizes")
        let mode = try Self.mode(fields.removeValue(forKey: "variants"))
        fields.removeValue(forKey: "dry_run")
        let priority = try JobPriority.read(fields)
        fields.removeValue(forKey: "priority")
        let tier = try ServiceTier.read(fields)
        fields.removeValue(forKey: "service_tier")
        for (index, model) in models.enumerated() { _ = try catalog.require(model, param: "models[\(index)]") }

        // The brief, template, kit and defaults, resolved once.
        let baseVariables = try BriefService.variables(fields.removeValue(forKey: "variables"), param: "variables")
        var template: Template?
        var brief: Brief
        let kitRef = fields["brand_kit"]?.stringValue
        if let reference = fields.removeValue(forKey: "template")?.stringValue {
            template = try await briefs.templates.resolve(reference, identity: identity, param: "template")
            brief = template!.brief
            template!.defaults.fill(&fields)
        } else if let value = fields.removeValue(forKey: "brief"), value != .null {
            brief = try Brief(json: value)
        } else {
            throw EaselError.invalidRequest(
                "A batch needs a 'template' (with rows of variables) or a 'brief'.",
                param: "template",
                code: "missing_required_parameter"
            )
        }
        if let prompt = fields["prompt"], prompt != .null {
            throw EaselError.invalidRequest("A batch compiles its prompts from the brief; send no 'prompt'.", param: "prompt")
        }
        fields.removeValue(forKey: "brand_kit")
        let cache = try BriefService.cacheMode(fields.removeValue(forKey: "cache"), param: "cache") ?? template?.defaults.cache ?? false
        var kit: BrandKit?
        if let reference = kitRef ?? template?.defaults.brandKit {
            kit = try await briefs.kits.resolve(reference, identity: identity, param: kitRef != nil ? "brand_kit" : "template")
        }
        if fields["model"] == nil, let model = kit?.defaultModel { fields["model"] = .string(model) }
        if fields["quality"] == nil, let quality = kit?.defaultQuality { fields["quality"] = .string(quality) }

        // Rows: JSON objects, an inline CSV, or an uploaded one; each under the batch's own variables.
        var rows = try Self.rows(rowsValue, csvText: csvText, upload: csv, template: template, maxRows: identity.plan.maxBatchItems)
        if rows.isEmpty && !baseVariables.isEmpty { rows = [[:]] }
        rows = rows.map { baseVariables.merging($0) { _, row in row } }

        let expanded = try BatchPlan(
            brief: brief,
            template: template,
            rows: rows,
            models: models,
            sizes: sizes,
            mode: mode,
            maxItems: identity.plan.maxBatchItems
        )
        let parser = catalog.parser
        // A size the request states holds for every item, unless a sizes axis varies it.
        let explicitSize = fields["size"] != nil && fields["size"] != .null && sizes.isEmpty
        let outputFormat = (fields["output_format"]?.stringValue).flatMap(ImageFormat.init(rawValue:)) ?? .png
        var items: [PlannedItem] = []
        items.reserveCapacity(expanded.items.count)
        var compiledFor: [String: ModelCapabilities] = [:]
        for item in expanded.items {
            var itemFields = fields
            if let model = item.model { itemFields["model"] = .string(model) }
            let model = itemFields["model"]?.stringValue ?? catalog.defaultModel
            let caps: ModelCapabilities
            if let known = compiledFor[model] {
                caps = known
            } else {
                caps = try catalog.require(model)
                compiledFor[model] = caps
            }
            let request: ImageRequest
            var route: EconomyRoute?
            do {
                let compiled = try BriefCompiler.compile(item.brief, caps: caps, kit: kit, outputFormat: outputFormat, param: "rows[\(item.row)]")
                itemFields["prompt"] = .string(compiled.prompt)
                if !explicitSize { itemFields["size"] = .string(compiled.size.description) }
                if compiled.background == ImageBackground.transparent && itemFields["background"] == nil { itemFields["background"] = "transparent" }
                var parsed = try parser.parse(.object(itemFields), seed: UInt64.random(in: 0...(1 << 53)))
                parsed.stream = parsed.partialImages > 0
                try billing.checkPlan(parsed, identity: identity)
                request = parsed
                // Every item is checked: a size the provider batch cannot take is refused naming its row.
                if tier == .economy { route = try economy.route(for: request, kind: .generate) }
            } catch var error as EaselError {
                error.message = "Item \(item.index) (row \(item.row + 1)): " + error.message
                throw error
            }
            var origin = CreativeOrigin(brief: item.brief, template: template?.reference, variables: item.variables, brandKit: kit?.id)
            origin.batchIndex = item.index
            origin.batchRow = item.row
            items.append(
                PlannedItem(
                    index: item.index,
                    row: item.row,
                    variables: item.variables,
                    request: request,
                    origin: origin,
                    estimateMicros: billing.estimate(request, percent: route?.pricePercent ?? 100),
                    economy: route,
                    standardEstimateMicros: billing.estimate(request)
                )
            )
        }
        var spec = body
        spec.removeValue(forKey: "csv")
        spec["rows_count"] = .int(rows.count)
        return Planned(items: items, templateRef: template?.reference, cache: cache, priority: priority, spec: .object(spec), tier: tier)
    }

    static func mode(_ value: JSONValue?) throws -> BatchPlan.VariantMode {
        guard let value, value != .null else { return .combinatorial }
        guard case .object(let fields) = value else { throw EaselError.invalidType("variants", expected: "an object", got: value) }
        let reader = FieldReader(fields: fields)
        switch try reader.string("mode") ?? "combinatorial" {
        case "combinatorial": return .combinatorial
        case "random":
            let count = try reader.integer("count") ?? 1
            guard count >= 1 else { throw EaselError.invalidRequest("'variants.count' must be at least 1.", param: "variants.count") }
            return .random(count: count, seed: try reader.seed("seed") ?? UInt64.random(in: 0...(1 << 53)))
        case let other:
            throw EaselError.invalidRequest("Invalid variants mode '\(other)'. Use combinatorial or random.", param: "variants.mode")
        }
    }

    /// Rows from `rows` (objects), `csv` (text) or an upload; a CSV's header must name the template's variables.
    static func rows(_ value: JSONValue?, csvText: JSONValue?, upload: CSVTable?, template: Template?, maxRows: Int) throws -> [[String: String]] {
        var table = upload
        if let csvText, csvText != .null {
            guard case .string(let text) = csvText else { throw EaselError.invalidType("csv", expected: "CSV text", got: csvText) }
            table = try CSVTable(bytes: Array(text.utf8), maxRows: maxRows)
        }
        if let table {
            if let value, value != .null { throw EaselError.invalidRequest("Send rows either as 'rows' or as CSV, not both.", param: "rows") }
            if let template {
                let names = Set(template.variables.map(\.name))
                if let unknown = table.header.first(where: { !names.contains($0) }) {
                    throw EaselError.invalidRequest(
                        "The CSV column '\(unknown)' is not a variable of template '\(template.id)' (\(template.variables.map(\.name).joined(separator: ", "))).",
                        param: "csv.header",
                        code: "invalid_csv"
                    )
                }
            }
            return table.records
        }
        switch value {
        case nil, .null?: return []
        case .array(let items)?:
            guard items.count <= maxRows else {
                throw EaselError.invalidRequest("\(items.count) rows; one batch may have at most \(maxRows).", param: "rows", code: "batch_too_large")
            }
            return try items.enumerated().map { index, item in
                guard case .object = item else { throw EaselError.invalidType("rows[\(index)]", expected: "an object of variables", got: item) }
                return try BriefService.variables(item, param: "rows[\(index)]")
            }
        case let other?: throw EaselError.invalidType("rows", expected: "a list of objects", got: other)
        }
    }

    // MARK: Running

    /// Admits the whole batch (or refuses it whole) and queues one job per item.
    func create(_ planned: Planned, requester: Requester, webhookEndpointID: String? = nil) async throws -> Summary {
        let identity = requester.identity
        let now = clock.nowMillis()
        let batchID = ids.make(prefix: "bat", millis: now)
        let jobIDs = planned.items.map { _ in jobs.newJobID() }
        try await admit(planned.items, jobIDs: jobIDs, requester: requester)
        var batch = StoredBatch(
            id: batchID,
            userID: identity.userID,
            spec: planned.spec,
            itemCount: planned.items.count,
            templateRef: planned.templateRef,
            createdAt: now
        )
        batch.webhookEndpointID = webhookEndpointID
        do {
            try await store.create(batch)
        } catch {
            await refund(jobIDs, requester: requester)
            throw error
        }
        try await enqueue(planned.items, jobIDs: jobIDs, batchID: batchID, cache: planned.cache, priority: planned.priority, requester: requester)
        return try await summary(of: batch)
    }

    /// Runs the failed items of a batch again (each a new job, admitted together).
    func retry(_ id: String, requester: Requester) async throws -> Summary {
        let before = try await summary(id, identity: requester.identity)
        let failed = before.items.values.filter { $0.status == .failed }.sorted {
            ($0.payload.origin?.batchIndex ?? 0) < ($1.payload.origin?.batchIndex ?? 0)
        }
        guard !failed.isEmpty else {
            throw EaselError.conflict("Batch \(id) has no failed items to run again.", code: "nothing_to_retry")
        }
        // Economy items stay economy, routed as the config says now.
        let items = try failed.map { job in
            let route = job.payload.tier == .economy ? try economy.route(for: job.payload.request, kind: .generate) : nil
            return PlannedItem(
                index: job.payload.origin?.batchIndex ?? 0,
                row: job.payload.origin?.batchRow ?? 0,
                variables: job.payload.origin?.variables ?? [:],
                request: job.payload.request,
                origin: job.payload.origin ?? CreativeOrigin(),
                estimateMicros: billing.estimate(job.payload.request, percent: route?.pricePercent ?? 100),
                economy: route,
                standardEstimateMicros: billing.estimate(job.payload.request)
            )
        }
        let jobIDs = items.map { _ in jobs.newJobID() }
        try await admit(items, jobIDs: jobIDs, requester: requester)
        try await enqueue(items, jobIDs: jobIDs, batchID: id, cache: false, priority: failed[0].priority, requester: requester)
        return try await summary(of: before.batch)
    }

    /// Cancels every item that has not finished (each is refunded); what finished stays.
    func cancel(_ id: String, identity: Identity) async throws -> Summary {
        let before = try await summary(id, identity: identity)
        for job in before.items.values where !job.status.isTerminal {
            _ = try? await jobs.cancel(id: job.id, userID: identity.userID)
        }
        return try await summary(of: before.batch)
    }

    private func admit(_ items: [PlannedItem], jobIDs: [String], requester: Requester) async throws {
        let identity = requester.identity
        guard requester.billed, !identity.plan.limitsNothing else { return }
        let admission = zip(items, jobIDs).map { item, jobID in
            AdmissionItem(jobID: jobID, model: item.request.model, images: item.request.n, estimateMicros: item.estimateMicros)
        }
        _ = try await billing.admitBatch(admission, identity: identity)
    }

    private func refund(_ jobIDs: some Sequence<String>, requester: Requester) async {
        guard requester.billed, !requester.identity.plan.limitsNothing else { return }
        for id in jobIDs { await billing.refund(jobID: id) }
    }

    /// Queues the items many at a time, so the queue's group commit writes them in a few transactions (and
    /// the reservations wait as briefly as possible for their jobs). Items not queued give their reservations back.
    private func enqueue(_ items: [PlannedItem], jobIDs: [String], batchID: String, cache: Bool, priority: Int, requester: Requester) async throws {
        let identity = requester.identity
        let jobs = self.jobs
        let submissions = zip(items, jobIDs).map { item, jobID -> (JobService.Submission, String) in
            var payload = JobPayload(request: item.request)
            payload.origin = item.origin
            var submission = JobService.Submission(
                payload: payload,
                userID: identity.userID,
                rawRequest: .object(["batch": .string(batchID), "index": .int(item.index)]),
                priority: priority,
                groupID: batchID,
                identity: requester.billed ? identity : nil
            )
            submission.cache = cache
            if let route = item.economy { EconomyPolicy.apply(route, to: &submission) }
            return (submission, jobID)
        }
        let failures = await withTaskGroup(of: (String, (any Error)?).self) { group -> [(String, any Error)] in
            var next = submissions.makeIterator()
            var failures: [(String, any Error)] = []
            func start() -> Bool {
                guard let (submission, jobID) = next.next() else { return false }
                group.addTask {
                    do {
                        _ = try await jobs.enqueueAdmitted(submission, id: jobID)
                        return (jobID, nil)
                    } catch {
                        return (jobID, error)
                    }
                }
                return true
            }
            for _ in 0..<Self.enqueueWidth where start() {}
            while let (jobID, error) = await group.next() {
                if let error { failures.append((jobID, error)) }
                _ = start()
            }
            return failures
        }
        if let (_, error) = failures.first {
            await refund(failures.map(\.0), requester: requester)
            throw error
        }
    }

    /// Items queued at once.
    static let enqueueWidth = 64

    // MARK: Reading

    func summary(_ id: String, identity: Identity) async throws -> Summary {
        guard EaselID.isValid(id, prefix: "bat"), let batch = try await store.batch(id: id), batch.userID == identity.userID else {
            throw EaselError.notFound("batch", id: id, param: "id")
        }
        return try await summary(of: batch)
    }

    func summary(of batch: StoredBatch) async throws -> Summary {
        var latest: [Int: JobRecord] = [:]
        for job in try await jobs.groupJobs(batch.id, userID: batch.userID) {
            guard let index = job.payload.origin?.batchIndex else { continue }
            if let current = latest[index], current.id > job.id { continue }
            latest[index] = job
        }
        var counts: [JobStatus: Int] = [:]
        for job in latest.values { counts[job.status, default: 0] += 1 }
        let cost = latest.values.filter { $0.status == .succeeded }.reduce(Int64(0)) { $0 + billing.cost(of: $1) }
        // ETA from the throughput so far: finished items per second since the batch began.
        let finished = latest.values.filter(\.status.isTerminal).count
        let remaining = latest.count - finished
        var eta: Int?
        let elapsed = Double(clock.nowMillis() - batch.createdAt) / 1000
        if remaining > 0, finished > 0, elapsed > 0 { eta = Int((Double(remaining) / (Double(finished) / elapsed)).rounded(.up)) }
        let sent = Set(latest.values.compactMap(\.upstreamBatchID))
        let upstream = try await self.upstream.batches(ids: sent.sorted())
        return Summary(batch: batch, items: latest, counts: counts, costMicros: cost, etaSeconds: eta, upstream: upstream)
    }

    func list(identity: Identity, before: String?, limit: Int) async throws -> Page<StoredBatch> {
        try await store.batches(userID: identity.userID, before: before, limit: limit)
    }

    /// The batch's finished images and a manifest of every item, for the zip export.
    struct Export: Sendable {
        struct Row: Sendable {
            var index: Int
            var job: JobRecord
            var assets: [AssetRecord]
            var fileNames: [String]
            var costMicros: Int64
        }

        var rows: [Row]
        var totalBytes: Int64

        /// One line per item: row, variables, compiled prompt, model, size, status, assets, files and cost.
        func manifest(batchID: String) -> (csv: String, json: JSONValue) {
            var lines: [[String]] = []
            var records: [JSONValue] = []
            for row in rows {
                let job = row.job
                let variables = job.payload.origin?.variables ?? [:]
                let rowNumber = (job.payload.origin?.batchRow ?? 0) + 1
                let size = job.payload.request.resolvedSize.description
                lines.append([
                    String(row.index), String(rowNumber), variables.keys.sorted().map { "\($0)=\(variables[$0]!)" }.joined(separator: "; "),
                    job.payload.request.prompt, job.model, size, job.status.rawValue, row.assets.map(\.id).joined(separator: " "),
                    row.fileNames.joined(separator: " "), Money.usd(row.costMicros),
                ])
                records.append(
                    .object([
                        "index": .int(row.index), "row": .int(rowNumber), "variables": .object(variables.mapValues(JSONValue.string)),
                        "prompt": .string(job.payload.request.prompt), "model": .string(job.model), "size": .string(size),
                        "status": .string(job.status.rawValue), "job_id": .string(job.id), "asset_ids": .array(row.assets.map { .string($0.id) }),
                        "files": .array(row.fileNames.map(JSONValue.string)), "cost_usd": .string(Money.usd(row.costMicros)),
                    ])
                )
            }
            let header = ["index", "row", "variables", "prompt", "model", "size", "status", "asset_ids", "files", "cost_usd"]
            return (
                CSVTable.write(header: header, rows: lines),
                .object(["object": "batch.manifest", "batch_id": .string(batchID), "items": .array(records)])
            )
        }
    }

    func export(_ id: String, identity: Identity) async throws -> Export {
        let summary = try await summary(id, identity: identity)
        var rows: [Export.Row] = []
        var total: Int64 = 0
        for index in summary.items.keys.sorted() {
            let job = summary.items[index]!
            let images =
                job.status == .succeeded ? try await assets.records(ids: job.result?.assetIDs ?? []).filter { $0.isVisible(to: identity.userID) } : []
            // `0007-A-red-mug-img_….png`: the item's place first, so a folder lists in batch order.
            let names = images.map { asset in
                "\(Self.padded(index))-"
                    + ContentDisposition.filename(
                        prompt: job.payload.origin?.brief?.subject ?? asset.prompt,
                        id: asset.id,
                        fileExtension: asset.format.fileExtension
                    )
            }
            total += images.reduce(Int64(0)) { $0 + Int64($1.bytes) }
            rows.append(
                Export.Row(index: index, job: job, assets: images, fileNames: names, costMicros: job.status == .succeeded ? billing.cost(of: job) : 0)
            )
        }
        let files = rows.reduce(0) { $0 + $1.assets.count }
        guard files + 2 <= ZipLimits.maxEntries, total <= ZipLimits.maxBytes else {
            throw EaselError.invalidRequest(
                "This batch's images (\(files) files, \(total / 1_000_000) MB) are more than one zip can hold; export it in parts through the gallery.",
                param: "id",
                code: "export_too_large"
            )
        }
        return Export(rows: rows, totalBytes: total)
    }

    func data(of asset: AssetRecord) async throws -> Data { try await assets.data(of: asset) }

    static func padded(_ index: Int) -> String {
        let text = String(index)
        return String(repeating: "0", count: max(0, 4 - text.count)) + text
    }
}

/// What one classic zip holds (the export checks before it streams).
enum ZipLimits {
    static let maxEntries = 65_000
    static let maxBytes: Int64 = 4_000_000_000
}
