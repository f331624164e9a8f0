/// One turn of an image conversation as Easel keeps it: what the client asked (echoed back on every read)
/// and the job that makes its image. The response's state is the job's state, so nothing is written when
/// the image is done.
public struct ResponseRecord: Sendable {
    public var id: String
    public var userID: String
    public var jobID: String
    public var previousResponseID: String?
    /// Unix milliseconds.
    public var createdAt: Int64
    /// The fields every read echoes: model, tools, tool_choice, instructions, metadata, the text knobs.
    public var echo: [String: JSONValue]
    /// The input items as stored (ids given, image bytes replaced by the assets they were stored as).
    public var inputItems: [JSONValue]
    /// The user's text of this turn: context for later turns of the chain.
    public var turnText: String
    /// `generate` or `edit`: what the turn did.
    public var action: String
    /// The prompt the image was made from.
    public var prompt: String

    public init(
        id: String,
        userID: String,
        jobID: String,
        previousResponseID: String?,
        createdAt: Int64,
        echo: [String: JSONValue],
        inputItems: [JSONValue],
        turnText: String,
        action: String,
        prompt: String
    ) {
        self.id = id
        self.userID = userID
        self.jobID = jobID
        self.previousResponseID = previousResponseID
        self.createdAt = createdAt
        self.echo = echo
        self.inputItems = inputItems
        self.turnText = turnText
        self.action = action
        self.prompt = prompt
    }

    /// The id suffix every item of this response shares.
    var suffix: Substring { id.dropFirst("resp_".count) }
    /// The `image_generation_call` item's id.
    public var imageCallID: String { "ig_" + suffix }
    public var messageID: String { "msg_" + suffix }

    public static func imageCallID(responseID: String) -> String { "ig_" + responseID.dropFirst("resp_".count) }
    public static func responseID(imageCallID: String) -> String? {
        imageCallID.hasPrefix("ig_") ? "resp_" + imageCallID.dropFirst(3) : nil
    }
}

/// Where a response stands, read from its job.
public struct ResponseState: Sendable {
    public enum Status: String, Sendable {
        case inProgress = "in_progress"
        case completed
        case failed
        case cancelled
    }

    /// The finished image.
    public struct Image: Sendable {
        public var base64: String
        public var size: String
        public var quality: String
        public var background: String
        public var format: String

        public init(base64: String, size: String, quality: String, background: String, format: String) {
            self.base64 = base64
            self.size = size
            self.quality = quality
            self.background = background
            self.format = format
        }
    }

    public var status: Status
    public var image: Image?
    /// `code` is one of the contract's `ResponseError` codes.
    public var error: (code: String, message: String)?
    public var usage: ImageUsage?
    /// Unix milliseconds.
    public var completedAt: Int64?
    /// The prompt after the provider's rewrite, when it reported one.
    public var revisedPrompt: String?

    public init(
        status: Status,
        image: Image? = nil,
        error: (code: String, message: String)? = nil,
        usage: ImageUsage? = nil,
        completedAt: Int64? = nil,
        revisedPrompt: String? = nil
    ) {
        self.status = status
        self.image = image
        self.error = error
        self.usage = usage
        self.completedAt = completedAt
        self.revisedPrompt = revisedPrompt
    }

    public static let inProgress = ResponseState(status: .inProgress)

    /// The contract's closed list of `ResponseError` codes for a failed job's error.
    public static func errorCode(for error: JobError) -> String {
        let code = error.code ?? ""
        if code == "moderation_blocked" || code.contains("content_policy") || error.moderationDetails != nil {
            return "image_content_policy_violation"
        }
        if error.status == 429 { return "rate_limit_exceeded" }
        let imageCodes: Set<String> = [
            "invalid_image", "invalid_image_format", "invalid_base64_image", "invalid_image_url", "image_too_large", "image_too_small",
            "image_parse_error", "invalid_image_mode", "image_file_too_large", "unsupported_image_media_type", "empty_image_file",
        ]
        return imageCodes.contains(code) ? code : "server_error"
    }
}
