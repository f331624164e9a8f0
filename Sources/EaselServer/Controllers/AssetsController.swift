import EaselCore
import Foundation
import Hummingbird

/// The caller's images: the list, one asset, and its lineage.
struct AssetsController {
    let assets: AssetService
    let links: FileLinks

    func addRoutes(to router: some RouterMethods<AuthenticatedContext>) {
        router.get("/api/assets", use: list)
        router.get("/api/assets/{id}", use: show)
        router.get("/api/assets/{id}/lineage", use: lineage)
    }

    @Sendable func list(_ request: Request, context: AuthenticatedContext) async throws -> JSONValue {
        let paging = try PageQuery(request, cursorPrefix: "img")
        let page = try await assets.list(userID: context.identity.userID, before: paging.before, limit: paging.limit)
        return Representations.page(page.items.map { Representations.asset($0, links: links) }, hasMore: page.hasMore, lastID: page.items.last?.id)
    }

    @Sendable func show(_ request: Request, context: AuthenticatedContext) async throws -> JSONValue {
        Representations.asset(try await assets.asset(id: try context.parameters.require("id"), userID: context.identity.userID), links: links)
    }

    /// Root, ancestors, children, and the whole tree nested under the root.
    @Sendable func lineage(_ request: Request, context: AuthenticatedContext) async throws -> JSONValue {
        let lineage = try await assets.lineage(of: try context.parameters.require("id"), userID: context.identity.userID)
        var childrenOf: [String: [AssetRecord]] = [:]
        for asset in lineage.tree { childrenOf[asset.parentAssetID ?? "", default: []].append(asset) }
        let links = self.links
        func represent(_ asset: AssetRecord) -> JSONValue { Representations.asset(asset, links: links) }
        func node(_ asset: AssetRecord, depth: Int) -> JSONValue {
            var object = represent(asset).objectValue ?? [:]
            object["children"] = depth > 200 ? .array([]) : .array((childrenOf[asset.id] ?? []).map { node($0, depth: depth + 1) })
            return .object(object)
        }
        return .object([
            "object": "asset.lineage",
            "asset": represent(lineage.asset),
            "root": represent(lineage.root),
            "ancestors": .array(lineage.ancestors.map(represent)),
            "children": .array(lineage.children.map(represent)),
            "tree": node(lineage.root, depth: 0),
        ])
    }
}
