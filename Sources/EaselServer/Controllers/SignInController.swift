import EaselCore
import Foundation
import Hummingbird

/// The studio's ways in (public routes): log in with a password, continue as a guest, log out. Each sets
/// or clears the signed session cookie (HttpOnly, SameSite=Lax).
struct SignInController {
    let accounts: AccountService
    let guestsAllowed: Bool

    func addRoutes(to router: some RouterMethods<EaselRequestContext>) {
        router.post("/api/auth/login", use: login)
        router.post("/api/auth/guest", use: guest)
        router.post("/api/auth/logout", use: logout)
    }

    @Sendable func login(_ request: Request, context: EaselRequestContext) async throws -> Response {
        let reader = FieldReader(fields: try await request.jsonObject(limit: 64 * 1024))
        guard let name = try reader.string("name") else { throw EaselError.missing("name") }
        guard let password = try reader.string("password") else { throw EaselError.missing("password") }
        return signedIn(try await accounts.login(name: name, password: password))
    }

    @Sendable func guest(_ request: Request, context: EaselRequestContext) async throws -> Response {
        signedIn(try await accounts.createGuest(allowed: guestsAllowed))
    }

    @Sendable func logout(_ request: Request, context: EaselRequestContext) async throws -> Response {
        .json(.object(["ok": true]), status: .ok, headers: [.setCookie: "\(AccountService.cookieName)=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0"])
    }

    private func signedIn(_ user: EaselUser) -> Response {
        let cookie = "\(AccountService.cookieName)=\(accounts.sessionCookie(userID: user.id)); Path=/; HttpOnly; SameSite=Lax; Max-Age=2592000"
        return .json(.object(["user": Representations.user(user, plan: accounts.plan(named: user.plan))]), status: .ok, headers: [.setCookie: cookie])
    }
}
