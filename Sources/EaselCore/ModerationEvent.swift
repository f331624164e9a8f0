/// Something moderation recorded: a blocked prompt, an upstream block, a user's report, or an admin's action.
public struct ModerationEvent: Sendable, Equatable {
    public enum Kind: String, Sendable, CaseIterable {
        case promptBlocked = "prompt_blocked"
        case upstreamBlocked = "upstream_blocked"
        case report
        case hidden
        case deleted
    }

    public enum Status: String, Sendable, CaseIterable {
        /// A report waiting for an admin.
        case open
        case closed
    }

    public var id: String
    public var userID: String?
    public var kind: Kind
    public var category: String?
    public var assetID: String?
    public var jobID: String?
    public var detail: String?
    public var status: Status
    public var createdAt: Int64

    public init(
        id: String,
        userID: String?,
        kind: Kind,
        category: String? = nil,
        assetID: String? = nil,
        jobID: String? = nil,
        detail: String? = nil,
        status: Status,
        createdAt: Int64
    ) {
        self.id = id
        self.userID = userID
        self.kind = kind
        self.category = category
        self.assetID = assetID
        self.jobID = jobID
        self.detail = detail
        self.status = status
        self.createdAt = createdAt
    }
}
