import EaselCore
import Hummingbird

/// `limit` (1 to 100, default 20) and `before` (the `next_cursor` of the previous page) of a listing.
struct PageQuery {
    let limit: Int
    let before: String?

    init(_ request: Request, cursorPrefix: String) throws {
        let query = request.uri.queryParameters
        limit = try Self.limit(request)
        if let text = query["before"].map(String.init) {
            guard EaselID.isValid(text, prefix: cursorPrefix) else {
                throw EaselError.invalidRequest("Invalid 'before' cursor '\(text)': use the next_cursor of a previous page.", param: "before")
            }
            before = text
        } else {
            before = nil
        }
    }

    /// `limit` alone: 1 to 100, 20 when absent.
    static func limit(_ request: Request) throws -> Int {
        guard let text = request.uri.queryParameters["limit"].map(String.init) else { return 20 }
        guard let value = Int(text), (1...100).contains(value) else {
            throw EaselError.invalidRequest("Invalid 'limit': '\(text)'. It must be an integer from 1 to 100.", param: "limit")
        }
        return value
    }
}
