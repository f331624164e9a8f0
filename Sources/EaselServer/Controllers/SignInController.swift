import EaselCore
import Foundation
import Hummingbird

/// The studio's ways in (public routes): log in with a password or an API key, continue as a guest, log out.
/// Each sets or clears the signed session cookie (HttpOnly, SameSite=Lax), so no key is kept by the page.
struct SignInController {
    let accounts: AccountService
    let guestsAllowed: Bool
    /// Guest sessions per client address: each makes a user row, so they are rationed.
    let guestLimiter: AddressRateLimiter

    func addRoutes(to router: some RouterMethods<EaselRequestContext>) {
        router.post("/api/auth/login", use: login)
        router.post("/api/auth/key", use: keyLogin)
        router.post("/api/auth/guest", use: guest)
        router.post("/api/auth/logout", use: logout)
        router.get("/api/auth/session", use: session)
    }

    @Sendable func login(_ request: Request, context: EaselRequestContext) async throws -> Response {
        // Another site must not sign a visitor in (or out) with its own form.
        try IdentityMiddleware.refuseCrossSite(request)
        let reader = FieldReader(fields: try await request.jsonObject(limit: 64 * 1024))
        guard let name = try reader.string("name") else { throw EaselError.missing("name") }
        guard let password = try reader.string("password") else { throw EaselError.missing("password") }
        return signedIn(try await accounts.login(name: name, password: password))
    }

    /// `{key}`: a session for the key's user.
    @Sendable func keyLogin(_ request: Request, context: EaselRequestContext) async throws -> Response {
        try IdentityMiddleware.refuseCrossSite(request)
        let reader = FieldReader(fields: try await request.jsonObject(limit: 64 * 1024))
        guard let key = try reader.string("key") else { throw EaselError.missing("key") }
        return signedIn(try await accounts.login(key: key))
    }

    @Sendable func guest(_ request: Request, context: EaselRequestContext) async throws -> Response {
        try IdentityMiddleware.refuseCrossSite(request)
        if guestsAllowed, let retry = guestLimiter.take(AddressRateLimiter.key(for: context.remoteAddress)) {
            throw EaselError(
                status: 429,
                type: "rate_limit_error",
                code: "rate_limit_exceeded",
                param: nil,
                message: "Too many guest sessions from your address; try again in \(retry) s, or log in.",
                retryAfterSeconds: retry
            )
        }
        return signedIn(try await accounts.createGuest(allowed: guestsAllowed))
    }

    @Sendable func logout(_ request: Request, context: EaselRequestContext) async throws -> Response {
        try IdentityMiddleware.refuseCrossSite(request)
        return .json(
            .object(["ok": true]),
            status: .ok,
            headers: [.setCookie: "\(AccountService.cookieName)=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0"]
        )
    }

    /// Whether this browser has a studio session, answered without a 401 so a first visit logs no error.
    @Sendable func session(_ request: Request, context: EaselRequestContext) async throws -> JSONValue {
        guard let cookie = IdentityMiddleware.cookie(AccountService.cookieName, in: request),
            let identity = try await accounts.identity(cookie: cookie)
        else { return .object(["signed_in": false, "guests_allowed": .bool(guestsAllowed)]) }
        return .object([
            "signed_in": true, "guests_allowed": .bool(guestsAllowed), "user": Representations.user(identity.user, plan: identity.plan),
        ])
    }

    private func signedIn(_ user: EaselUser) -> Response {
        let cookie = "\(AccountService.cookieName)=\(accounts.sessionCookie(userID: user.id)); Path=/; HttpOnly; SameSite=Lax; Max-Age=2592000"
        return .json(.object(["user": Representations.user(user, plan: accounts.plan(named: user.plan))]), status: .ok, headers: [.setCookie: cookie])
    }
}
