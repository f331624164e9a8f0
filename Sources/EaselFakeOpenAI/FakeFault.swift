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
    /// Sends a 200 head that promises a body, then drops the connection before any of it.
    case connectionReset
    /// Holds the request this long, then answers normally: longer than a client waits, it is a timeout.
    case hang(milliseconds: Int)
    /// A 200 whose body stops half way through its declared length.
    case truncatedBody
    /// A 200 whose body is not JSON.
    case malformedJSON
    /// A 200 images response whose PNG has a good signature and header, then bytes that do not decode.
    case undecodableImage

    /// What chaos mode plays, in equal shares: every kind of failure a provider or the network produces.
    static func chaosMix(hangMs: Int) -> [FakeFault] {
        [
            .serverError(status: 500), .serverError(status: 503), .rateLimit(retryAfter: "1"), .connectionReset,
            .hang(milliseconds: hangMs), .truncatedBody, .malformedJSON, .undecodableImage,
        ]
    }

    /// A short name, for the counts chaos mode reports.
    var name: String {
        switch self {
        case .rateLimit: return "rate_limit"
        case .serverError(let status): return "server_error_\(status)"
        case .slow: return "slow"
        case .truncatedStream: return "truncated_stream"
        case .moderationBlocked: return "moderation_blocked"
        case .organizationVerification: return "organization_verification"
        case .insufficientQuota: return "insufficient_quota"
        case .billingHardLimit: return "billing_hard_limit"
        case .modelNotFound: return "model_not_found"
        case .invalidAPIKey: return "invalid_api_key"
        case .withShouldRetry: return "should_retry"
        case .connectionReset: return "reset"
        case .hang: return "hang"
        case .truncatedBody: return "truncated_body"
        case .malformedJSON: return "malformed_json"
        case .undecodableImage: return "bad_png"
        }
    }

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
        case "reset": self = .connectionReset
        case "hang": self = .hang(milliseconds: int("ms") ?? 5000)
        case "truncated_body": self = .truncatedBody
        case "malformed_json": self = .malformedJSON
        case "bad_png": self = .undecodableImage
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
