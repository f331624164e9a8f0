import EaselCore
import Foundation

/// The JSON shapes of Easel's own API (`/api/...`): snake_case, ids, links, times in Unix seconds.
enum Representations {
    static func job(_ job: JobRecord, position: Int? = nil, attempts: [JobAttempt]? = nil) -> JSONValue {
        var object: [String: JSONValue] = [
            "object": "job",
            "id": .string(job.id),
            "kind": .string(job.kind.rawValue),
            "status": .string(job.status.rawValue),
            "model": .string(job.model),
            "prompt": .string(job.payload.request.prompt),
            "params": params(job.payload.request),
            "attempts": .int(job.attempts),
            "max_attempts": .int(job.maxAttempts),
            "priority": .int(job.priority),
            "service_tier": .string(job.payload.tier.rawValue),
            "created_at": .int(job.createdAt.unixSeconds),
            "started_at": .optional(job.startedAt.map(\.unixSeconds)),
            "finished_at": .optional(job.finishedAt.map(\.unixSeconds)),
            "timings_ms": timings(job),
            "error": job.lastError.map(error) ?? .null,
            "asset_ids": .array((job.result?.assetIDs ?? []).map(JSONValue.string)),
            "group_id": .optional(job.groupID),
            "parent_asset_id": .optional(job.payload.parentAssetID),
            "input_asset_ids": .array(job.payload.inputAssetIDs.map(JSONValue.string)),
            "mask_asset_id": .optional(job.payload.maskAssetID),
            "links": .object([
                "self": .string("/api/jobs/\(job.id)"),
                "events": .string("/api/jobs/\(job.id)/events"),
                "cancel": .string("/api/jobs/\(job.id)"),
            ]),
        ]
        if job.status.isReady {
            object["queue_position"] = position.map { .int($0) } ?? .null
            object["next_attempt_at"] = .int(job.runAt.unixSeconds)
        }
        if let origin = job.payload.origin { object["origin"] = origin.json }
        if job.payload.tier == .economy {
            object["price_percent"] = .int(job.payload.pricePercent)
            object["upstream_batch_id"] = .optional(job.upstreamBatchID)
        }
        if let result = job.result {
            object["cached_from"] = .optional(result.cachedFrom)
            object["provider"] = .string(result.provider)
            object["draft"] = .bool(result.isDraft)
            object["usage"] = result.usage?.json ?? .null
            object["upstream_request_id"] = .optional(result.upstreamRequestID)
        }
        if let attempts {
            object["attempt_errors"] = .array(
                attempts.map { attempt in
                    .object(["attempt": .int(attempt.attempt), "at": .int(attempt.at.unixSeconds), "error": error(attempt.error)])
                }
            )
        }
        return .object(object)
    }

    static func timings(_ job: JobRecord) -> JSONValue {
        var object: [String: JSONValue] = [:]
        if let started = job.startedAt { object["queued"] = .int(max(0, started - job.createdAt)) }
        if let started = job.startedAt, let finished = job.finishedAt { object["running"] = .int(max(0, finished - started)) }
        if let finished = job.finishedAt { object["total"] = .int(max(0, finished - job.createdAt)) }
        return .object(object)
    }

    static func params(_ request: ImageRequest) -> JSONValue {
        var object: [String: JSONValue] = [
            "n": .int(request.n),
            "size": .string(request.size.description),
            "resolved_size": .string(request.resolvedSize.description),
            "quality": .string(request.resolvedQuality),
            "background": .string(request.resolvedBackground.rawValue),
            "output_format": .string(request.outputFormat.rawValue),
            "moderation": .string(request.moderation),
            "seed": .number(Double(request.seed)),
        ]
        if let compression = request.outputCompression { object["output_compression"] = .int(compression) }
        return .object(object)
    }

    static func error(_ error: JobError) -> JSONValue {
        .object([
            "status": .int(error.status),
            "type": .string(error.type),
            "code": .optional(error.code),
            "param": .optional(error.param),
            "message": .string(error.message),
            "retryable": .bool(error.retryable),
            "provider": .optional(error.provider),
            "upstream_request_id": .optional(error.upstreamRequestID),
        ])
    }

    /// An asset; with `links`, also signed URLs of its file and thumbnail that open without a key.
    static func asset(_ asset: AssetRecord, links: FileLinks? = nil) -> JSONValue {
        var object: [String: JSONValue] = [
            "object": "asset",
            "id": .string(asset.id),
            "job_id": .optional(asset.jobID),
            "parent_asset_id": .optional(asset.parentAssetID),
            "index": .int(asset.index),
            "format": .string(asset.format.rawValue),
            "mime_type": .string(asset.format.mimeType),
            "width": .int(asset.width),
            "height": .int(asset.height),
            "bytes": .int(asset.bytes),
            "sha256": .string(asset.sha256),
            "model": .string(asset.model),
            "provider": .string(asset.provider),
            "draft": .bool(asset.isDraft),
            "role": .string(asset.role.rawValue),
            "prompt": .string(asset.prompt),
            "created_at": .int(asset.createdAt.unixSeconds),
            "url": .string("/files/\(asset.id)"),
            "thumbnail_url": .string("/files/\(asset.id)/thumb"),
        ]
        if let origin = asset.origin {
            object["brief"] = origin.brief?.json ?? .null
            object["template"] = .optional(origin.template)
            object["variables"] = .object(origin.variables.mapValues(JSONValue.string))
            object["brand_kit"] = .optional(origin.brandKit)
        }
        object["batch_id"] = .optional(asset.batchID)
        object["favorite"] = .bool(asset.favorite)
        object["rating"] = asset.rating.map { .int($0) } ?? .null
        object["tags"] = .array(asset.tags.map(JSONValue.string))
        object["alt_text"] = .optional(asset.altText)
        object["alt_source"] = .optional(asset.altSource?.rawValue)
        object["review_status"] = .string(asset.reviewStatus.rawValue)
        if let links {
            object["signed_url"] = .string(links.signedPath(assetID: asset.id))
            object["signed_thumbnail_url"] = .string(links.signedPath(assetID: asset.id, thumbnail: true))
        }
        return .object(object)
    }

    static func group(_ id: String, _ jobs: [JobRecord]) -> JSONValue {
        let finished = jobs.filter(\.status.isTerminal).count
        return .object([
            "object": "job_group",
            "id": .string(id),
            "status": .string(finished == jobs.count ? "finished" : "running"),
            "finished": .int(finished),
            "jobs": .array(jobs.map { job($0) }),
        ])
    }

    static func page(_ items: [JSONValue], hasMore: Bool, lastID: String?) -> JSONValue {
        .object([
            "object": "list",
            "data": .array(items),
            "has_more": .bool(hasMore),
            "next_cursor": hasMore ? .optional(lastID) : .null,
        ])
    }

    static func model(_ caps: ModelCapabilities) -> JSONValue {
        .object([
            "id": .string(caps.id),
            "object": "model",
            "created": 1_767_225_600,
            "owned_by": .string(caps.ownedBy),
            "draft": .bool(caps.isDraft),
            "capabilities": .object([
                "sizes": sizes(caps.sizes),
                "qualities": .array(caps.qualities.map(JSONValue.string)),
                "output_formats": .array(caps.outputFormats.map { .string($0.rawValue) }),
                "transparent_background": .bool(caps.supportsTransparentBackground),
                "max_n": .int(caps.maxImages),
                "streaming": .bool(caps.supportsStreaming),
                "edits": .bool(caps.supportsEdits),
                "mask": .bool(caps.supportsMask),
            ]),
        ])
    }

    static func sizes(_ rule: SizeRule) -> JSONValue {
        switch rule {
        case .fixed(let sizes):
            return .object(["kind": "fixed", "values": .array(sizes.map { .string($0.description) })])
        case .flexible(let flexible):
            var object: [String: JSONValue] = [
                "kind": "flexible", "multiple_of": .int(flexible.multiple), "min_edge": .int(flexible.minEdge),
                "max_edge": .int(flexible.maxEdge),
            ]
            if let ratio = flexible.maxAspectRatio { object["max_aspect_ratio"] = .number(ratio) }
            if let minPixels = flexible.minPixels { object["min_pixels"] = .int(minPixels) }
            if let maxPixels = flexible.maxPixels { object["max_pixels"] = .int(maxPixels) }
            return .object(object)
        }
    }
}
