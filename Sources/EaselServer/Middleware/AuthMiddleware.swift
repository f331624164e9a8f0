import EaselCore
import Foundation
import Hummingbird

/// Every route but health checks, the studio page and the login/guest endpoints needs an identity: an API
/// key (`Authorization: Bearer esk_…`) or the studio's signed session cookie. Admin routes need the admin
/// role. Keys are looked up by SHA-256 digest; they are never logged or echoed.
struct AuthMiddleware: RouterMiddleware {
    typealias Context = EaselRequestContext
    let accounts: AccountService
    static let openPaths: Set<String> = ["/", "/healthz", "/readyz", "/metrics", "/favicon.ico", "/api/auth/login", "/api/auth/guest", "/api/auth/logout"]

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let path = request.uri.path
        if Self.openPaths.contains(path) { return try await next(request, context) }
        var context = context
        if let header = request.headers[.authorization] {
            guard header.lowercased().hasPrefix("bearer ") else {
                throw EaselError.unauthorized("Send the API key as 'Authorization: Bearer <key>'.")
            }
            let key = header.dropFirst(7).trimmingCharacters(in: .whitespaces)
            guard let identity = try await accounts.authenticate(key: key) else {
                throw EaselError(status: 401, type: "invalid_request_error", code: "invalid_api_key", param: nil,
                                 message: "Incorrect API key provided. Keys are created with `easel keys create` or by an admin.")
            }
            context.identity = identity
        } else if let cookie = Self.cookie(AccountService.cookieName, in: request), let userID = accounts.userID(fromCookie: cookie),
                  let identity = try await accounts.identity(userID: userID) {
            context.identity = identity
        } else {
            throw EaselError.unauthorized(
                "You didn't provide an API key. Send 'Authorization: Bearer <key>' (create one with `easel keys create`), or log in to the studio.")
        }
        if path.hasPrefix("/api/admin"), context.identity?.isAdmin != true {
            throw EaselError(status: 403, type: "invalid_request_error", code: "admin_only", param: nil, message: "This route is for admins.")
        }
        return try await next(request, context)
    }

    static func cookie(_ name: String, in request: Request) -> String? {
        for header in request.headers[values: .cookie] {
            for pair in header.split(separator: ";") {
                let parts = pair.trimmingCharacters(in: .whitespaces).split(separator: "=", maxSplits: 1)
                if parts.count == 2, parts[0] == name { return String(parts[1]) }
            }
        }
        return nil
    }
}
