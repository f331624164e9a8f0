import EaselCore
import Foundation

/// How the fake's batches behave: how long each status lasts, which lines fail and how, and whether the
/// batch expires before it finishes. Set by tests (`state.batches.behavior`) or `POST /_fake/batches`; a
/// batch keeps the behaviour it was created under.
public struct FakeBatchBehavior: Sendable, Equatable {
    /// What happens to a line whose prompt contains `match`.
    public struct LineFault: Sendable, Equatable {
        public enum Kind: Sendable, Equatable {
            /// The line is in the error file with this status and error (as the synchronous call would answer).
            case error(status: Int, code: String, message: String)
            /// The output line is cut short: not JSON.
            case malformed
            /// No line at all in either file.
            case missing
        }

        public var match: String
        public var kind: Kind

        public init(match: String, kind: Kind) {
            self.match = match
            self.kind = kind
        }
    }

    public var validatingMs = 50
    /// From `in_progress` to the last line done.
    public var runMs = 300
    public var finalizingMs = 50
    public var cancellingMs = 50
    /// Ends `expired` when the run time is over, with only this share of the lines done.
    public var expire = false
    public var expireFraction = 0.5
    public var lineFaults: [LineFault] = []

    public init() {}

    init?(json: JSONValue) {
        self.init()
        func int(_ key: String) -> Int? {
            if case .number(let value)? = json[key] { return Int(value) }
            return nil
        }
        validatingMs = int("validating_ms") ?? validatingMs
        runMs = int("run_ms") ?? runMs
        finalizingMs = int("finalizing_ms") ?? finalizingMs
        cancellingMs = int("cancelling_ms") ?? cancellingMs
        expire = json["expire"] == .bool(true)
        if case .number(let fraction)? = json["expire_fraction"] { expireFraction = fraction }
        if case .array(let faults)? = json["line_faults"] {
            for fault in faults {
                guard let match = fault["match"]?.stringValue else { return nil }
                switch fault["kind"]?.stringValue {
                case "malformed": lineFaults.append(.init(match: match, kind: .malformed))
                case "missing": lineFaults.append(.init(match: match, kind: .missing))
                case "error":
                    var status = 400
                    if case .number(let value)? = fault["status"] { status = Int(value) }
                    lineFaults.append(
                        .init(
                            match: match,
                            kind: .error(
                                status: status,
                                code: fault["code"]?.stringValue ?? "invalid_value",
                                message: fault["message"]?.stringValue ?? "The request failed."
                            )
                        )
                    )
                default: return nil
                }
            }
        }
    }
}

/// Files and batches the fake holds. Output files are not stored: they are written line by line when read,
/// from the batch's input and behaviour, so a large batch costs the fake no memory.
public final class FakeBatchStore: Sendable {
    struct File: Sendable {
        enum Content: Sendable {
            case stored([UInt8])
            case output(batchID: String)
            case errors(batchID: String)
        }

        var id: String
        var filename: String
        var purpose: String
        var bytes: Int
        var createdAt: Int64
        var content: Content
    }

    struct Line: Sendable {
        var customID: String
        var body: [String: JSONValue]
        var prompt: String
    }

    struct Batch: Sendable {
        var id: String
        var inputFileID: String
        var endpoint: String
        var metadata: [String: String]
        var model: String?
        var createdAt: Date
        var lines: [Line]
        /// Why validation fails the batch (each with its 1-based line), if it does.
        var validationErrors: [(code: String, message: String, line: Int?)]
        var behavior: FakeBatchBehavior
        var cancelledAt: Date?
        var outputFileID: String?
        var errorFileID: String?
    }

    private struct Storage {
        var files: [String: File] = [:]
        var batches: [String: Batch] = [:]
        var order: [String] = []
        var behavior = FakeBatchBehavior()
        var counter = 0
    }

    private let storage = Locked(Storage())

    public init() {}

    public var behavior: FakeBatchBehavior {
        get { storage.withLock { $0.behavior } }
        set { storage.withLock { $0.behavior = newValue } }
    }

    /// How many batches were created (tests check a restart did not send a second one).
    public var batchCount: Int { storage.withLock { $0.batches.count } }
    /// Ids of batches cancelled through the API.
    public var cancelledBatchIDs: [String] { storage.withLock { $0.batches.values.filter { $0.cancelledAt != nil }.map(\.id).sorted() } }
    public var fileCount: Int { storage.withLock { $0.files.count } }

    func nextID(_ prefix: String) -> String {
        storage.withLock { storage in
            storage.counter += 1
            return "\(prefix)\(String(storage.counter, radix: 36))\(String(UInt32.random(in: 0...UInt32.max), radix: 36))"
        }
    }

    func addFile(_ file: File) { storage.withLock { $0.files[file.id] = file } }
    func file(_ id: String) -> File? { storage.withLock { $0.files[id] } }
    func removeFile(_ id: String) -> Bool { storage.withLock { $0.files.removeValue(forKey: id) != nil } }

    func addBatch(_ batch: Batch) {
        storage.withLock {
            $0.batches[batch.id] = batch
            $0.order.append(batch.id)
        }
    }

    func batch(_ id: String) -> Batch? { storage.withLock { $0.batches[id] } }

    func update(_ id: String, _ change: (inout Batch) -> Void) -> Batch? {
        storage.withLock { storage in
            guard var batch = storage.batches[id] else { return nil }
            change(&batch)
            storage.batches[id] = batch
            return batch
        }
    }

    /// Newest first.
    func recentBatches() -> [Batch] { storage.withLock { storage in storage.order.reversed().compactMap { storage.batches[$0] } } }
}
