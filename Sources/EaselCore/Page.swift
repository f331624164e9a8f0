/// A page of a listing, newest first.
public struct Page<Item: Sendable>: Sendable {
    public var items: [Item]
    public var hasMore: Bool

    public init(items: [Item], hasMore: Bool) {
        self.items = items
        self.hasMore = hasMore
    }

    /// A page from rows read with `LIMIT limit + 1`: the extra row, dropped, says another page follows.
    public init(fetched rows: [Item], limit: Int) {
        self.init(items: Array(rows.prefix(limit)), hasMore: rows.count > limit)
    }
}
