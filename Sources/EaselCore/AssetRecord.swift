/// What an asset is for.
public enum AssetRole: String, Sendable, Hashable, CaseIterable {
    /// An image a job made (a provider's output, an upscale).
    case generated
    /// An image uploaded as the input of an edit.
    case upload
    /// A mask uploaded with an edit (alpha 0 marks where to edit).
    case mask
}

/// A stored image: metadata here, bytes in the blob store under `blobKey`.
public struct AssetRecord: Sendable, Hashable {
    public var id: String
    public var jobID: String?
    public var userID: String
    public var parentAssetID: String?
    /// Position in its job's output.
    public var index: Int
    public var blobKey: String
    public var thumbKey: String?
    public var format: ImageFormat
    public var width: Int
    public var height: Int
    public var bytes: Int
    public var sha256: String
    public var model: String
    public var provider: String
    /// True for the offline renderer's pictures; shown as a draft everywhere.
    public var isDraft: Bool
    public var role: AssetRole
    public var prompt: String
    public var createdAt: Int64
    /// Set when an admin hid the asset: it is gone from every route but the admin's.
    public var hiddenAt: Int64? = nil
    /// The brief, template and variables it was made from, when it was.
    public var origin: CreativeOrigin? = nil
    /// The batch it was made in, if any.
    public var batchID: String? = nil
    /// Curation: the owner's star, 1–5 rating and tags; alt text and where it came from; the review state.
    public var favorite = false
    public var rating: Int? = nil
    public var tags: [String] = []
    public var altText: String? = nil
    public var altSource: AltTextSource? = nil
    public var reviewStatus = ReviewStatus.unreviewed

    /// The one rule for every route that takes an asset id: only the owner sees an asset, and nobody once an
    /// admin hid it (a deleted asset has no row at all). Anything else answers 404, never 403.
    public func isVisible(to userID: String) -> Bool { self.userID == userID && hiddenAt == nil }

    public init(
        id: String,
        jobID: String?,
        userID: String,
        parentAssetID: String?,
        index: Int,
        blobKey: String,
        thumbKey: String?,
        format: ImageFormat,
        width: Int,
        height: Int,
        bytes: Int,
        sha256: String,
        model: String,
        provider: String,
        isDraft: Bool,
        role: AssetRole,
        prompt: String,
        createdAt: Int64
    ) {
        self.id = id
        self.jobID = jobID
        self.userID = userID
        self.parentAssetID = parentAssetID
        self.index = index
        self.blobKey = blobKey
        self.thumbKey = thumbKey
        self.format = format
        self.width = width
        self.height = height
        self.bytes = bytes
        self.sha256 = sha256
        self.model = model
        self.provider = provider
        self.isDraft = isDraft
        self.role = role
        self.prompt = prompt
        self.createdAt = createdAt
    }
}
