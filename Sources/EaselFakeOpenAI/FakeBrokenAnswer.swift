import EaselCore
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// The answers of a provider or network gone wrong after the status line: a dropped connection, a body cut
/// short, a body that is not JSON, an image that does not decode.
enum FakeBrokenAnswer {
    /// Thrown from a body writer: the server then closes the connection mid-answer.
    struct Dropped: Error {}

    static func response(for fault: FakeFault, requestID: String) -> Response? {
        var headers: HTTPFields = [.contentType: "application/json", HTTPField.Name("x-request-id")!: requestID]
        switch fault {
        case .connectionReset:
            return Response(status: .ok, headers: headers, body: ResponseBody(contentLength: 4096) { _ in throw Dropped() })
        case .truncatedBody:
            let start = ByteBuffer(string: #"{"created":1776729600,"data":[{"b64_json":"iVBORw0KGgoAAAANSUhEUgAA"#)
            return Response(
                status: .ok,
                headers: headers,
                body: ResponseBody(contentLength: 4096) { writer in
                    try await writer.write(start)
                    throw Dropped()
                }
            )
        case .malformedJSON:
            headers[.contentLength] = nil
            return Response(
                status: .ok,
                headers: headers,
                body: .init(byteBuffer: ByteBuffer(string: #"{"created":1776729600,"data":[{"b64_json":"#))
            )
        case .undecodableImage:
            let body = JSONValue.object([
                "created": 1_776_729_600,
                "data": .array([.object(["b64_json": .string(Data(brokenPNG).base64EncodedString())])]),
                "usage": .object(["input_tokens": 10, "output_tokens": 100, "total_tokens": 110]),
            ])
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body.serialized())))
        default:
            return nil
        }
    }

    /// A PNG signature and a true 1024×1024 header, then an image-data chunk of noise with a wrong checksum
    /// and no end: a header reader accepts it, a decoder cannot.
    static let brokenPNG: [UInt8] = {
        func chunk(_ type: String, _ data: [UInt8], crc: UInt32? = nil) -> [UInt8] {
            let body = Array(type.utf8) + data
            let check = crc ?? CRC32.checksum(body)
            return bigEndian(UInt32(data.count)) + body + bigEndian(check)
        }
        func bigEndian(_ value: UInt32) -> [UInt8] { [24, 16, 8, 0].map { UInt8(truncatingIfNeeded: value >> $0) } }
        var random = SeededRandom(seed: 42)
        let noise = (0..<512).map { _ in UInt8(truncatingIfNeeded: random.next()) }
        let header = bigEndian(1024) + bigEndian(1024) + [8, 6, 0, 0, 0]
        return [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + chunk("IHDR", header) + chunk("IDAT", noise, crc: 0)
    }()
}
