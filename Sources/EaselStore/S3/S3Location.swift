import Foundation

/// Where blobs go on an S3-compatible store, from `EASEL_BLOB_URL`:
/// `s3://bucket/prefix?endpoint=http://127.0.0.1:5055&region=us-east-1&path_style=true`.
public struct S3Location: Sendable, Equatable {
    /// `scheme://host[:port]` of the service (AWS's regional endpoint when the URL names none).
    public var endpoint: String
    public var bucket: String
    /// Empty, or ending in `/`.
    public var prefix: String
    public var region: String
    /// `endpoint/bucket/key` (any S3 API) rather than `bucket.endpoint/key` (AWS's preference).
    public var pathStyle: Bool

    public init(endpoint: String, bucket: String, prefix: String = "", region: String = "us-east-1", pathStyle: Bool = true) {
        self.endpoint = endpoint
        self.bucket = bucket
        self.prefix = prefix
        self.region = region
        self.pathStyle = pathStyle
    }

    public static func parse(_ text: String) throws(S3Error) -> S3Location {
        guard let url = URLComponents(string: text), url.scheme == "s3", let bucket = url.host, !bucket.isEmpty else {
            throw S3Error("EASEL_BLOB_URL must look like s3://bucket/prefix?endpoint=…&region=…&path_style=true")
        }
        guard bucket.wholeMatch(of: /[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]/) != nil else {
            throw S3Error("'\(bucket)' is not a valid S3 bucket name (3–63 lowercase letters, digits, dots and hyphens)")
        }
        var prefix = url.path.trimmingCharacters(in: CharacterSet(charactersIn: "/"))
        guard
            prefix.unicodeScalars.allSatisfy({
                CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/_.-").contains($0)
            })
        else { throw S3Error("The blob prefix '\(prefix)' may hold only letters, digits, '/', '_', '.' and '-'") }
        if !prefix.isEmpty { prefix += "/" }
        var options: [String: String] = [:]
        for item in url.queryItems ?? [] {
            guard ["endpoint", "region", "path_style"].contains(item.name) else {
                throw S3Error("Unknown EASEL_BLOB_URL option '\(item.name)': use endpoint, region or path_style")
            }
            options[item.name] = item.value ?? ""
        }
        let region = options["region"].flatMap { $0.isEmpty ? nil : $0 } ?? "us-east-1"
        var endpoint = options["endpoint"] ?? "https://s3.\(region).amazonaws.com"
        while endpoint.hasSuffix("/") { endpoint.removeLast() }
        guard let parsed = URLComponents(string: endpoint), ["http", "https"].contains(parsed.scheme ?? ""), parsed.host?.isEmpty == false,
            parsed.path.isEmpty, parsed.query == nil
        else { throw S3Error("The S3 endpoint '\(endpoint)' must be http(s)://host[:port] with no path") }
        let pathStyle: Bool
        switch options["path_style"]?.lowercased() {
        case nil, "true", "1", "yes": pathStyle = true
        case "false", "0", "no": pathStyle = false
        case let other?: throw S3Error("path_style must be true or false, not '\(other)'")
        }
        return S3Location(endpoint: endpoint, bucket: bucket, prefix: prefix, region: region, pathStyle: pathStyle)
    }

    /// The URL, `Host` header and unencoded path of an object (or of the bucket when `key` is nil).
    public func address(of key: String?) -> (base: String, host: String, path: String) {
        let parts = URLComponents(string: endpoint)!
        let scheme = parts.scheme!
        var host = parts.host!
        if let port = parts.port { host += ":\(port)" }
        let object = key.map { prefix + $0 } ?? ""
        if pathStyle {
            return ("\(scheme)://\(host)", host, "/\(bucket)" + (key == nil ? "" : "/\(object)"))
        }
        return ("\(scheme)://\(bucket).\(host)", "\(bucket).\(host)", "/\(object)")
    }
}

/// A failure talking to the S3 store: what was asked and what the store answered, never a credential.
public struct S3Error: Error, CustomStringConvertible, Sendable {
    public let message: String
    public let status: Int?

    public init(_ message: String, status: Int? = nil) {
        self.message = message
        self.status = status
    }

    public var description: String { message }
}
