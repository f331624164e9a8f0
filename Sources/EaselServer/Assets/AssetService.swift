import EaselCore
import EaselStore
import Foundation

/// Assets for handlers: ownership-checked lookup, stored inputs of edits, and lineage. Handlers never
/// touch SQL; they come here.
public struct AssetService: Sendable {
    let assets: any AssetStore
    let blobs: any BlobStore
    let ids: IDGenerator
    let clock: any EaselClock
    let rules: EditInputRules

    /// The asset, if it exists, belongs to `userID` and is not hidden; otherwise 404 (never someone else's).
    public func asset(id: String, userID: String, param: String = "id") async throws -> AssetRecord {
        guard EaselID.isValid(id, prefix: "img"), let asset = try await assets.asset(id: id), asset.isVisible(to: userID) else {
            throw EaselError(status: 404, type: "invalid_request_error", code: "not_found", param: param,
                             message: "No asset with id '\(id)' exists.")
        }
        return asset
    }

    public func data(of asset: AssetRecord) async throws -> Data {
        guard let data = try await blobs.get(key: asset.blobKey) else {
            throw EaselError.server("The file of asset \(asset.id) is missing from storage.", code: "file_missing")
        }
        return data
    }

    /// Stores an uploaded input (an image to edit, or a mask) as an asset of its own, so the job that uses
    /// it survives restarts and the edit's lineage starts somewhere real.
    public func storeInput(_ data: Data, info: EditInputInfo, role: String, userID: String) async throws -> AssetRecord {
        let ref = try await blobs.put(data, fileExtension: info.format.fileExtension)
        let now = clock.nowMillis()
        let asset = AssetRecord(
            id: ids.make(prefix: "img", millis: now), jobID: nil, userID: userID, parentAssetID: nil, index: 0, blobKey: ref.key,
            thumbKey: nil, format: info.format, width: info.width, height: info.height, bytes: ref.bytes, sha256: ref.sha256,
            model: "", provider: "upload", isDraft: false, role: role, prompt: "", createdAt: now)
        try await assets.insert([asset])
        return asset
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
