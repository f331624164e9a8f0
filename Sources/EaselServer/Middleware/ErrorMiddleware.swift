import EaselCore
import Foundation
import Hummingbird
import Logging

/// An error rendered as OpenAI's envelope `{"error": {message, type, param, code}}`.
struct EaselHTTPError: HTTPResponseError {
    var error: EaselError
    var requestID: String?
    /// Extra headers for the error response (the job id of a failed job, say).
    var headers: HTTPFields = [:]

    init(error: EaselError, requestID: String? = nil, headers: HTTPFields = [:]) {
        self.error = error
        self.requestID = requestID
        self.headers = headers
    }

    var status: HTTPResponse.Status { .init(code: error.status) }

    func response(from request: Request, context: some RequestContext) throws -> Response {
        var headers = self.headers
        headers[.contentType] = "application/json"
        if let requestID { headers[.xRequestID] = requestID }
        if let retryAfter = error.retryAfterSeconds { headers[.retryAfter] = String(retryAfter) }
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: error.envelope.serialized())))
    }
}

/// The one place errors become HTTP: every failure turns into the envelope with the right status and
/// headers (`Retry-After`, `x-ratelimit-*`, the job id), so SDKs raise their usual exceptions; 5xx are
/// logged with the request id. Nothing internal (paths, keys, SQL) reaches the client.
struct ErrorMiddleware: RouterMiddleware {
    typealias Context = EaselRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as EaselHTTPError {
            throw error
        } catch let error as EaselError {
            if error.status >= 500 { context.logger.error("request failed", metadata: ["error": "\(error)"]) }
            throw EaselHTTPError(error: error)
        } catch let denied as AdmissionDenied {
            throw EaselHTTPError(error: denied.error, headers: HTTPFields(rateLimit: denied.rateLimit))
        } catch let failure as JobOutcomeError {
            var headers = HTTPFields(rateLimit: failure.rateLimit)
            headers[.xEaselJobID] = failure.jobID
            if failure.isDraft { headers[.xEaselDraft] = "true" }
            throw EaselHTTPError(error: failure.error, headers: headers)
        } catch let error as HTTPError {
            throw EaselHTTPError(error: Self.translate(error, request: request))
        } catch let error as any HTTPResponseError {
            throw EaselHTTPError(
                error: EaselError(
                    status: Int(error.status.code),
                    type: Self.type(for: Int(error.status.code)),
                    code: nil,
                    param: nil,
                    message: error.status.reasonPhrase
                )
            )
        } catch is CancellationError {
            throw EaselHTTPError(
                error: EaselError(
                    status: 499,
                    type: "server_error",
                    code: "cancelled",
                    param: nil,
                    message: "The request was cancelled."
                )
            )
        } catch {
            context.logger.error("unhandled error", metadata: ["error": "\(String(reflecting: error))"])
            throw EaselHTTPError(error: .server("Easel hit an internal error. Quote the request id (\(context.requestID)) when reporting it."))
        }
    }

    static func translate(_ error: HTTPError, request: Request) -> EaselError {
        let code = Int(error.status.code)
        switch code {
        case 404:
            return EaselError(
                status: 404,
                type: "invalid_request_error",
                code: "unknown_url",
                param: nil,
                message: "Unknown request URL: \(request.method.rawValue) \(request.uri.path). See the README for Easel's routes."
            )
        case 405:
            return EaselError(
                status: 405,
                type: "invalid_request_error",
                code: "method_not_allowed",
                param: nil,
                message: "\(request.method.rawValue) is not allowed on \(request.uri.path)."
            )
        case 413:
            return EaselError(
                status: 413,
                type: "invalid_request_error",
                code: "request_too_large",
                param: nil,
                message: "The request body is too large."
            )
        default:
            return EaselError(status: code, type: type(for: code), code: nil, param: nil, message: error.body ?? error.status.reasonPhrase)
        }
    }

    static func type(for status: Int) -> String { status >= 500 ? "server_error" : "invalid_request_error" }
}
