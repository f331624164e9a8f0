import EaselCore
import Foundation
import Hummingbird

/// Resolves who is asking, for the authenticated route group: an API key (`Authorization: Bearer esk_…`)
/// or the studio's signed session cookie. A key that is wrong answers 401 here; no credentials at all is
/// left for `AuthenticatedContext` to refuse. Keys are looked up by SHA-256 digest, never logged or echoed.
struct IdentityMiddleware: RouterMiddleware {
    typealias Context = EaselRequestContext
    let accounts: AccountService

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        context.identity = try await Self.identity(of: request, accounts: accounts)
        return try await next(request, context)
    }

    /// The identity a request's credentials carry, nil when it carries none.
    static func identity(of request: Request, accounts: AccountService) async throws -> Identity? {
        if let header = request.headers[.authorization] {
            guard header.lowercased().hasPrefix("bearer ") else {
                throw EaselError.unauthorized("Send the API key as 'Authorization: Bearer <key>'.")
            }
            let key = header.dropFirst(7).trimmingCharacters(in: .whitespaces)
            guard let identity = try await accounts.authenticate(key: key) else {
                throw EaselError.unauthorized("Incorrect API key provided. Keys are created with `easel keys create` or by an admin.")
            }
            return identity
        }
        if let cookie = cookie(AccountService.cookieName, in: request) { return try await accounts.identity(cookie: cookie) }
        return nil
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
