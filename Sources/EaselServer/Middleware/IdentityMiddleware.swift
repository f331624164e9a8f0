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
        if context.identity != nil, request.headers[.authorization] == nil { try Self.refuseCrossSite(request) }
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

    /// A studio session is a cookie the browser sends by itself, so a change it authorizes must come from a
    /// page of this server: a browser that says the request is cross-site (`Sec-Fetch-Site`), or names
    /// another origin (`Origin`), is refused. The cookie is SameSite=Lax too; this is the second lock. API keys
    /// are never sent by a browser on its own and need no such check.
    static func refuseCrossSite(_ request: Request) throws {
        guard ![.get, .head, .options].contains(request.method) else { return }
        let refusal = EaselError(
            status: 403,
            type: "invalid_request_error",
            code: "cross_site_request",
            param: nil,
            message: "This change came from another site with your studio session; it was refused. Use the studio itself or an API key."
        )
        // Browsers of the last years say where a request comes from; their word decides (a proxy that
        // rewrites Host does not matter then).
        if let site = request.headers[.init("Sec-Fetch-Site")!] {
            guard ["same-origin", "none"].contains(site.lowercased()) else { throw refusal }
            return
        }
        // Older ones send Origin: its host and port must be the ones this request was sent to.
        guard let origin = request.headers[.origin] else { return }
        let authority = origin.split(separator: "/", omittingEmptySubsequences: true).dropFirst().first.map { $0.lowercased() }
        let hosts = [request.head.authority, request.headers[.init("X-Forwarded-Host")!]].compactMap { $0?.lowercased() }
        guard let authority, hosts.contains(authority) else { throw refusal }
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
