import EaselCore
import Foundation
import Hummingbird
import Logging

/// Gives each request an id (the client's `x-request-id` if it is sane, else a new one), puts it on the
/// logger and echoes it in the response, where the OpenAI SDKs surface it as `request_id`.
struct RequestIDMiddleware: RouterMiddleware {
    typealias Context = EaselRequestContext
    let ids: IDGenerator
    let clock: any EaselClock

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        let id = Self.acceptable(request.headers[.xRequestID]) ?? ids.make(prefix: "req", millis: clock.nowMillis())
        context.requestID = id
        context.logger[metadataKey: "request.id"] = .string(id)
        do {
            var response = try await next(request, context)
            response.headers[.xRequestID] = id
            return response
        } catch var error as EaselHTTPError {
            error.requestID = id
            throw error
        }
    }

    /// A client-chosen id is kept only if it is short and plain, so it is safe in logs and headers.
    static func acceptable(_ incoming: String?) -> String? {
        guard let incoming, (1...128).contains(incoming.count) else { return nil }
        let allowed = incoming.unicodeScalars.allSatisfy { scalar in
            scalar.isASCII && (CharacterSet.alphanumerics.contains(scalar) || "-_.".unicodeScalars.contains(scalar))
        }
        return allowed ? incoming : nil
    }
}
