/// A board of assets. An asset may be on many; deleting a collection leaves its assets alone.
public struct AssetCollection: Sendable, Hashable {
    public var id: String
    public var userID: String
    public var name: String
    /// Its assets must be approved before the collection is shared or exported.
    public var approvalRequired = false
    public var count = 0
    public var coverAssetID: String?
    public var createdAt: Int64
    public var updatedAt: Int64

    public init(id: String, userID: String, name: String, createdAt: Int64) {
        self.id = id
        self.userID = userID
        self.name = name
        self.createdAt = createdAt
        self.updatedAt = createdAt
    }

    public static let maxNameLength = 200
}

/// A public link to one asset or one collection. Only the token's SHA-256 is stored.
public struct ShareLink: Sendable, Hashable {
    public var id: String
    public var userID: String
    public var assetID: String?
    public var collectionID: String?
    public var allowDownload: Bool
    public var showPrompt: Bool
    public var expiresAt: Int64
    public var revokedAt: Int64?
    public var createdAt: Int64

    public init(
        id: String,
        userID: String,
        assetID: String?,
        collectionID: String?,
        allowDownload: Bool,
        showPrompt: Bool,
        expiresAt: Int64,
        createdAt: Int64
    ) {
        self.id = id
        self.userID = userID
        self.assetID = assetID
        self.collectionID = collectionID
        self.allowDownload = allowDownload
        self.showPrompt = showPrompt
        self.expiresAt = expiresAt
        self.createdAt = createdAt
    }

    public func isOpen(at now: Int64) -> Bool { revokedAt == nil && now < expiresAt }

    /// Longest a link may live: 90 days.
    public static let maxLifetimeMs: Int64 = 90 * 86_400_000
    public static let defaultLifetimeMs: Int64 = 7 * 86_400_000
}

/// One change of an asset's review, kept for ever (append only).
public struct ReviewEvent: Sendable, Hashable {
    public var id: String
    public var assetID: String
    public var actorID: String
    public var status: ReviewStatus
    public var checklist: [ChecklistEntry]
    public var altText: String?
    public var note: String?
    public var createdAt: Int64

    public init(
        id: String,
        assetID: String,
        actorID: String,
        status: ReviewStatus,
        checklist: [ChecklistEntry],
        altText: String?,
        note: String?,
        createdAt: Int64
    ) {
        self.id = id
        self.assetID = assetID
        self.actorID = actorID
        self.status = status
        self.checklist = checklist
        self.altText = altText
        self.note = note
        self.createdAt = createdAt
    }
}

/// Tags: trimmed, lower-cased, 1–64 characters, at most 32 per asset.
public enum Tags {
    public static let maxPerAsset = 32

    public static func normalize(_ values: [String], param: String) throws(EaselError) -> [String] {
        var out: [String] = []
        for (index, value) in values.enumerated() {
            let tag = value.trimmingWhitespace.lowercased()
            guard (1...64).contains(tag.count), !tag.contains(",") else {
                throw .invalidRequest("Invalid tag '\(value)': 1 to 64 characters, no commas.", param: "\(param)[\(index)]")
            }
            if !out.contains(tag) { out.append(tag) }
        }
        return out
    }
}
