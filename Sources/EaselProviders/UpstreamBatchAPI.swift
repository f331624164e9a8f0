import EaselCore

/// A batch as the provider reports it (OpenAI's `Batch` object).
public struct UpstreamBatchStatus: Sendable, Equatable {
    public struct Failure: Sendable, Equatable {
        public var code: String?
        public var message: String
        public var param: String?
        /// 1-based line of the input file, when the failure is about one request.
        public var line: Int?

        public init(code: String?, message: String, param: String? = nil, line: Int? = nil) {
            self.code = code
            self.message = message
            self.param = param
            self.line = line
        }
    }

    public var id: String
    /// `validating`, `failed`, `in_progress`, `finalizing`, `completed`, `expired`, `cancelling`, `cancelled`.
    public var status: String
    public var inputFileID: String?
    public var outputFileID: String?
    public var errorFileID: String?
    public var total = 0
    public var completed = 0
    public var failed = 0
    /// Why the batch as a whole failed (validation), when it did.
    public var errors: [Failure] = []
    /// Unix milliseconds.
    public var expiresAt: Int64?
    public var metadata: [String: String] = [:]

    public init(id: String, status: String) {
        self.id = id
        self.status = status
    }

    /// The provider will not change it any more.
    public var isFinal: Bool { ["completed", "failed", "expired", "cancelled"].contains(status) }
}

/// One line of a batch's output or error file.
public enum UpstreamBatchLine: Sendable {
    case succeeded(customID: String, ProviderResult)
    case failed(customID: String, ProviderError)
    /// A line that could not be read; `customID` when at least that much could.
    case malformed(customID: String?, line: Int, reason: String)
}

/// A provider's Batch API: upload a JSONL of requests, create a batch of them, poll it, read its output as a
/// stream. Like every provider it never touches the database or the blob store.
public protocol UpstreamBatchAPI: Sendable {
    var provider: String { get }
    var settings: UpstreamBatchSettings { get }
    /// The endpoint every line calls.
    var endpoint: String { get }
    /// One input line (no newline): `custom_id` = the job id, and the body the synchronous call would send.
    func requestLine(for job: ProviderJob) -> [UInt8]
    /// Uploads the input file (`purpose: batch`); returns its id.
    func uploadInput(_ jsonl: [UInt8], filename: String) async throws -> String
    func create(inputFileID: String, metadata: [String: String]) async throws -> UpstreamBatchStatus
    func status(of id: String) async throws -> UpstreamBatchStatus
    func cancel(_ id: String) async throws -> UpstreamBatchStatus
    /// The newest batches, newest first (to find one created just before Easel stopped).
    func recent(limit: Int) async throws -> [UpstreamBatchStatus]
    /// Reads an output or error file line by line as it downloads, handing each line to `each` before the
    /// next is read, so memory holds one line whatever the file's size.
    func readResults(
        fileID: String,
        route: String,
        upstreamModel: String,
        each: @Sendable (UpstreamBatchLine) async throws -> Void
    ) async throws
    func deleteFile(_ id: String) async throws
}
