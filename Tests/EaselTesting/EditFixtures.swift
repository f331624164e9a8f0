import EaselCore
import EaselImaging
import EaselMultipart
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore

/// Images, masks and multipart bodies for edit tests.
public enum EditFixtures {
    /// A real picture (a draft render) to edit.
    public static func picture(width: Int = 256, height: Int = 192, prompt: String = "blue harbour with boats at noon") throws -> Data {
        try DraftRenderer().render(prompt: prompt, seed: 3, options: .init(size: PixelSize(width: width, height: height), format: .png)).data
    }

    /// A PNG mask: alpha 0 inside `hole` (edit there), 255 elsewhere.
    public static func mask(
        width: Int = 256,
        height: Int = 192,
        hole: (x: Range<Int>, y: Range<Int>) = (64..<160, 32..<128),
        alpha: Bool = true
    ) throws -> Data {
        var pixels = [UInt8](repeating: 255, count: width * height * 4)
        for y in hole.y { for x in hole.x { pixels[(y * width + x) * 4 + 3] = 0 } }
        if alpha {
            return try ImageEncoder.encode(try RasterImage.fromPixels(pixels, width: width, height: height, bands: 4), format: .png)
        }
        let rgb = stride(from: 0, to: pixels.count, by: 4).flatMap { pixels[$0..<($0 + 3)] }
        return try ImageEncoder.encode(try RasterImage.fromPixels(Array(rgb), width: width, height: height, bands: 3), format: .png)
    }

    public static func jpeg(_ data: Data) throws -> Data {
        try ImageEncoder.encode(try RasterImage.decode(data), format: .jpeg)
    }

    /// RGB bytes of an encoded image.
    public static func rgb(_ data: Data) throws -> [UInt8] {
        try RasterImage.decode(data).srgb8().flattened(r: 255, g: 255, b: 255).pixels()
    }

    /// The first bytes of a PNG claiming a huge size (nothing after the header): a decompression bomb's shape.
    public static func bombHeader(width: Int, height: Int) -> Data {
        var bytes: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13]
        bytes += Array("IHDR".utf8)
        for value in [width, height] {
            bytes += [UInt8(value >> 24 & 0xFF), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)]
        }
        bytes += [8, 6, 0, 0, 0, 0, 0, 0, 0]
        bytes += [UInt8](repeating: 0, count: 64)
        return Data(bytes)
    }

    public struct Form {
        public var writer = MultipartWriter()
        public init(_ fields: [String: String] = [:]) {
            for (name, value) in fields.sorted(by: { $0.key < $1.key }) { writer.addField(name, value) }
        }
        public mutating func field(_ name: String, _ value: String) { writer.addField(name, value) }
        public mutating func file(_ name: String, _ data: Data, filename: String = "image.png", type: String = "image/png") {
            writer.addFile(name, filename: filename, contentType: type, data: data)
        }
    }
}

extension TestClientProtocol {
    public func post(_ uri: String, form: EditFixtures.Form, headers: HTTPFields = [:]) async throws -> TestResponse {
        var fields = headers
        fields[.contentType] = form.writer.contentType
        return try await execute(uri: uri, method: .post, headers: fields, body: ByteBuffer(bytes: form.writer.body()))
    }

    /// Polls a job until it ends and returns its representation.
    public func finishedJob(_ id: String, timeout: Duration = .seconds(20)) async throws -> JSONValue {
        let deadline = ContinuousClock.now + timeout
        while true {
            let job = try await get("/api/jobs/\(id)").json
            if ["succeeded", "failed", "cancelled"].contains(job["status"]?.stringValue ?? "") || ContinuousClock.now > deadline { return job }
            try await Task.sleep(for: .milliseconds(20))
        }
    }
}
