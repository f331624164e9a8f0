import Foundation
import MultipartKit
import NIOCore

/// One part of a multipart/form-data body.
public struct MultipartPart: Sendable {
    public var name: String
    /// Present for file parts (a part with `filename=` in its Content-Disposition).
    public var filename: String?
    public var contentType: String?
    public var data: Data

    public init(name: String, filename: String? = nil, contentType: String? = nil, data: Data) {
        self.name = name
        self.filename = filename
        self.contentType = contentType
        self.data = data
    }

    public var isFile: Bool { filename != nil }
    public var text: String { String(decoding: data, as: UTF8.self) }
}

/// Bounds on what a multipart body may hold. The body is read as it arrives and refused as soon as a bound
/// is crossed, so an oversized upload is never buffered whole.
public struct MultipartLimits: Sendable {
    public var maxFileBytes: Int
    public var maxFieldBytes: Int
    public var maxParts: Int
    public var maxTotalBytes: Int

    public init(
        maxFileBytes: Int = 50 * 1024 * 1024,
        maxFieldBytes: Int = 256 * 1024,
        maxParts: Int = 64,
        maxTotalBytes: Int = 16 * 50 * 1024 * 1024 + 1024 * 1024
    ) {
        self.maxFileBytes = maxFileBytes
        self.maxFieldBytes = maxFieldBytes
        self.maxParts = maxParts
        self.maxTotalBytes = maxTotalBytes
    }
}

public enum MultipartError: Error, Equatable, CustomStringConvertible {
    case notMultipart
    case malformed(String)
    case fileTooLarge(name: String, limit: Int)
    case fieldTooLarge(name: String, limit: Int)
    case tooManyParts(limit: Int)
    case bodyTooLarge(limit: Int)

    public var description: String {
        switch self {
        case .notMultipart: "the body is not multipart/form-data with a boundary"
        case .malformed(let why): "malformed multipart body: \(why)"
        case .fileTooLarge(let name, let limit): "file '\(name)' is larger than \(limit) bytes"
        case .fieldTooLarge(let name, let limit): "field '\(name)' is longer than \(limit) bytes"
        case .tooManyParts(let limit): "more than \(limit) parts"
        case .bodyTooLarge(let limit): "the body is larger than \(limit) bytes"
        }
    }
}

public enum MultipartReader {
    /// The boundary of a `multipart/form-data; boundary=…` content type.
    public static func boundary(contentType: String?) -> String? {
        guard let contentType else { return nil }
        let params = HeaderParameters.parse(contentType)
        guard params.value.lowercased() == "multipart/form-data", let boundary = params["boundary"], !boundary.isEmpty,
            boundary.count <= 200
        else { return nil }
        return boundary
    }

    /// Reads every part of `body`, enforcing `limits` while streaming.
    public static func read<Body: AsyncSequence>(_ body: Body, boundary: String, limits: MultipartLimits) async throws -> [MultipartPart]
    where Body.Element == ByteBuffer {
        let collector = PartCollector(limits: limits)
        let parser = MultipartParser(boundary: boundary)
        parser.onHeader = { name, value in collector.header(name, value) }
        parser.onBody = { buffer in collector.body(&buffer) }
        parser.onPartComplete = { collector.complete() }
        var headerNames = HeaderNameGuard(boundary: boundary)
        var total = 0
        for try await chunk in body {
            total += chunk.readableBytes
            if total > limits.maxTotalBytes { throw MultipartError.bodyTooLarge(limit: limits.maxTotalBytes) }
            guard headerNames.admits(chunk) else { throw MultipartError.malformed("a part's header name is not ASCII") }
            do {
                try parser.execute(chunk)
            } catch {
                throw MultipartError.malformed("\(error)")
            }
            if let failure = collector.failure { throw failure }
        }
        if let failure = collector.failure { throw failure }
        guard collector.finished, isClosed(parser) else { throw MultipartError.malformed("the body ended before the closing boundary") }
        return collector.parts
    }

    /// Whether `parser` is past the closing boundary, so a body cut off in a part is refused instead of read
    /// without that part. MultipartKit does not say; but there it ignores all input, while in any other state
    /// after a first part, CRLF and ':' make it call back or throw.
    static func isClosed(_ parser: MultipartParser) -> Bool {
        var heard = false
        parser.onHeader = { _, _ in heard = true }
        parser.onBody = { _ in heard = true }
        parser.onPartComplete = { heard = true }
        guard (try? parser.execute(ByteBuffer(string: "\r\n:"))) != nil else { return false }
        return !heard
    }

    /// Convenience for a body already in memory.
    public static func read(_ data: Data, boundary: String, limits: MultipartLimits = MultipartLimits()) async throws -> [MultipartPart] {
        try await read(SingleBuffer(buffer: ByteBuffer(bytes: data)), boundary: boundary, limits: limits)
    }
}

/// Collects parts from the parser's callbacks, checking limits as bytes arrive.
private final class PartCollector {
    let limits: MultipartLimits
    var parts: [MultipartPart] = []
    var headers: [(String, String)] = []
    var current = Data()
    var failure: MultipartError?
    var started = false
    var sawClosingPart = false

    init(limits: MultipartLimits) {
        self.limits = limits
    }

    var finished: Bool { failure == nil && sawClosingPart }

    func header(_ name: String, _ value: String) {
        if !started {
            started = true
            if parts.count >= limits.maxParts { failure = .tooManyParts(limit: limits.maxParts) }
        }
        headers.append((name.lowercased(), value))
    }

    var disposition: HeaderParameters? {
        headers.first { $0.0 == "content-disposition" }.map { HeaderParameters.parse($0.1) }
    }

    func body(_ buffer: inout ByteBuffer) {
        guard failure == nil else { return }
        let name = disposition?["name"] ?? "?"
        let isFile = disposition?["filename"] != nil
        let limit = isFile ? limits.maxFileBytes : limits.maxFieldBytes
        if current.count + buffer.readableBytes > limit {
            failure = isFile ? .fileTooLarge(name: name, limit: limit) : .fieldTooLarge(name: name, limit: limit)
            return
        }
        current.append(contentsOf: buffer.readableBytesView)
    }

    func complete() {
        defer {
            headers = []
            current = Data()
            started = false
        }
        sawClosingPart = true
        guard failure == nil else { return }
        guard let disposition, disposition.value.lowercased() == "form-data", let name = disposition["name"] else {
            failure = .malformed("a part has no form-data name")
            return
        }
        let contentType = headers.first { $0.0 == "content-type" }?.1
        parts.append(MultipartPart(name: name, filename: disposition["filename"], contentType: contentType, data: current))
    }
}

/// A header value with `; key=value` parameters (`form-data; name="image[]"; filename="a.png"`).
public struct HeaderParameters: Sendable {
    public var value: String
    public var parameters: [String: String]

    public subscript(key: String) -> String? { parameters[key.lowercased()] }

    public static func parse(_ header: String) -> HeaderParameters {
        var segments: [String] = []
        var current = ""
        var inQuotes = false
        var escaped = false
        for character in header {
            if escaped {
                current.append(character)
                escaped = false
            } else if character == "\\" && inQuotes {
                escaped = true
            } else if character == "\"" {
                inQuotes.toggle()
            } else if character == ";" && !inQuotes {
                segments.append(current)
                current = ""
            } else {
                current.append(character)
            }
        }
        segments.append(current)
        var parameters: [String: String] = [:]
        for segment in segments.dropFirst() {
            guard let equals = segment.firstIndex(of: "=") else { continue }
            let key = segment[..<equals].trimmingCharacters(in: .whitespaces).lowercased()
            let value = segment[segment.index(after: equals)...].trimmingCharacters(in: .whitespaces)
            parameters[key] = value
        }
        return HeaderParameters(value: segments[0].trimmingCharacters(in: .whitespaces), parameters: parameters)
    }
}

struct SingleBuffer: AsyncSequence {
    typealias Element = ByteBuffer
    let buffer: ByteBuffer

    struct AsyncIterator: AsyncIteratorProtocol {
        var buffer: ByteBuffer?
        mutating func next() async throws -> ByteBuffer? {
            defer { buffer = nil }
            return buffer
        }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(buffer: buffer) }
}
