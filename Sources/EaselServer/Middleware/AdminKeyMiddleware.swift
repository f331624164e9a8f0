import Crypto
import EaselCore
import Foundation
import Hummingbird

/// Until accounts exist, an admin key (when configured) guards everything but health checks and the
/// studio's static page. Compared in constant time; never logged or echoed.
struct AdminKeyMiddleware: RouterMiddleware {
    typealias Context = EaselRequestContext
    let keyDigest: [UInt8]
    static let openPaths: Set<String> = ["/", "/healthz", "/readyz", "/favicon.ico"]

    init(key: String) {
        keyDigest = Array(SHA256.hash(data: Data(key.utf8)))
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if Self.openPaths.contains(request.uri.path) { return try await next(request, context) }
        guard let header = request.headers[.authorization], header.lowercased().hasPrefix("bearer ") else {
            throw EaselError.unauthorized(
                "You didn't provide an API key. Send 'Authorization: Bearer <key>' with the key this Easel server was started with.")
        }
        let given = Array(SHA256.hash(data: Data(header.dropFirst(7).trimmingCharacters(in: .whitespaces).utf8)))
        // Digests have equal length, so comparing every byte takes the same time whatever the key.
        guard zip(given, keyDigest).reduce(0, { $0 | ($1.0 ^ $1.1) }) == 0 else {
            throw EaselError.unauthorized("Incorrect API key provided.")
        }
        return try await next(request, context)
    }
}
