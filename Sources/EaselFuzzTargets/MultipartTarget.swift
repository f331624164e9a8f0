import EaselMultipart
import Foundation
import NIOCore

extension FuzzTargets {
    /// Small enough that the fuzzer's inputs cross every one of them.
    static let tightLimits = MultipartLimits(maxFileBytes: 64, maxFieldBytes: 16, maxParts: 3, maxTotalBytes: 512)

    /// `MultipartReader`, the input being a Content-Type line and then the body. The body is read whole, in
    /// small chunks, and in chunks under tight limits: chunking changes nothing, limits only ever refuse
    /// (never return a part larger than its limit, more parts or a larger body), and they refuse only when
    /// a limit is really crossed.
    public static func multipart(_ bytes: [UInt8]) {
        let lineEnd = bytes.firstIndex(of: UInt8(ascii: "\n")) ?? bytes.count
        let contentType = String(decoding: bytes[..<lineEnd], as: UTF8.self)
        let body = Array(bytes[min(lineEnd + 1, bytes.count)...])
        guard let boundary = MultipartReader.boundary(contentType: contentType) else { return }
        check(!boundary.isEmpty && boundary.count <= 200, "boundary of \(boundary.count) characters")
        let (whole, chunked, limited) = blocking {
            (
                await read(body, boundary: boundary, chunk: max(body.count, 1), limits: MultipartLimits()),
                await read(body, boundary: boundary, chunk: body.count % 29 + 1, limits: MultipartLimits()),
                await read(body, boundary: boundary, chunk: body.count % 23 + 1, limits: tightLimits)
            )
        }
        switch (whole, chunked) {
        case (.success(let a), .success(let b)): check(same(a, b), "chunking changed the parts")
        case (.failure, .failure): break
        default: fatalError("property broken: chunking changed the outcome: whole \(whole), chunked \(chunked)")
        }
        switch limited {
        case .success(let parts):
            let limits = tightLimits
            check(body.count <= limits.maxTotalBytes, "a body of \(body.count) bytes passed")
            check(parts.count <= limits.maxParts, "\(parts.count) parts passed")
            for part in parts {
                let limit = part.isFile ? limits.maxFileBytes : limits.maxFieldBytes
                check(part.data.count <= limit, "a part of \(part.data.count) bytes passed a limit of \(limit)")
            }
            guard case .success(let unlimited) = whole else { fatalError("property broken: limits accepted what no limit did") }
            check(same(parts, unlimited), "limits changed the parts")
        case .failure(let error):
            guard case .success(let parts) = whole else { return }
            check(crossed(error, parts: parts, bodyBytes: body.count), "refused by limits not crossed: \(error)")
        }
    }

    /// Whether `error` names a limit the parts read without limits really cross.
    static func crossed(_ error: any Error, parts: [MultipartPart], bodyBytes: Int) -> Bool {
        let limits = tightLimits
        switch error as? MultipartError {
        case .bodyTooLarge?: return bodyBytes > limits.maxTotalBytes
        case .tooManyParts?: return parts.count > limits.maxParts
        case .fileTooLarge?: return parts.contains { $0.isFile && $0.data.count > limits.maxFileBytes }
        case .fieldTooLarge?: return parts.contains { !$0.isFile && $0.data.count > limits.maxFieldBytes }
        default: return false
        }
    }

    static func same(_ a: [MultipartPart], _ b: [MultipartPart]) -> Bool {
        a.count == b.count
            && zip(a, b).allSatisfy {
                $0.name == $1.name && $0.filename == $1.filename && $0.contentType == $1.contentType && $0.data == $1.data
            }
    }

    static func read(_ body: [UInt8], boundary: String, chunk: Int, limits: MultipartLimits) async -> Result<[MultipartPart], any Error> {
        let chunks = stride(from: 0, to: max(body.count, 1), by: chunk).map {
            ByteBuffer(bytes: body[$0..<min($0 + chunk, body.count)])
        }
        do {
            return .success(try await MultipartReader.read(Chunks(buffers: chunks), boundary: boundary, limits: limits))
        } catch {
            return .failure(error)
        }
    }

    /// The body as it would arrive from the network, a buffer at a time.
    struct Chunks: AsyncSequence {
        let buffers: [ByteBuffer]

        struct AsyncIterator: AsyncIteratorProtocol {
            var rest: ArraySlice<ByteBuffer>
            mutating func next() async throws -> ByteBuffer? { rest.popFirst() }
        }

        func makeAsyncIterator() -> AsyncIterator { AsyncIterator(rest: buffers[...]) }
    }

    /// Runs async work to its end from synchronous code (libFuzzer's callback). Never call it from a task:
    /// it blocks the calling thread.
    static func blocking<Value: Sendable>(_ work: @escaping @Sendable () async -> Value) -> Value {
        let result = ResultBox<Value>()
        let done = DispatchSemaphore(value: 0)
        Task {
            result.value = await work()
            done.signal()
        }
        done.wait()
        return result.value!
    }

    /// Written by the task before it signals, read after the wait: the semaphore orders the two.
    final class ResultBox<Value>: @unchecked Sendable {
        var value: Value?
    }
}
