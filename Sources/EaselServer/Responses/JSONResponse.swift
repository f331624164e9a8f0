import EaselCore
import Foundation
import Hummingbird

extension JSONValue: ResponseGenerator {
    public func response(from request: Request, context: some RequestContext) throws -> Response {
        .json(self)
    }
}

extension Response {
    static func json(_ value: JSONValue, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) -> Response {
        var fields = headers
        fields[.contentType] = "application/json"
        return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: value.serialized())))
    }
}

extension Request {
    /// The body as a JSON object (400 in the envelope for anything else).
    func jsonObject(limit: Int) async throws -> [String: JSONValue] {
        guard case .object(let fields) = try await jsonBody(limit: limit) else {
            throw EaselError.invalidRequest("The request body must be a JSON object.", param: nil, code: "invalid_json")
        }
        return fields
    }

    /// A small optional JSON object: an empty or absent body, or one that is not JSON, counts as `{}`; one
    /// over 64 KB is still refused with 413, never read as `{}`.
    func optionalJSONObject() async throws -> [String: JSONValue] {
        do {
            return try await jsonObject(limit: 64 * 1024)
        } catch let error as EaselError where error.status == 413 {
            throw error
        } catch {
            return [:]
        }
    }

    /// Reads the body as JSON (at most `limit` bytes) into a `JSONValue`, with OpenAI-style errors for
    /// bodies that are too large, not UTF-8 or not JSON.
    func jsonBody(limit: Int) async throws -> JSONValue {
        let buffer: ByteBuffer
        do {
            buffer = try await body.collect(upTo: limit)
        } catch {
            throw EaselError(
                status: 413,
                type: "invalid_request_error",
                code: "request_too_large",
                param: nil,
                message: "The request body is larger than \(limit) bytes."
            )
        }
        guard buffer.readableBytes > 0 else {
            throw EaselError.invalidRequest("The request body is empty; send a JSON object.", param: nil, code: "invalid_json")
        }
        do {
            return try JSONParser.parse(buffer.readableBytesView)
        } catch  where error.reason == JSONParser.invalidUTF8 {
            throw EaselError.invalidRequest(
                "The request body is not valid UTF-8 (invalid bytes at offset \(error.offset)). JSON must be encoded as UTF-8.",
                param: nil,
                code: "invalid_json"
            )
        } catch {
            throw EaselError.invalidRequest(
                "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly.)",
                param: nil,
                code: "invalid_json"
            )
        }
    }
}

extension Int64 {
    /// Milliseconds to whole Unix seconds.
    var unixSeconds: Int64 { self / 1000 }
}

extension Request {
    /// `days` of a usage report: 1 to 366, default 30.
    func usageDays() throws -> Int {
        guard let text = uri.queryParameters["days"].map(String.init) else { return 30 }
        guard let days = Int(text) else { throw EaselError.invalidRequest("'days' must be between 1 and 366.", param: "days") }
        return days
    }
}
