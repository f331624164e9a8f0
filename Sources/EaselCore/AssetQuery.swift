/// What the gallery asks for: filters, full-text words, order and a page. The store turns it into SQL
/// (FTS5 on SQLite, a tsvector on PostgreSQL), so callers never see how search is done.
public struct AssetQuery: Sendable, Hashable {
    public enum Order: String, Sendable, Hashable {
        case newest
        case oldest
    }

    /// Whose assets; nil for everyone's (a reviewer's queue).
    public var userID: String?
    /// Full-text words (`SearchText.query`).
    public var search: SearchText.Query?
    public var model: String?
    /// A template id (any version) or `id@version`.
    public var template: String?
    public var batchID: String?
    public var collectionID: String?
    public var favorite: Bool?
    public var minRating: Int?
    public var tag: String?
    public var review: ReviewStatus?
    public var format: ImageFormat?
    public var width: Int?
    public var height: Int?
    /// Width ÷ height, matched within 1 %.
    public var aspect: Double?
    public var createdFrom: Int64?
    public var createdTo: Int64?
    public var draft: Bool?
    public var order = Order.newest
    /// The last id of the previous page.
    public var after: String?
    public var limit = 50

    public init(userID: String?) {
        self.userID = userID
    }
}
