import EaselCore
import EaselImaging
import Foundation

/// Real images of the requested size and format, made once per (size, format, compression, colour) and
/// kept as base64, so the fake costs little per request and benchmarks measure Easel, not the fake.
final class FakeImages: Sendable {
    private let cache = Locked<[String: String]>([:])

    func base64(width: Int, height: Int, format: ImageFormat, compression: Int?, transparent: Bool, tint: UInt8) throws -> String {
        let key = "\(width)x\(height).\(format.rawValue).\(compression ?? -1).\(transparent).\(tint)"
        if let hit = cache.withLock({ $0[key] }) { return hit }
        let bands = transparent ? 4 : 3
        // One row made per pixel, then copied down with its shade set: cheap even in a debug build.
        var row = [UInt8](repeating: 0, count: width * bands)
        for x in 0..<width {
            row[x * bands] = tint
            row[x * bands + 2] = UInt8(200 - (x * 120) / max(1, width))
            if transparent { row[x * bands + 3] = x < width / 4 ? 0 : 255 }
        }
        var pixels = [UInt8](repeating: 0, count: width * height * bands)
        pixels.withUnsafeMutableBufferPointer { out in
            for y in 0..<height {
                let shade = UInt8(40 + (y * 160) / max(1, height))
                let offset = y * width * bands
                row.withUnsafeBufferPointer { source in
                    UnsafeMutableRawPointer(out.baseAddress! + offset).copyMemory(from: source.baseAddress!, byteCount: source.count)
                }
                var i = offset + 1
                while i < offset + width * bands {
                    out[i] = shade
                    i += bands
                }
            }
        }
        let raster = try RasterImage.fromPixels(pixels, width: width, height: height, bands: bands)
        let encoded = try ImageEncoder.encode(raster, format: format, compression: compression, pngLevel: 1).base64EncodedString()
        cache.withLock { cache in
            if cache.count > 64 { cache.removeAll() }
            cache[key] = encoded
        }
        return encoded
    }
}

/// Token usage the way OpenAI reports it, from the published per-image output token table
/// (openai-images-api.md §10) and a flat estimate for text and input images.
enum FakeUsage {
    static func outputTokens(model: String, quality: String, size: PixelSize) -> Int {
        let q = quality == "auto" ? "medium" : quality
        let square = size.width == size.height
        if model == "gpt-image-2" {
            let table: [String: (Int, Int)] = ["low": (200, 167), "medium": (1767, 1367), "high": (7033, 5500)]
            let (sq, wide) = table[q] ?? (1767, 1367)
            let base = square ? sq : wide
            return max(1, base * size.pixels / (1024 * 1024))
        }
        let table: [String: (Int, Int, Int)] = ["low": (272, 408, 400), "medium": (1056, 1584, 1568), "high": (4160, 6240, 6208)]
        let (sq, tall, wide) = table[q] ?? (1056, 1584, 1568)
        if size == PixelSize(width: 1024, height: 1024) { return sq }
        if size == PixelSize(width: 1024, height: 1536) { return tall }
        if size == PixelSize(width: 1536, height: 1024) { return wide }
        return max(1, sq * size.pixels / (1024 * 1024))
    }

    static func inputImageTokens(width: Int, height: Int) -> Int {
        65 + 129 * ((width + 511) / 512) * ((height + 511) / 512)
    }

    static func usage(model: String, prompt: String, quality: String, size: PixelSize, n: Int, partials: Int, inputImages: [PixelSize]) -> ImageUsage
    {
        let output = (outputTokens(model: model, quality: quality, size: size) + 100 * partials) * n
        return ImageUsage(
            inputTextTokens: max(1, prompt.utf8.count / 4),
            inputImageTokens: inputImages.reduce(0) { $0 + inputImageTokens(width: $1.width, height: $1.height) },
            outputTokens: output,
            outputImageTokens: output,
            outputTextTokens: 0
        )
    }
}
