import EaselCore

/// A failure the fake server plays on demand, for the next request(s).
public enum FakeFault: Sendable, Equatable {
    /// 429 `rate_limit_exceeded` with optional `retry-after` / `retry-after-ms` headers.
    case rateLimit(retryAfter: String? = nil, retryAfterMs: String? = nil)
    /// A server error (500, 502, 503…).
    case serverError(status: Int = 500)
    /// Waits this long before answering normally.
    case slow(milliseconds: Int)
    /// Streams the first partial image, then closes the connection without a `completed` event.
    case truncatedStream
    case moderationBlocked
    case organizationVerification
    case insufficientQuota
    case billingHardLimit
    case modelNotFound
    case invalidAPIKey
    /// Any status with an explicit `x-should-retry` header.
    case withShouldRetry(status: Int, shouldRetry: Bool)

    /// Parses `{"kind": "rate_limit", "retry_after": "2"}` and friends.
    public init?(json: JSONValue) {
        guard let kind = json["kind"]?.stringValue else { return nil }
        func int(_ key: String) -> Int? {
            if case .number(let value)? = json[key] { return Int(value) }
            return nil
        }
        switch kind {
        case "rate_limit": self = .rateLimit(retryAfter: json["retry_after"]?.stringValue, retryAfterMs: json["retry_after_ms"]?.stringValue)
        case "server_error": self = .serverError(status: int("status") ?? 500)
        case "slow": self = .slow(milliseconds: int("ms") ?? 1000)
        case "truncated_stream": self = .truncatedStream
        case "moderation_blocked": self = .moderationBlocked
        case "organization_verification": self = .organizationVerification
        case "insufficient_quota": self = .insufficientQuota
        case "billing_hard_limit": self = .billingHardLimit
        case "model_not_found": self = .modelNotFound
        case "invalid_api_key": self = .invalidAPIKey
        case "should_retry": self = .withShouldRetry(status: int("status") ?? 500, shouldRetry: json["value"] == .bool(true))
        default: return nil
        }
    }
}

/// An error the fake answers with, in OpenAI's envelope.
struct FakeFailure: Error, Sendable {
    var status: Int
    var type: String
    var code: String?
    var param: String?
    var message: String

    init(_ status: Int, _ type: String, _ code: String?, _ param: String?, _ message: String) {
        self.status = status
        self.type = type
        self.code = code
        self.param = param
        self.message = message
    }

    var envelope: JSONValue {
        .object([
            "error": .object([
                "message": .string(message), "type": .string(type), "param": param.map(JSONValue.string) ?? .null,
                "code": code.map(JSONValue.string) ?? .null,
            ])
        ])
    }
}
