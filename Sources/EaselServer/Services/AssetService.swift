import EaselCore
import EaselStore
import Foundation

/// Assets for handlers: the one lookup every route that takes an asset id uses, files and thumbnails,
/// stored inputs of edits, lineage, and removal.
public struct AssetService: Sendable {
    let assets: any AssetStore
    let blobs: any BlobStore
    let thumbnails: ThumbnailService
    let ids: IDGenerator
    let clock: any EaselClock
    /// Seconds a presigned redirect to the blob store lives, or nil to pass files through Easel.
    var redirectSeconds: Int? = nil

    /// The asset, if it exists, belongs to `userID` and is not hidden; otherwise 404 (never someone else's).
    public func asset(id: String, userID: String, param: String = "id") async throws -> AssetRecord {
        guard EaselID.isValid(id, prefix: "img"), let asset = try await assets.asset(id: id), asset.isVisible(to: userID) else {
            throw EaselError.notFound("asset", id: id, param: param)
        }
        return asset
    }

    /// Any stored asset, whoever owns it and hidden or not: for admins' moderation and signed links.
    public func anyAsset(id: String) async throws -> AssetRecord? {
        guard EaselID.isValid(id, prefix: "img") else { return nil }
        return try await assets.asset(id: id)
    }

    /// The stored assets among `ids`, in that order.
    public func records(ids: [String]) async throws -> [AssetRecord] { try await assets.assets(ids: ids) }

    /// The caller's generated images, newest first, without hidden ones.
    public func list(userID: String, before: String?, limit: Int) async throws -> Page<AssetRecord> {
        try await assets.assets(userID: userID, before: before, limit: limit)
    }

    public func data(of asset: AssetRecord) async throws -> Data {
        try await bytes(key: asset.blobKey, of: asset)
    }

    /// The blob key of the asset's file or of its WebP thumbnail (made now if there is none yet).
    public func fileKey(of asset: AssetRecord, thumbnail: Bool) async throws -> String {
        thumbnail ? try await thumbnails.thumbnailKey(for: asset) : asset.blobKey
    }

    /// Where to send the client for the file instead of passing it through, with how long that lasts.
    public func redirect(key: String) -> (url: String, seconds: Int)? {
        guard let seconds = redirectSeconds, let url = blobs.presignedGetURL(key: key, seconds: seconds) else { return nil }
        return (url, seconds)
    }

    /// The file as it arrives from storage (streamed from an S3-compatible store).
    public func stream(key: String, of asset: AssetRecord) async throws -> BlobStream {
        guard let stream = try await blobs.read(key: key) else {
            throw EaselError.server("The file of asset \(asset.id) is missing from storage.", code: "file_missing")
        }
        return stream
    }

    public func bytes(key: String, of asset: AssetRecord) async throws -> Data {
        guard let data = try await blobs.get(key: key) else {
            throw EaselError.server("The file of asset \(asset.id) is missing from storage.", code: "file_missing")
        }
        return data
    }

    /// Stores an uploaded input (an image to edit, or a mask) as an asset of its own, so the job that uses
    /// it survives restarts and the edit's lineage starts somewhere real.
    public func storeInput(_ data: Data, info: EditInputInfo, role: AssetRole, userID: String) async throws -> AssetRecord {
        let ref = try await blobs.put(data, fileExtension: info.format.fileExtension)
        let now = clock.nowMillis()
        let asset = AssetRecord(
            id: ids.make(prefix: "img", millis: now),
            jobID: nil,
            userID: userID,
            parentAssetID: nil,
            index: 0,
            blobKey: ref.key,
            thumbKey: nil,
            format: info.format,
            width: info.width,
            height: info.height,
            bytes: ref.bytes,
            sha256: ref.sha256,
            model: "",
            provider: "upload",
            isDraft: false,
            role: role,
            prompt: "",
            createdAt: now
        )
        try await assets.insert([asset])
        return asset
    }

    public func hide(_ asset: AssetRecord) async throws {
        _ = try await assets.hide(assetID: asset.id, at: clock.nowMillis())
    }

    /// Removes the asset's row, and its files when no other asset shares them (content addressing).
    public func delete(assetID: String) async throws {
        for key in try await assets.delete(assetID: assetID) { try await blobs.delete(key: key) }
    }

    public struct Lineage: Sendable {
        public var asset: AssetRecord
        public var root: AssetRecord
        /// Root first, ending with the asset's parent.
        public var ancestors: [AssetRecord]
        public var children: [AssetRecord]
        /// Everything derived from the root, oldest first.
        public var tree: [AssetRecord]
    }

    public func lineage(of id: String, userID: String) async throws -> Lineage {
        let asset = try await asset(id: id, userID: userID)
        // Lineage never crosses users or hidden assets: an ancestor the caller cannot see ends the chain, and a
        // hidden descendant is left out with everything below it.
        var ancestors = try await assets.ancestors(of: asset.id, depth: 200)
        if let unseen = ancestors.lastIndex(where: { !$0.isVisible(to: userID) }) { ancestors.removeFirst(unseen + 1) }
        let root = ancestors.first ?? asset
        let all = try await assets.descendants(of: root.id, depth: 200, limit: 2000)
        let childrenOf = Dictionary(grouping: all.filter { $0.isVisible(to: userID) }, by: { $0.parentAssetID ?? "" })
        var reachable: Set<String> = []
        var frontier = [root.id]
        while let next = frontier.popLast() {
            for child in childrenOf[next] ?? [] where reachable.insert(child.id).inserted { frontier.append(child.id) }
        }
        let tree = all.filter { reachable.contains($0.id) }
        let children = tree.filter { $0.parentAssetID == asset.id }
        return Lineage(asset: asset, root: root, ancestors: ancestors, children: children, tree: tree)
    }
}
