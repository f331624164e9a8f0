import EaselCore
import EaselStore
import Foundation

/// Exports a selection, a collection, a search or a batch as a zip streamed file by file, with a manifest
/// (`manifest.csv`, `manifest.json`) of each image's prompt, brief, model, size, template, review state,
/// alt text, cost and date.
public struct ExportService: Sendable {
    let curation: any CurationStore
    let assets: AssetService
    let collections: CollectionService
    let ledger: any LedgerStore
    let gate: ApprovalGate
    /// Most images one export takes.
    let maxAssets: Int

    public struct Export: Sendable {
        public var name: String
        public var assets: [AssetRecord]
        /// Each asset's share of its job's settled cost, in micro-dollars.
        public var costs: [String: Int64]

        /// Each image with its name in the zip, in order.
        public var entries: [(name: String, asset: AssetRecord)] { assets.enumerated().map { (fileName($0.offset, $0.element), $0.element) } }

        public func fileName(_ index: Int, _ asset: AssetRecord) -> String {
            let number = String(index + 1)
            return String(repeating: "0", count: max(0, 4 - number.count)) + number + "-\(asset.id).\(asset.format.fileExtension)"
        }

        public var manifest: (csv: String, json: JSONValue) {
            let header = [
                "id", "file", "prompt", "brief", "model", "width", "height", "template", "review_status", "alt_text", "cost_usd", "created_at",
            ]
            var rows: [[String]] = []
            var records: [JSONValue] = []
            for (index, asset) in assets.enumerated() {
                let cost = costs[asset.id].map(Money.usd)
                let brief = asset.origin?.brief?.json
                rows.append([
                    asset.id, fileName(index, asset), asset.prompt, brief?.serializedString ?? "", asset.model, "\(asset.width)", "\(asset.height)",
                    asset.origin?.template ?? "", asset.reviewStatus.rawValue, asset.altText ?? "", cost ?? "",
                    UTCDay.string(millis: asset.createdAt),
                ])
                records.append(
                    .object([
                        "id": .string(asset.id), "file": .string(fileName(index, asset)), "prompt": .string(asset.prompt), "brief": brief ?? .null,
                        "model": .string(asset.model), "width": .int(asset.width), "height": .int(asset.height),
                        "template": .optional(asset.origin?.template), "review_status": .string(asset.reviewStatus.rawValue),
                        "alt_text": .optional(asset.altText), "cost_usd": .optional(cost), "created_at": .int(asset.createdAt / 1000),
                    ])
                )
            }
            let csv = CSVTable.write(header: header, rows: rows)
            return (csv, .object(["object": "export.manifest", "name": .string(name), "count": .int(assets.count), "items": .array(records)]))
        }
    }

    /// What `body` selects: exactly one of `ids`, `collection_id`, `query` (gallery filters) or `batch_id`.
    public func plan(_ body: [String: JSONValue], userID: String) async throws -> Export {
        let fields = try JSONValue.object(body).members(known: ["ids", "collection_id", "query", "batch_id"], param: nil)
        let given = ["ids", "collection_id", "query", "batch_id"].filter { fields[$0] != nil && fields[$0] != .null }
        guard given.count == 1 else {
            throw EaselError.invalidRequest(
                "Give exactly one of ids, collection_id, query or batch_id (\(given.isEmpty ? "none" : given.joined(separator: ", ")) given).",
                param: given.first ?? "ids"
            )
        }
        var selected: [AssetRecord]
        var collection: AssetCollection?
        let name: String
        switch given[0] {
        case "ids":
            let ids = try GalleryService.selection(fields["ids"])
            let found = try await assets.records(ids: ids)
            // A foreign, hidden or unknown id answers 404 like any other: nothing is confirmed.
            if let missing = ids.first(where: { id in !found.contains { $0.id == id && $0.isVisible(to: userID) && $0.role == .generated } }) {
                throw EaselError.notFound("asset", id: missing, param: "ids")
            }
            selected = found
            name = "easel-export"
        case "collection_id":
            let id = fields["collection_id"]?.stringValue ?? ""
            collection = try await collections.collection(id, userID: userID)
            selected = try await collections.members(id, userID: userID, limit: maxAssets + 1)
            name = id
        case "batch_id":
            var query = AssetQuery(userID: userID)
            query.batchID = fields["batch_id"]?.stringValue
            selected = try await curation.searchAll(query, limit: maxAssets + 1)
            name = fields["batch_id"]?.stringValue ?? "batch"
        default:
            guard case .object(let members)? = fields["query"] else {
                throw EaselError.invalidType("query", expected: "an object of gallery filters", got: fields["query"] ?? .null)
            }
            var parameters: [String: String] = [:]
            for (key, value) in members {
                switch value {
                case .string(let text): parameters[key] = text
                case .number, .bool: parameters[key] = value.serializedString
                default: throw EaselError.invalidType("query.\(key)", expected: "a string, number or boolean", got: value)
                }
            }
            var query: AssetQuery
            do {
                query = try AssetQuery(parameters: parameters, userID: userID)
            } catch {
                var scoped = error
                scoped.param = error.param.map { "query.\($0)" }
                throw scoped
            }
            selected = try await curation.searchAll(query, limit: maxAssets + 1)
            name = "easel-search"
        }
        guard !selected.isEmpty else {
            throw EaselError.invalidRequest("Nothing to export: the selection is empty.", param: given[0], code: "export_empty")
        }
        guard selected.count <= maxAssets else {
            throw EaselError.invalidRequest(
                "\(selected.count) images; one export takes at most \(maxAssets). Narrow the selection or export it in parts.",
                param: given[0],
                code: "export_too_large"
            )
        }
        let bytes = selected.reduce(Int64(0)) { $0 + Int64($1.bytes) }
        guard selected.count + 2 <= ZipLimits.maxEntries, bytes <= ZipLimits.maxBytes else {
            throw EaselError.invalidRequest(
                "These images are more than one zip can hold; export them in parts.",
                param: given[0],
                code: "export_too_large"
            )
        }
        try await gate.check(selected, collection: collection, action: "export")
        // Each image's share of what its job was settled at.
        let jobIDs = Array(Set(selected.compactMap(\.jobID)))
        let settled = try await ledger.settledCosts(jobIDs: jobIDs)
        var perJob: [String: Int] = [:]
        for asset in selected { if let job = asset.jobID { perJob[job, default: 0] += 1 } }
        var costs: [String: Int64] = [:]
        for asset in selected {
            guard let job = asset.jobID, let cost = settled[job] else { continue }
            costs[asset.id] = cost / Int64(max(1, perJob[job] ?? 1))
        }
        return Export(name: name, assets: selected, costs: costs)
    }

    public func data(of asset: AssetRecord) async throws -> Data { try await assets.data(of: asset) }
}
