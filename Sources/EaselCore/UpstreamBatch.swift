import Foundation

/// How Easel uses one provider's Batch API (config `providers.<name>.batch`).
public struct UpstreamBatchSettings: Sendable, Equatable {
    /// What to do with jobs an upstream batch did not finish when it expired or was cancelled upstream.
    public enum Unfinished: String, Sendable, CaseIterable {
        /// Back to the economy queue for the next upstream batch (until the job's attempts run out).
        case requeue
        /// Failed with the upstream reason, refunded.
        case fail
    }

    /// Share of the table price an economy job is reserved and settled at (OpenAI: 50).
    public var pricePercent = 50
    /// How long economy jobs wait for company before a batch is sent.
    public var collectMs: Int64 = 30_000
    /// Most requests per upstream batch (OpenAI: 50,000 lines, 200 MB).
    public var maxRequests = 50_000
    public var maxInputBytes = 200 * 1024 * 1024
    /// Polls start this far apart and double up to `pollMaxMs`.
    public var pollMinMs: Int64 = 30_000
    public var pollMaxMs: Int64 = 600_000
    public var onUnfinished = Unfinished.requeue
    /// Route models that may run as economy here; nil: every model of a route whose first provider this is.
    public var models: Set<String>?
    /// Sizes the upstream batch takes; nil: whatever the model takes.
    public var sizes: [PixelSize]?
    /// Gives up sending a batch (and fails its jobs, refunded) when the provider refuses it this long.
    public var submitGiveUpMs: Int64 = 3_600_000

    public init() {}
}

/// One batch Easel sent to a provider, as stored: where it is in Easel's hands and upstream.
public struct UpstreamBatch: Sendable, Equatable {
    public enum Phase: String, Sendable, CaseIterable {
        /// Jobs are collected; the input file is being written and the batch created.
        case preparing
        /// Created upstream; polled until it ends.
        case submitted
        /// Ended upstream; its output and error files are being read into the jobs.
        case ingesting
        /// Every job it held has ended (or gone back to the queue).
        case finished
    }

    public var id: String
    public var provider: String
    /// The route's model (what jobs name) and the name the provider knows it by.
    public var model: String
    public var upstreamModel: String
    public var endpoint: String
    public var phase: Phase
    public var upstreamID: String?
    public var inputFileID: String?
    public var outputFileID: String?
    public var errorFileID: String?
    /// The provider's status (`validating`, `in_progress`, `completed`, `expired` …).
    public var upstreamStatus: String?
    public var total = 0
    public var completed = 0
    public var failed = 0
    /// Why the batch itself failed or what became of it, for people.
    public var note: String?
    public var createdAt: Int64
    public var submittedAt: Int64?
    public var expiresAt: Int64?
    public var finishedAt: Int64?
    public var nextPollAt: Int64
    public var polls = 0
    /// Set when none of its jobs is wanted any more: the upstream batch is cancelled.
    public var cancelRequestedAt: Int64?

    public init(id: String, provider: String, model: String, upstreamModel: String, endpoint: String, createdAt: Int64) {
        self.id = id
        self.provider = provider
        self.model = model
        self.upstreamModel = upstreamModel
        self.endpoint = endpoint
        self.phase = .preparing
        self.createdAt = createdAt
        self.nextPollAt = createdAt
    }

    /// The worker name its jobs run under while the provider holds them.
    public static func worker(_ id: String) -> String { "upstream:" + id }

    /// The pause before poll number `polls + 1`: doubling from `min` to `max`.
    public static func pollDelay(polls: Int, minMs: Int64, maxMs: Int64) -> Int64 {
        var delay = max(1, minMs)
        for _ in 0..<min(polls, 40) where delay < maxMs { delay *= 2 }
        return min(delay, max(minMs, maxMs))
    }
}

/// Splits a byte stream into lines as chunks arrive, holding only the unfinished line (a JSONL file larger
/// than memory is read this way). A line longer than `maxLineBytes` is an error, not an allocation.
public struct LineSplitter: Sendable {
    public struct LineTooLong: Error, Sendable {
        public var limit: Int
    }

    private var pending: [UInt8] = []
    public let maxLineBytes: Int

    public init(maxLineBytes: Int) {
        self.maxLineBytes = maxLineBytes
    }

    /// The lines completed by `chunk` (without their `\n` or `\r\n`); empty lines are skipped.
    public mutating func feed(_ chunk: some Collection<UInt8>) throws -> [[UInt8]] {
        // Output files carry megabytes of base64 per line: scan contiguous bytes with memchr, not per element.
        if let lines = try chunk.withContiguousStorageIfAvailable({ try feed(UnsafeRawBufferPointer($0)) }) { return lines }
        return try Array(chunk).withUnsafeBytes { try feed($0) }
    }

    private mutating func feed(_ bytes: UnsafeRawBufferPointer) throws -> [[UInt8]] {
        var lines: [[UInt8]] = []
        guard let base = bytes.baseAddress else { return lines }
        var start = 0
        while start < bytes.count, let found = memchr(base + start, 0x0A, bytes.count - start) {
            let end = base.distance(to: UnsafeRawPointer(found))
            pending.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[start..<end]))
            if pending.count > maxLineBytes { throw LineTooLong(limit: maxLineBytes) }
            if let line = take() { lines.append(line) }
            start = end + 1
        }
        pending.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[start...]))
        if pending.count > maxLineBytes { throw LineTooLong(limit: maxLineBytes) }
        return lines
    }

    /// The last line, when the stream did not end with a newline.
    public mutating func finish() -> [UInt8]? { take() }

    private mutating func take() -> [UInt8]? {
        if pending.last == UInt8(ascii: "\r") { pending.removeLast() }
        defer { pending.removeAll(keepingCapacity: true) }
        return pending.isEmpty ? nil : pending
    }
}
