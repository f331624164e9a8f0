/// A chain of revisions: each turn edits the newest image the session has produced.
public struct EditSession: Sendable, Hashable {
    public var id: String
    public var userID: String
    public var title: String?
    /// The model turns use unless a turn names another.
    public var model: String
    /// The image the first turn edits, when the session starts from an existing asset.
    public var baseAssetID: String?
    public var createdAt: Int64
    public var updatedAt: Int64

    public init(id: String, userID: String, title: String?, model: String, baseAssetID: String?, createdAt: Int64, updatedAt: Int64) {
        self.id = id
        self.userID = userID
        self.title = title
        self.model = model
        self.baseAssetID = baseAssetID
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}

public struct SessionTurn: Sendable, Hashable {
    public var sessionID: String
    /// 1-based position in the session.
    public var turn: Int
    public var jobID: String
    public var prompt: String
    /// The image this turn edited (nil for a first turn that generated from a prompt).
    public var inputAssetID: String?
    public var createdAt: Int64

    public init(sessionID: String, turn: Int, jobID: String, prompt: String, inputAssetID: String?, createdAt: Int64) {
        self.sessionID = sessionID
        self.turn = turn
        self.jobID = jobID
        self.prompt = prompt
        self.inputAssetID = inputAssetID
        self.createdAt = createdAt
    }
}
