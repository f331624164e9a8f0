import EaselCore
import EaselStore

/// Public links to one asset or a collection: unguessable tokens (about 190 bits) of which only the SHA-256 is
/// stored, an expiry, download allowed or not, the prompt shown or not. Revoking, or hiding or deleting the
/// asset, ends a link at once; a link shows nothing else of the account.
public struct ShareService: Sendable {
    let curation: any CurationStore
    let assets: AssetService
    let collections: CollectionService
    let gate: ApprovalGate
    let ids: IDGenerator
    let clock: any EaselClock

    /// What a link opens: the link and the images it shows now.
    public struct Opened: Sendable {
        public var link: ShareLink
        public var collectionName: String?
        public var assets: [AssetRecord]
    }

    /// A link to the caller's asset (`assetID`) or collection; the token is returned once.
    public func create(assetID: String?, collectionID: String?, body: [String: JSONValue], userID: String) async throws -> (ShareLink, String) {
        let fields = try JSONValue.object(body).members(known: ["expires_in", "allow_download", "show_prompt"], param: nil)
        let reader = FieldReader(fields: fields)
        let lifetime: Int64
        if let seconds = try reader.integer("expires_in") {
            guard seconds >= 60, Int64(seconds) * 1000 <= ShareLink.maxLifetimeMs else {
                throw EaselError.invalidRequest(
                    "'expires_in' is in seconds, from 60 to \(ShareLink.maxLifetimeMs / 1000) (90 days).",
                    param: "expires_in"
                )
            }
            lifetime = Int64(seconds) * 1000
        } else {
            lifetime = ShareLink.defaultLifetimeMs
        }
        if let assetID {
            let asset = try await assets.asset(id: assetID, userID: userID)
            guard asset.role == .generated else { throw EaselError.notFound("asset", id: assetID, param: "id") }
            try await gate.check([asset], collection: nil, action: "sharing")
        } else if let collectionID {
            let collection = try await collections.collection(collectionID, userID: userID)
            let members = try await collections.members(collectionID, userID: userID)
            try await gate.check(members, collection: collection, action: "sharing")
        }
        let now = clock.nowMillis()
        let link = ShareLink(
            id: ids.make(prefix: "shr", millis: now),
            userID: userID,
            assetID: assetID,
            collectionID: collectionID,
            allowDownload: try reader.bool("allow_download") ?? false,
            showPrompt: try reader.bool("show_prompt") ?? false,
            expiresAt: now + lifetime,
            createdAt: now
        )
        let token = Self.newToken()
        try await curation.createShare(link, tokenHash: Self.tokenHash(token))
        return (link, token)
    }

    /// A page of the caller's share links, newest first.
    public func list(userID: String, before: String?, limit: Int) async throws -> Page<ShareLink> {
        let rows = try await curation.shares(userID: userID, before: before, limit: limit + 1)
        return Page(fetched: rows, limit: limit)
    }

    public func revoke(_ id: String, userID: String) async throws -> ShareLink {
        guard EaselID.isValid(id, prefix: "shr"), var link = try await curation.share(id: id), link.userID == userID else {
            throw EaselError.notFound("share link", id: id, param: "id")
        }
        if link.revokedAt == nil {
            let now = clock.nowMillis()
            _ = try await curation.revokeShare(id: id, at: now)
            link.revokedAt = now
        }
        return link
    }

    /// The link a token opens, with the images it shows; 404 for an unknown, expired or revoked token, or
    /// when what it showed is gone.
    public func open(token: String) async throws -> Opened {
        guard ShareToken.isWellFormed(token), let link = try await curation.share(tokenHash: Self.tokenHash(token)),
            link.isOpen(at: clock.nowMillis())
        else { throw Self.notFound }
        if let assetID = link.assetID {
            guard let asset = try await assets.anyAsset(id: assetID), asset.isVisible(to: link.userID) else { throw Self.notFound }
            return Opened(link: link, collectionName: nil, assets: [asset])
        }
        guard let collectionID = link.collectionID, let collection = try await curation.collection(id: collectionID) else { throw Self.notFound }
        let members = try await collections.members(collectionID, userID: link.userID, limit: 500)
        return Opened(link: link, collectionName: collection.name, assets: members)
    }

    /// Says nothing about why: unknown, expired and revoked look the same.
    static let notFound = EaselError(
        status: 404,
        type: "invalid_request_error",
        code: "share_not_found",
        param: nil,
        message: "This link does not exist, has expired or was revoked."
    )

    /// What is stored of a token.
    public static func tokenHash(_ token: String) -> String { AccountService.digest(token) }

    static func newToken() -> String {
        var random = SystemRandomNumberGenerator()
        let alphabet = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
        return "esh_" + String((0..<32).map { _ in alphabet[Int(random.next() % UInt64(alphabet.count))] })
    }

    public func data(of asset: AssetRecord) async throws -> [UInt8] { Array(try await assets.data(of: asset)) }
}
