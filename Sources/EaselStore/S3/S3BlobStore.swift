import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// Blobs on any S3 API (AWS, MinIO, Ceph, R2, moto), over async-http-client with SigV4-signed requests.
/// Keys are content addresses (`<sha256>.<ext>`), so a retried put is harmless and a present key is skipped.
public final class S3BlobStore: BlobStore {
    public let location: S3Location
    private let signer: SigV4Signer
    private let client: HTTPClient
    /// The largest object `get` reads into memory.
    private let maxObjectBytes: Int
    /// Objects larger than this go up in parts of this size (S3 asks at least 5 MiB for all but the last).
    private let partBytes: Int
    /// How long one request may take, connecting included (async-http-client keeps trying to connect until then).
    private let timeout: TimeAmount

    public init(
        location: S3Location,
        credentials: AWSCredentials,
        client: HTTPClient,
        maxObjectBytes: Int = 512 * 1024 * 1024,
        partBytes: Int = 16 * 1024 * 1024,
        timeout: TimeAmount = .seconds(60)
    ) {
        self.partBytes = max(partBytes, 5 * 1024 * 1024)
        self.location = location
        self.signer = SigV4Signer(credentials: credentials, region: location.region)
        self.client = client
        self.maxObjectBytes = maxObjectBytes
        self.timeout = timeout
    }

    public func put(_ data: Data, fileExtension: String) async throws -> BlobRef {
        let hash = BlobKey.sha256Hex(data)
        let ref = BlobRef(key: "\(hash).\(fileExtension)", sha256: hash, bytes: data.count)
        if try await exists(key: ref.key) { return ref }
        let type = [("content-type", Self.contentType(fileExtension))]
        if data.count > partBytes {
            try await putInParts(data, key: ref.key, headers: type)
            return ref
        }
        let response = try await send(.PUT, key: ref.key, body: data, headers: type)
        guard response.status == .ok else { throw failure(response, doing: "PUT \(ref.key)") }
        return ref
    }

    /// A large object in parts (S3's multipart upload): started, each part sent, then completed; abandoned
    /// on any failure so no half upload is left behind.
    private func putInParts(_ data: Data, key: String, headers: [(String, String)]) async throws {
        let started = try await send(.POST, key: key, query: [("uploads", "")], headers: headers)
        guard started.status == .ok, let upload = Self.element("UploadId", in: started.text) else {
            throw failure(started, doing: "start the upload of \(key)")
        }
        do {
            var parts: [(number: Int, etag: String)] = []
            var offset = data.startIndex
            while offset < data.endIndex {
                let end = min(offset + partBytes, data.endIndex)
                let number = parts.count + 1
                let sent = try await send(
                    .PUT,
                    key: key,
                    query: [("partNumber", String(number)), ("uploadId", upload)],
                    body: data.subdata(in: offset..<end)
                )
                guard sent.status == .ok, let etag = sent.headers.first(name: "etag") else {
                    throw failure(sent, doing: "PUT part \(number) of \(key)")
                }
                parts.append((number, etag))
                offset = end
            }
            let list = parts.map { "<Part><PartNumber>\($0.number)</PartNumber><ETag>\($0.etag)</ETag></Part>" }.joined()
            let done = try await send(
                .POST,
                key: key,
                query: [("uploadId", upload)],
                body: Data("<CompleteMultipartUpload>\(list)</CompleteMultipartUpload>".utf8)
            )
            // S3 can answer 200 with an error inside the body.
            guard done.status == .ok, Self.element("Code", in: done.text) == nil else { throw failure(done, doing: "complete the upload of \(key)") }
        } catch {
            _ = try? await send(.DELETE, key: key, query: [("uploadId", upload)])
            throw error
        }
    }

    public func get(key: String) async throws -> Data? {
        guard BlobKey.isValid(key) else { return nil }
        let response = try await send(.GET, key: key, readUpTo: maxObjectBytes)
        if response.status == .notFound { return nil }
        guard response.status == .ok else { throw failure(response, doing: "GET \(key)") }
        return Data(buffer: response.body)
    }

    public func exists(key: String) async throws -> Bool {
        guard BlobKey.isValid(key) else { return false }
        let response = try await send(.HEAD, key: key)
        if response.status == .notFound { return false }
        guard response.status == .ok else { throw failure(response, doing: "HEAD \(key)") }
        return true
    }

    public func delete(key: String) async throws {
        guard BlobKey.isValid(key) else { return }
        let response = try await send(.DELETE, key: key)
        guard [.noContent, .ok, .notFound].contains(response.status) else { throw failure(response, doing: "DELETE \(key)") }
    }

    public func localPath(key: String) -> String? { nil }

    public func presignedGetURL(key: String, seconds: Int) -> String? {
        guard BlobKey.isValid(key) else { return nil }
        let address = location.address(of: key)
        let query = signer.presignedQuery(method: "GET", host: address.host, path: address.path, expires: seconds, at: Date())
        return address.base + SigV4Signer.encode(address.path, keepSlash: true) + "?" + query
    }

    /// Creates the bucket when it is missing (for a fresh MinIO or moto; on AWS it usually exists already).
    public func ensureBucket() async throws {
        let head = try await send(.HEAD, key: nil)
        if head.status == .ok { return }
        guard head.status == .notFound else { throw failure(head, doing: "HEAD bucket \(location.bucket)") }
        var body: Data?
        if location.region != "us-east-1" {
            body = Data(
                "<CreateBucketConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><LocationConstraint>\(location.region)</LocationConstraint></CreateBucketConfiguration>"
                    .utf8
            )
        }
        let created = try await send(.PUT, key: nil, body: body)
        guard created.status == .ok else { throw failure(created, doing: "create bucket \(location.bucket)") }
    }

    /// One signed request, its answer read whole (up to `readUpTo` bytes): a body left unread holds its
    /// connection, and the next request waits behind it.
    private func send(
        _ method: HTTPMethod,
        key: String?,
        query: [(String, String)] = [],
        body: Data? = nil,
        headers extra: [(String, String)] = [],
        readUpTo limit: Int = 64 * 1024
    ) async throws -> Answer {
        let response = try await execute(method, key: key, query: query, body: body, headers: extra)
        do {
            return Answer(status: response.status, headers: response.headers, body: try await response.body.collect(upTo: limit))
        } catch {
            throw S3Error("S3 \(method.rawValue) \(key ?? location.bucket) at \(location.endpoint) failed: \(error)")
        }
    }

    /// Signs and sends one request; the answer's body is the caller's to read.
    private func execute(
        _ method: HTTPMethod,
        key: String?,
        query: [(String, String)] = [],
        body: Data? = nil,
        headers extra: [(String, String)] = []
    ) async throws -> HTTPClientResponse {
        let address = location.address(of: key)
        let payloadHash = body.map { SigV4Signer.payloadHash($0) } ?? SigV4Signer.emptyPayloadHash
        let headers = [("host", address.host)] + extra
        let signed = signer.signedHeaders(
            for: SigV4Signer.Request(method: method.rawValue, path: address.path, query: query, headers: headers, payloadHash: payloadHash),
            at: Date()
        )
        let queryString = query.isEmpty ? "" : "?" + SigV4Signer.canonicalQuery(query)
        var request = HTTPClientRequest(url: address.base + SigV4Signer.encode(address.path, keepSlash: true) + queryString)
        request.method = method
        for (name, value) in headers + signed { request.headers.add(name: name, value: value) }
        if let body {
            // A length, not chunks: S3 and moto want Content-Length on a signed PUT.
            request.body = .bytes(ByteBuffer(data: body))
        }
        do {
            return try await client.execute(request, timeout: timeout)
        } catch {
            throw S3Error("S3 \(method.rawValue) \(key ?? location.bucket) at \(location.endpoint) failed: \(error)")
        }
    }

    /// The object as it arrives from the store, piece by piece: a file is passed on to its client without
    /// ever being whole in memory.
    public func read(key: String) async throws -> BlobStream? {
        guard BlobKey.isValid(key) else { return nil }
        let response = try await execute(.GET, key: key)
        guard response.status == .ok else {
            let answer = Answer(
                status: response.status,
                headers: response.headers,
                body: (try? await response.body.collect(upTo: 64 * 1024)) ?? ByteBuffer()
            )
            if response.status == .notFound { return nil }
            throw failure(answer, doing: "GET \(key)")
        }
        let length = response.headers.first(name: "content-length").flatMap { Int($0) }
        let body = response.body
        return BlobStream(length: length) { write in
            for try await piece in body { try await write(piece) }
        }
    }

    /// One answer of the store, read whole.
    struct Answer {
        var status: HTTPResponseStatus
        var headers: HTTPHeaders
        var body: ByteBuffer
        var text: String { String(buffer: body) }
    }

    static func element(_ name: String, in text: String) -> String? {
        guard let start = text.range(of: "<\(name)>"), let end = text.range(of: "</\(name)>", range: start.upperBound..<text.endIndex) else {
            return nil
        }
        return String(text[start.upperBound..<end.lowerBound])
    }

    /// The store's own error code and message (from its XML body), never the request's headers.
    private func failure(_ response: Answer, doing what: String) -> S3Error {
        let text = response.text
        var detail = [Self.element("Code", in: text), Self.element("Message", in: text)].compactMap { $0 }.joined(separator: ": ")
        if detail.isEmpty && response.status == .forbidden {
            // A HEAD answer has no body to say why; a refusal is nearly always the credentials.
            detail = "(refused: check AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, and the bucket's policy)"
        }
        return S3Error("S3 \(what) answered \(response.status.code)\(detail.isEmpty ? "" : " \(detail)")", status: Int(response.status.code))
    }

    static func contentType(_ fileExtension: String) -> String {
        switch fileExtension {
        case "png": "image/png"
        case "jpg", "jpeg": "image/jpeg"
        case "webp": "image/webp"
        case "zip": "application/zip"
        default: "application/octet-stream"
        }
    }
}
