import EaselCore
import Hummingbird

/// `limit` (1 to 100, default 20) and `before` (the `next_cursor` of the previous page) of a listing.
/// Listings the studio reads whole in one call (its pickers and tables) default to the largest page, 100,
/// and say `has_more` when there is more.
struct PageQuery {
    static let maxLimit = 100

    let limit: Int
    let before: String?

    init(_ request: Request, cursorPrefix: String, defaultLimit: Int = 20) throws {
        let query = request.uri.queryParameters
        limit = try Self.limit(request, default: defaultLimit)
        if let text = query["before"].map(String.init) {
            guard EaselID.isValid(text, prefix: cursorPrefix) else {
                throw EaselError.invalidRequest("Invalid 'before' cursor '\(text)': use the next_cursor of a previous page.", param: "before")
            }
            before = text
        } else {
            before = nil
        }
    }

    /// `limit` alone: 1 to 100, 20 (or `default`) when absent.
    static func limit(_ request: Request, default: Int = 20) throws -> Int {
        guard let text = request.uri.queryParameters["limit"].map(String.init) else { return `default` }
        guard let value = Int(text), (1...maxLimit).contains(value) else {
            throw EaselError.invalidRequest("Invalid 'limit': '\(text)'. It must be an integer from 1 to 100.", param: "limit")
        }
        return value
    }
}
