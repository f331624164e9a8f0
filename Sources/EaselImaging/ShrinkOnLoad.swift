import CVips
import EaselCore
import Foundation

/// Decodes an encoded image already reduced towards a thumbnail's size, so the full-size pixels are never
/// held: PNG by Easel's own decoder (libdeflate, box-averaged rows), JPEG by libjpeg's scaled IDCT (called
/// directly), WebP by libwebp's scaled decode (through libvips). Formats and variants those fast paths leave
/// alone go through libvips. What is left to do is one small resize to the exact size.
enum ShrinkOnLoad {
    /// The most a thumbnail source may have (uploads are capped well below this).
    static let maxPixels = 100_000_000

    static func decode(_ data: Data, maxEdge: Int) throws(ImagingError) -> RasterImage {
        try Vips.start()
        guard let header = ImageHeader.read(data), header.width > 0, header.height > 0 else {
            return try fitted(data, maxEdge: maxEdge)
        }
        let ratio = max(header.width, header.height) / max(1, maxEdge)
        switch header.format {
        case .png:
            // Area-average by the whole ratio (the right filter for an integer reduction: every source pixel
            // counts once, no aliasing); libvips' Lanczos kernel does what is left, less than 2x.
            let own = try easelDecoder { out in
                data.withUnsafeBytes { cvips_png_load_shrunk($0.baseAddress, $0.count, Int32(max(1, ratio)), maxPixels, out) }
            }
            if let own { return own }
            return try fitted(data, maxEdge: maxEdge)
        case .jpeg:
            // The scaled IDCT is itself a proper low-pass filter, so it may go all the way down to the size.
            let shrink = Int32([8, 4, 2].first { $0 <= ratio } ?? 1)
            let own = try easelDecoder { out in
                data.withUnsafeBytes { cvips_jpeg_load_scaled($0.baseAddress, $0.count, shrink, maxPixels, out) }
            }
            if let own { return own }
            return try load { out in
                data.withUnsafeBytes { cvips_jpeg_load_shrunk($0.baseAddress, $0.count, shrink, out) }
            }
        case .webp:
            return try fitted(data, maxEdge: maxEdge)
        }
    }

    /// libvips' own thumbnail from encoded bytes (shrinking on load where it can).
    private static func fitted(_ data: Data, maxEdge: Int) throws(ImagingError) -> RasterImage {
        try load { out in
            data.withUnsafeBytes { cvips_thumbnail_buffer_memory($0.baseAddress, $0.count, out, Int32(maxEdge), Int32(maxEdge)) }
        }
    }

    /// One of Easel's own decoders (0 decoded, 1 left to libvips, -1 failed): nil when libvips should decode.
    private static func easelDecoder(
        _ call: (UnsafeMutablePointer<UnsafeMutablePointer<VipsImage>?>) -> Int32
    ) throws(ImagingError) -> RasterImage? {
        var out: UnsafeMutablePointer<VipsImage>?
        let status = call(&out)
        if status < 0 { throw .undecodable(Vips.takeError()) }
        return status == 0 ? out.map { RasterImage(owning: $0) } : nil
    }

    private static func load(_ call: (UnsafeMutablePointer<UnsafeMutablePointer<VipsImage>?>) -> Int32) throws(ImagingError) -> RasterImage {
        var out: UnsafeMutablePointer<VipsImage>?
        guard call(&out) == 0, let out else { throw .undecodable(Vips.takeError()) }
        return RasterImage(owning: out)
    }
}
