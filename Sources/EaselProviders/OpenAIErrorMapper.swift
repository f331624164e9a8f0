import EaselCore
import Foundation

/// Turns an upstream failure into the error Easel reports: actionable, in OpenAI's envelope, classified
/// for retry, never carrying the provider key.
public struct OpenAIErrorMapper: Sendable {
    public var provider: String
    public var route: String
    public var upstreamModel: String
    public var key: Secret?

    public init(provider: String, route: String, upstreamModel: String, key: Secret?) {
        self.provider = provider
        self.route = route
        self.upstreamModel = upstreamModel
        self.key = key
    }

    /// Maps a non-2xx response.
    public func map(status: Int, headers: [(String, String)], body: Data, requestID: String?) -> ProviderError {
        let envelope = try? JSONParser.parse(Array(body.prefix(256 * 1024)))
        let inner = envelope?["error"]
        let upstreamMessage = scrub(inner?["message"]?.stringValue ?? String(decoding: body.prefix(500), as: UTF8.self))
        let code = inner?["code"]?.stringValue
        let type = inner?["type"]?.stringValue
        let param = inner?["param"]?.stringValue
        func header(_ name: String) -> String? { headers.first { $0.0.lowercased() == name }?.1 }

        var error: JobError
        switch (status, code ?? type ?? "") {
        case (401, _):
            error = JobError(
                status: 502,
                type: "server_error",
                code: "provider_auth_failed",
                message: "The provider key for route '\(route)' (provider '\(provider)') was rejected by the provider. "
                    + "The operator of this Easel server must set a valid key for it (OPENAI_API_KEY or the config file).",
                retryable: false
            )
        case (403, _) where upstreamMessage.lowercased().contains("verif"):
            error = JobError(
                status: 403,
                type: "invalid_request_error",
                code: "organization_verification_required",
                message: "Provider '\(provider)' requires its organization to be verified before it can use \(upstreamModel) "
                    + "(route '\(route)'). The account owner must open https://platform.openai.com/settings/organization/general, "
                    + "click Verify Organization and wait up to 15 minutes for access to propagate.",
                retryable: false
            )
        case (_, "moderation_blocked"):
            error = JobError(
                status: 400,
                type: type ?? "image_generation_user_error",
                code: "moderation_blocked",
                param: param,
                message: upstreamMessage,
                retryable: false
            )
        case (_, "insufficient_quota"), (_, "billing_hard_limit_reached"):
            error = JobError(
                status: 402,
                type: "insufficient_quota",
                code: code ?? "insufficient_quota",
                message: "The account behind provider '\(provider)' (route '\(route)') has no quota left (\(code ?? "insufficient_quota")). "
                    + "Add credit or raise the billing limit with the provider; Easel does not retry this.",
                retryable: false
            )
        case (404, _), (_, "model_not_found"):
            error = JobError(
                status: 404,
                type: "invalid_request_error",
                code: "model_not_found",
                param: "model",
                message: "Route '\(route)' sends model '\(upstreamModel)' to provider '\(provider)', which does not have it: "
                    + "\(upstreamMessage) Check the route's model mapping in the config.",
                retryable: false
            )
        case (408, _), (409, _), (429, _), (500..., _):
            error = JobError(
                status: status,
                type: type ?? (status == 429 ? "rate_limit_error" : "server_error"),
                code: code,
                param: param,
                message: "Provider '\(provider)' (route '\(route)') answered \(status): \(upstreamMessage)",
                retryable: true
            )
        default:
            error = JobError(
                status: status,
                type: type ?? "invalid_request_error",
                code: code,
                param: param,
                message: upstreamMessage,
                retryable: false
            )
        }
        // The provider's own word on retrying overrides the status.
        if let shouldRetry = header("x-should-retry") {
            if shouldRetry == "true" { error.retryable = true }
            if shouldRetry == "false" { error.retryable = false }
        }
        error.upstreamRequestID = requestID
        error.provider = provider
        if code == "moderation_blocked", let details = inner?["moderation_details"] {
            error.moderationDetails = details.serializedString
        }
        return ProviderError(error, retryAfterMs: Self.retryAfterMs(retryAfterMs: header("retry-after-ms"), retryAfter: header("retry-after")))
    }

    /// A failure to talk to the provider at all (connect, timeout, a stream cut short): worth retrying.
    public func transport(_ description: String) -> ProviderError {
        var error = JobError(
            status: 502,
            type: "server_error",
            code: "provider_unreachable",
            message: "Could not complete the request to provider '\(provider)' (route '\(route)'): \(scrub(description))",
            retryable: true
        )
        error.provider = provider
        return ProviderError(error)
    }

    func scrub(_ text: String) -> String { key?.scrub(text) ?? text }

    /// `retry-after-ms` wins, then `retry-after` in seconds or as an HTTP date; only waits up to 120 s are
    /// honoured (longer ones fall back to Easel's own backoff), as the official SDK does.
    public static func retryAfterMs(retryAfterMs: String?, retryAfter: String?, now: Date = Date()) -> Int64? {
        if let text = retryAfterMs, let ms = Double(text), ms >= 0, ms <= 120_000 { return Int64(ms) }
        guard let text = retryAfter?.trimmingCharacters(in: .whitespaces) else { return nil }
        if let seconds = Double(text) {
            return seconds >= 0 && seconds <= 120 ? Int64(seconds * 1000) : nil
        }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        if let date = formatter.date(from: text) {
            let ms = date.timeIntervalSince(now) * 1000
            return ms >= 0 && ms <= 120_000 ? Int64(ms) : nil
        }
        return nil
    }
}
