import EaselCore
import EaselStore

/// The prompt filter, reports, and admins' hide and delete, each recorded as a moderation event.
public struct ModerationService: Sendable {
    let store: any ModerationStore
    let assets: AssetService
    let filter: PromptFilter
    let ids: IDGenerator
    let clock: any EaselClock

    /// Refuses a prompt the filter blocks (OpenAI's `moderation_blocked` shape), recording it first.
    public func screen(_ prompt: String, identity: Identity) async throws {
        guard let category = filter.category(of: prompt) else { return }
        let now = clock.nowMillis()
        try? await store.record(
            ModerationEvent(
                id: ids.make(prefix: "mod", millis: now),
                userID: identity.userID,
                kind: .promptBlocked,
                category: category,
                detail: String(prompt.prefix(500)),
                status: .closed,
                createdAt: now
            )
        )
        throw PromptFilter.blocked(category: category)
    }

    /// One event per job an upstream provider refused, whoever records it.
    func recordUpstreamBlock(_ job: JobRecord) async {
        try? await store.record(
            ModerationEvent(
                id: "mod_upstream_\(job.id)",
                userID: job.userID,
                kind: .upstreamBlocked,
                jobID: job.id,
                detail: job.lastError?.moderationDetails ?? job.lastError?.message,
                status: .closed,
                createdAt: clock.nowMillis()
            )
        )
    }

    /// A user reports one of their images for an admin to look at.
    public func report(assetID: String, reason: String, identity: Identity) async throws -> ModerationEvent {
        let asset = try await assets.asset(id: assetID, userID: identity.userID)
        guard reason.count <= 2000 else {
            throw EaselError.invalidRequest("'reason' may be at most 2000 characters.", param: "reason", code: "string_above_max_length")
        }
        let now = clock.nowMillis()
        let event = ModerationEvent(
            id: ids.make(prefix: "mod", millis: now),
            userID: identity.userID,
            kind: .report,
            assetID: asset.id,
            jobID: asset.jobID,
            detail: reason,
            status: .open,
            createdAt: now
        )
        try await store.record(event)
        return event
    }

    /// Hides an image from everyone but admins, at once; closes its reports.
    public func hide(assetID: String, by admin: Identity) async throws -> AssetRecord {
        let asset = try await anyAsset(assetID)
        try await assets.hide(asset)
        try await close(asset, as: .hidden, by: admin)
        return asset
    }

    /// Deletes an image (its file goes when no other asset shares it); closes its reports.
    public func delete(assetID: String, by admin: Identity) async throws -> AssetRecord {
        let asset = try await anyAsset(assetID)
        try await assets.delete(assetID: asset.id)
        try await close(asset, as: .deleted, by: admin)
        return asset
    }

    /// Newest first, a page at a time.
    public func events(
        status: ModerationEvent.Status?,
        kind: ModerationEvent.Kind?,
        before: String?,
        limit: Int
    ) async throws -> Page<ModerationEvent> {
        let rows = try await store.moderationEvents(status: status, kind: kind, before: before, limit: limit + 1)
        return Page(fetched: rows, limit: limit)
    }

    private func anyAsset(_ id: String) async throws -> AssetRecord {
        guard let asset = try await assets.anyAsset(id: id) else { throw EaselError.notFound("asset", id: id, param: "id") }
        return asset
    }

    private func close(_ asset: AssetRecord, as kind: ModerationEvent.Kind, by admin: Identity) async throws {
        let now = clock.nowMillis()
        try await store.closeModerationEvents(assetID: asset.id)
        try await store.record(
            ModerationEvent(
                id: ids.make(prefix: "mod", millis: now),
                userID: admin.userID,
                kind: kind,
                assetID: asset.id,
                jobID: asset.jobID,
                status: .closed,
                createdAt: now
            )
        )
    }
}
