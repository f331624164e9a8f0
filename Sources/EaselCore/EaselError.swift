/// Every error Easel reports, shaped like OpenAI's error object so SDK clients surface it natively:
/// `{"error": {"message", "type", "param", "code"}}` with all four keys always present.
public struct EaselError: Error, Sendable, Equatable, CustomStringConvertible {
    public var status: Int
    public var type: String
    public var code: String?
    public var param: String?
    public var message: String
    /// Extra members of the inner error object (for example `moderation_details`).
    public var extra: [String: JSONValue]
    /// Seconds a client should wait before retrying (sent as `Retry-After`).
    public var retryAfterSeconds: Int?

    public init(
        status: Int,
        type: String,
        code: String?,
        param: String?,
        message: String,
        extra: [String: JSONValue] = [:],
        retryAfterSeconds: Int? = nil
    ) {
        self.status = status
        self.type = type
        self.code = code
        self.param = param
        self.message = message
        self.extra = extra
        self.retryAfterSeconds = retryAfterSeconds
    }

    public var description: String { "\(status) \(type)/\(code ?? "-") param=\(param ?? "-"): \(message)" }

    /// The inner error object as JSON.
    public var errorObject: JSONValue {
        var object: [String: JSONValue] = [
            "message": .string(message),
            "type": .string(type),
            "param": param.map(JSONValue.string) ?? .null,
            "code": code.map(JSONValue.string) ?? .null,
        ]
        for (key, value) in extra { object[key] = value }
        return .object(object)
    }

    /// The whole envelope `{"error": {...}}`.
    public var envelope: JSONValue { .object(["error": errorObject]) }
}

extension EaselError {
    public static func invalidRequest(_ message: String, param: String?, code: String? = "invalid_value") -> EaselError {
        EaselError(status: 400, type: "invalid_request_error", code: code, param: param, message: message)
    }

    public static func missing(_ param: String) -> EaselError {
        invalidRequest("Missing required parameter: '\(param)'.", param: param, code: "missing_required_parameter")
    }

    public static func invalidType(_ param: String, expected: String, got value: JSONValue) -> EaselError {
        invalidRequest(
            "Invalid type for '\(param)': expected \(expected), but got \(value.typeName) instead.",
            param: param,
            code: "invalid_type"
        )
    }

    public static func notFound(_ what: String, id: String, param: String? = nil) -> EaselError {
        EaselError(
            status: 404,
            type: "invalid_request_error",
            code: "not_found",
            param: param,
            message: "No \(what) with id '\(id)' exists."
        )
    }

    public static func modelNotFound(_ model: String, param: String = "model") -> EaselError {
        EaselError(
            status: 404,
            type: "invalid_request_error",
            code: "model_not_found",
            param: param,
            message: "The model '\(model)' does not exist or is not routed by this Easel server. See GET /v1/models."
        )
    }

    public static func unauthorized(_ message: String) -> EaselError {
        EaselError(status: 401, type: "invalid_request_error", code: "invalid_api_key", param: nil, message: message)
    }

    /// 403: something only an admin may do.
    public static func adminOnly(_ message: String, param: String? = nil) -> EaselError {
        EaselError(status: 403, type: "invalid_request_error", code: "admin_only", param: param, message: message)
    }

    public static func conflict(_ message: String, code: String, param: String? = nil) -> EaselError {
        EaselError(status: 409, type: "invalid_request_error", code: code, param: param, message: message)
    }

    public static func server(_ message: String, code: String? = "internal_error") -> EaselError {
        EaselError(status: 500, type: "server_error", code: code, param: nil, message: message)
    }

    public static func unavailable(_ message: String, code: String? = "unavailable", retryAfter: Int? = nil) -> EaselError {
        EaselError(
            status: 503,
            type: "server_error",
            code: code,
            param: nil,
            message: message,
            retryAfterSeconds: retryAfter
        )
    }
}
