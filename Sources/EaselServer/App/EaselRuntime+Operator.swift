import EaselCore
import Foundation
import NIOCore

/// What the command line does as the operator at the terminal: an admin on the unlimited plan, who sees the
/// built-in and shared templates and whose jobs are not billed.
extension EaselRuntime {
    var operatorIdentity: Identity {
        Identity(user: EaselUser(id: "local", name: "local", role: .admin, plan: "unlimited", createdAt: 0), plan: .unlimited, keyID: nil)
    }

    /// A generation body (a prompt, or a `template` with `variables`, or a `brief`) as the operator's job.
    public func operatorSubmission(_ body: [String: JSONValue]) async throws -> JobService.Submission {
        var submission = try await briefs.submission(body, identity: operatorIdentity, idempotencyKey: nil, cacheRequested: false)
        submission.identity = nil
        submission.userID = "local"
        return submission
    }

    /// Plans and queues a batch (`csv`: the rows file, if any); returns its id and number of items.
    public func startBatch(_ spec: [String: JSONValue], csv: [UInt8]?) async throws -> (id: String, total: Int) {
        let requester = BatchService.Requester(identity: operatorIdentity, billed: false)
        let table = try csv.map { try CSVTable(bytes: $0, maxRows: operatorIdentity.plan.maxBatchItems) }
        let planned = try await batches.plan(spec, csv: table, requester: requester)
        let summary = try await batches.create(planned, requester: requester)
        return (summary.batch.id, summary.batch.itemCount)
    }

    /// Expands and checks a batch without queueing it: its item count and estimated cost.
    public func dryRunBatch(_ spec: [String: JSONValue], csv: [UInt8]?) async throws -> (count: Int, estimateMicros: Int64) {
        let requester = BatchService.Requester(identity: operatorIdentity, billed: false)
        let table = try csv.map { try CSVTable(bytes: $0, maxRows: operatorIdentity.plan.maxBatchItems) }
        let planned = try await batches.plan(spec, csv: table, requester: requester)
        return (planned.items.count, planned.totalEstimateMicros)
    }

    /// Searches `userID`'s gallery as `GET /api/assets` does.
    public func searchAssets(_ parameters: [String: String], userID: String) async throws -> Page<AssetRecord> {
        try await gallery.search(try AssetQuery(parameters: parameters, userID: userID))
    }

    /// Writes `userID`'s export of `selection` (as `POST /api/exports` takes it) as a zip through `write`;
    /// returns the number of images.
    public func writeExport(
        _ selection: [String: JSONValue],
        userID: String,
        write: (ByteBuffer) async throws -> Void
    ) async throws -> Int {
        let export = try await exports.plan(selection, userID: userID)
        try await ZipStream.write(export.entries, data: exports.data(of:), manifest: export.manifest, to: write)
        return export.assets.count
    }

    /// The provider batches economy jobs were sent in, newest first.
    public func upstreamBatches(limit: Int) async throws -> [UpstreamBatch] {
        try await upstreamBatchStore.recent(limit: limit)
    }

    public struct BatchProgress: Sendable {
        public var total: Int
        public var succeeded: Int
        public var failed: Int
        public var finished: Int
        public var etaSeconds: Int?
        public var isFinished: Bool { finished >= total }
    }

    public func batchProgress(_ id: String) async throws -> BatchProgress {
        let summary = try await batches.summary(id, identity: operatorIdentity)
        let finished = summary.counts.filter { $0.key.isTerminal }.values.reduce(0, +)
        return BatchProgress(
            total: summary.batch.itemCount,
            succeeded: summary.counts[.succeeded] ?? 0,
            failed: (summary.counts[.failed] ?? 0) + (summary.counts[.cancelled] ?? 0),
            finished: finished,
            etaSeconds: summary.etaSeconds
        )
    }

    /// Writes the batch's images into `directory` with `manifest.csv` and `manifest.json` beside them.
    public func saveBatch(_ id: String, to directory: URL) async throws -> Int {
        let export = try await batches.export(id, identity: operatorIdentity)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var written = 0
        for row in export.rows {
            for (asset, name) in zip(row.assets, row.fileNames) {
                try await batches.data(of: asset).write(to: directory.appendingPathComponent(name))
                written += 1
            }
        }
        let manifest = export.manifest(batchID: id)
        try Data(manifest.csv.utf8).write(to: directory.appendingPathComponent("manifest.csv"))
        try Data(manifest.json.serialized()).write(to: directory.appendingPathComponent("manifest.json"))
        return written
    }
}
