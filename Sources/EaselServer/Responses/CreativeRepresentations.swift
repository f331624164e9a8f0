import EaselCore
import EaselStore

/// The JSON shapes of compiled briefs, templates, versions and batches.
extension Representations {
    static func estimate(_ micros: Int64) -> JSONValue {
        .object(["usd": .string(Money.usd(micros)), "micros": .int(micros)])
    }

    /// What the economy tier does for a request or batch, and what it saves against the standard price.
    static func economy(_ routes: [EconomyRoute], estimateMicros: Int64, standardMicros: Int64) -> JSONValue {
        guard !routes.isEmpty else { return .null }
        return .object([
            "standard_estimate": estimate(standardMicros),
            "saving": estimate(standardMicros - estimateMicros),
            "routes": .array(
                routes.map { route in
                    switch route {
                    case .upstream(let provider, let percent):
                        return .object([
                            "runs": "provider_batch", "provider": .string(provider), "price_percent": .int(percent),
                            "note": .string(
                                "Sent to provider '\(provider)' in its Batch API: finished within 24 hours at \(percent)% of the standard price."
                            ),
                        ])
                    case .local(let reason):
                        return .object(["runs": "here_low_priority", "provider": .null, "price_percent": 100, "note": .string(reason)])
                    }
                }
            ),
        ])
    }

    static func compiled(_ compiled: BriefService.Compiled) -> JSONValue {
        let request = compiled.request
        return .object([
            "object": "brief.compiled",
            "prompt": .string(request.prompt),
            "model": .string(request.model),
            "size": .string(request.resolvedSize.description),
            "n": .int(request.n),
            "quality": .string(request.resolvedQuality),
            "background": .string(request.resolvedBackground.rawValue),
            "compiler_version": .int(BriefCompiler.version),
            "warnings": .array((compiled.prepared.compiled?.warnings ?? []).map(\.json)),
            "estimate": estimate(compiled.estimateMicros),
            "service_tier": .string(compiled.economy == nil ? "standard" : "economy"),
            "economy": economy(
                compiled.economy.map { [$0] } ?? [],
                estimateMicros: compiled.estimateMicros,
                standardMicros: compiled.standardEstimateMicros
            ),
            "origin": compiled.prepared.origin?.json ?? .null,
        ])
    }

    static func presets() -> JSONValue {
        func list(_ presets: [BriefPresets.Preset]) -> JSONValue {
            .array(presets.map { .object(["id": .string($0.id), "label": .string($0.label), "wording": .string($0.wording)]) })
        }
        return .object([
            "object": "brief.presets",
            "styles": list(BriefPresets.styles),
            "palettes": list(BriefPresets.palettes),
            "formats": .array(
                BriefPresets.formats.map {
                    .object([
                        "id": .string($0.id), "label": .string($0.label), "aspect": .string($0.aspect.description), "wording": .string($0.wording),
                    ])
                }
            ),
            "constraints": .array(["no_text", "no_watermark", "no_logos", "no_people", "headline_space", "background"]),
        ])
    }

    static func version(_ version: TemplateVersion, id: String) -> JSONValue {
        .object([
            "object": "template.version",
            "template_id": .string(id),
            "version": .int(version.version),
            "reference": .string("\(id)@\(version.version)"),
            "note": .optional(version.note),
            "author_id": .optional(version.authorID),
            "created_at": .int(version.createdAt.unixSeconds),
            "body": version.body,
        ])
    }

    static func batchItem(_ item: BatchService.PlannedItem) -> JSONValue {
        .object([
            "index": .int(item.index),
            "row": .int(item.row),
            "variables": .object(item.variables.mapValues(JSONValue.string)),
            "prompt": .string(item.request.prompt),
            "model": .string(item.request.model),
            "size": .string(item.request.resolvedSize.description),
            "n": .int(item.request.n),
            "estimate": estimate(item.estimateMicros),
            "standard_estimate": estimate(item.standardEstimateMicros),
        ])
    }

    static func dryRun(_ planned: BatchService.Planned) -> JSONValue {
        .object([
            "object": "batch.dry_run",
            "count": .int(planned.items.count),
            "images": .int(planned.items.reduce(0) { $0 + $1.request.n }),
            "estimate": estimate(planned.totalEstimateMicros),
            "service_tier": .string(planned.tier.rawValue),
            "economy": economy(planned.economyRoutes, estimateMicros: planned.totalEstimateMicros, standardMicros: planned.totalStandardMicros),
            "template": .optional(planned.templateRef),
            "items": .array(planned.items.map(batchItem)),
        ])
    }

    /// A provider batch economy items were sent in, as far as Easel knows it.
    static func upstreamBatch(_ batch: UpstreamBatch) -> JSONValue {
        .object([
            "id": .string(batch.id), "provider": .string(batch.provider), "phase": .string(batch.phase.rawValue),
            "upstream_id": .optional(batch.upstreamID), "upstream_status": .optional(batch.upstreamStatus),
            "request_counts": .object(["total": .int(batch.total), "completed": .int(batch.completed), "failed": .int(batch.failed)]),
            "submitted_at": .optional(batch.submittedAt.map(\.unixSeconds)), "expires_at": .optional(batch.expiresAt.map(\.unixSeconds)),
            "finished_at": .optional(batch.finishedAt.map(\.unixSeconds)), "note": .optional(batch.note),
        ])
    }

    static func batch(_ summary: BatchService.Summary, items includeItems: Bool = true) -> JSONValue {
        let batch = summary.batch
        var counts: [String: JSONValue] = [:]
        for status in JobStatus.allCases { counts[status.rawValue] = .int(summary.counts[status] ?? 0) }
        var object: [String: JSONValue] = [
            "object": "batch",
            "id": .string(batch.id),
            "status": .string(summary.isFinished ? "finished" : "running"),
            "template": .optional(batch.templateRef),
            "total": .int(batch.itemCount),
            "counts": .object(counts),
            "cost_usd": .string(Money.usd(summary.costMicros)),
            "eta_seconds": summary.etaSeconds.map { .int($0) } ?? .null,
            "service_tier": .string(batch.spec["service_tier"]?.stringValue == "economy" ? "economy" : "standard"),
            "upstream_batches": .array(summary.upstream.map(upstreamBatch)),
            "created_at": .int(batch.createdAt.unixSeconds),
            "links": .object([
                "self": .string("/api/batches/\(batch.id)"),
                "events": .string("/api/batches/\(batch.id)/events"),
                "export": .string("/api/batches/\(batch.id)/export.zip"),
            ]),
        ]
        if includeItems {
            object["items"] = .array(
                summary.items.keys.sorted().map { index in
                    let job = summary.items[index]!
                    return .object([
                        "index": .int(index),
                        "row": job.payload.origin?.batchRow.map { .int($0) } ?? .null,
                        "variables": .object((job.payload.origin?.variables ?? [:]).mapValues(JSONValue.string)),
                        "prompt": .string(job.payload.request.prompt),
                        "model": .string(job.model),
                        "size": .string(job.payload.request.resolvedSize.description),
                        "job_id": .string(job.id),
                        "status": .string(job.status.rawValue),
                        "asset_ids": .array((job.result?.assetIDs ?? []).map(JSONValue.string)),
                        "error": job.lastError.map(error) ?? .null,
                    ])
                }
            )
        }
        return .object(object)
    }
}
