import Crypto
import Foundation

/// Credentials for an S3-compatible store, from the environment only (never logged: `description` hides them).
public struct AWSCredentials: Sendable, CustomStringConvertible {
    public let accessKeyID: String
    public let secretAccessKey: String
    public let sessionToken: String?

    public init(accessKeyID: String, secretAccessKey: String, sessionToken: String? = nil) {
        self.accessKeyID = accessKeyID
        self.secretAccessKey = secretAccessKey
        self.sessionToken = sessionToken
    }

    public var description: String { "AWSCredentials(redacted)" }
}

/// AWS Signature Version 4 for S3 (header and presigned-query forms), written from AWS's published steps:
/// canonical request → string to sign → HMAC chain of date, region, service. S3 paths are encoded once and
/// never normalised.
public struct SigV4Signer: Sendable {
    public static let emptyPayloadHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    public static let unsignedPayload = "UNSIGNED-PAYLOAD"

    public let credentials: AWSCredentials
    public let region: String
    public let service: String

    public init(credentials: AWSCredentials, region: String, service: String = "s3") {
        self.credentials = credentials
        self.region = region
        self.service = service
    }

    /// A request to sign: the path is already the object's path (`/bucket/key`), unencoded; the query's
    /// names and values unencoded; `headers` must hold `host` exactly as it is sent.
    public struct Request: Sendable {
        public var method: String
        public var path: String
        public var query: [(String, String)]
        public var headers: [(String, String)]
        public var payloadHash: String

        public init(method: String, path: String, query: [(String, String)] = [], headers: [(String, String)], payloadHash: String) {
            self.method = method
            self.path = path
            self.query = query
            self.headers = headers
            self.payloadHash = payloadHash
        }
    }

    /// The headers to add to `request` (x-amz-date, x-amz-content-sha256, the session token when there is
    /// one, and Authorization), signing every header it already has plus those.
    public func signedHeaders(for request: Request, at date: Date, sendPayloadHash: Bool = true) -> [(String, String)] {
        let stamp = Self.stamp(date)
        var added: [(String, String)] = [("x-amz-date", stamp.full)]
        if sendPayloadHash { added.append(("x-amz-content-sha256", request.payloadHash)) }
        if let token = credentials.sessionToken { added.append(("x-amz-security-token", token)) }
        var signing = request
        signing.headers += added
        let (canonical, signed) = canonicalRequest(signing)
        let scope = "\(stamp.day)/\(region)/\(service)/aws4_request"
        let signature = sign(canonical: canonical, stamp: stamp, scope: scope)
        added.append(
            ("Authorization", "AWS4-HMAC-SHA256 Credential=\(credentials.accessKeyID)/\(scope), SignedHeaders=\(signed), Signature=\(signature)")
        )
        return added
    }

    /// The query string of a presigned URL for `method path` on `host`, valid for `expires` seconds.
    public func presignedQuery(method: String, host: String, path: String, expires: Int, at date: Date) -> String {
        let stamp = Self.stamp(date)
        let scope = "\(stamp.day)/\(region)/\(service)/aws4_request"
        var query: [(String, String)] = [
            ("X-Amz-Algorithm", "AWS4-HMAC-SHA256"), ("X-Amz-Credential", "\(credentials.accessKeyID)/\(scope)"),
            ("X-Amz-Date", stamp.full), ("X-Amz-Expires", String(min(max(expires, 1), 604_800))), ("X-Amz-SignedHeaders", "host"),
        ]
        if let token = credentials.sessionToken { query.append(("X-Amz-Security-Token", token)) }
        let request = Request(method: method, path: path, query: query, headers: [("host", host)], payloadHash: Self.unsignedPayload)
        let signature = sign(canonical: canonicalRequest(request).canonical, stamp: stamp, scope: scope)
        return Self.canonicalQuery(query) + "&X-Amz-Signature=" + signature
    }

    /// The canonical request and its signed-header list.
    public func canonicalRequest(_ request: Request) -> (canonical: String, signedHeaders: String) {
        var headers: [String: String] = [:]
        for (name, value) in request.headers {
            let key = name.lowercased()
            let trimmed = value.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ")
            headers[key] = headers[key].map { $0 + "," + trimmed } ?? trimmed
        }
        let names = headers.keys.sorted()
        let canonicalHeaders = names.map { "\($0):\(headers[$0]!)\n" }.joined()
        let signed = names.joined(separator: ";")
        let path = request.path.isEmpty ? "/" : Self.encode(request.path, keepSlash: true)
        let canonical = [request.method, path, Self.canonicalQuery(request.query), canonicalHeaders, signed, request.payloadHash]
            .joined(separator: "\n")
        return (canonical, signed)
    }

    private func sign(canonical: String, stamp: (day: String, full: String), scope: String) -> String {
        let stringToSign = "AWS4-HMAC-SHA256\n\(stamp.full)\n\(scope)\n\(Self.hex(SHA256.hash(data: Data(canonical.utf8))))"
        var key = SymmetricKey(data: Data("AWS4\(credentials.secretAccessKey)".utf8))
        for part in [stamp.day, region, service, "aws4_request"] {
            key = SymmetricKey(data: Data(HMAC<SHA256>.authenticationCode(for: Data(part.utf8), using: key)))
        }
        return Self.hex(HMAC<SHA256>.authenticationCode(for: Data(stringToSign.utf8), using: key))
    }

    public static func canonicalQuery(_ query: [(String, String)]) -> String {
        let pairs: [(name: String, value: String)] = query.map { (encode($0.0, keepSlash: false), encode($0.1, keepSlash: false)) }
        let sorted = pairs.sorted { a, b in a.name == b.name ? a.value < b.value : a.name < b.name }
        return sorted.map { pair in pair.name + "=" + pair.value }.joined(separator: "&")
    }

    /// AWS's URI encoding: unreserved characters as they are, everything else `%XX` in uppercase hex.
    public static func encode(_ text: String, keepSlash: Bool) -> String {
        var out = ""
        for byte in text.utf8 {
            if unreserved.contains(byte) || (keepSlash && byte == UInt8(ascii: "/")) {
                out.unicodeScalars.append(Unicode.Scalar(byte))
            } else {
                out += String(format: "%%%02X", byte)
            }
        }
        return out
    }

    private static let unreserved = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~".utf8)

    static func stamp(_ date: Date) -> (day: String, full: String) {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        let day = String(format: "%04d%02d%02d", c.year!, c.month!, c.day!)
        return (day, day + String(format: "T%02d%02d%02dZ", c.hour!, c.minute!, c.second!))
    }

    public static func hex<D: Sequence>(_ digest: D) -> String where D.Element == UInt8 {
        digest.map { String(format: "%02x", $0) }.joined()
    }

    public static func payloadHash(_ bytes: some DataProtocol) -> String { hex(SHA256.hash(data: bytes)) }
}
