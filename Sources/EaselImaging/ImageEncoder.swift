import CVips
import EaselCore
import Foundation

/// Encodes a raster to PNG, JPEG or WebP.
public enum ImageEncoder {
    /// - compression: OpenAI's `output_compression` (0–100, higher = smaller file) for JPEG and WebP.
    ///   PNG is always lossless; `pngLevel` trades speed for size (zlib 1–9), `pngFilter` size for speed.
    public static func encode(
        _ image: RasterImage,
        format: ImageFormat,
        compression: Int? = nil,
        pngLevel: Int = 2,
        pngFilter: PNGRowFilter = .none
    ) throws(ImagingError) -> Data {
        var source = image
        if format == .jpeg && image.hasAlpha {
            source = try image.flattened(r: 255, g: 255, b: 255)
        }
        var buffer: UnsafeMutableRawPointer?
        var length = 0
        let status: Int32
        switch format {
        case .png:
            status = cvips_png_save(source.pointer, &buffer, &length, Int32(pngLevel), pngFilter.rawValue)
        case .jpeg:
            status = cvips_jpeg_save(source.pointer, &buffer, &length, Int32(quality(forCompression: compression)))
        case .webp:
            status = cvips_webp_save(source.pointer, &buffer, &length, Int32(quality(forCompression: compression)), 0, 0)
        }
        guard status == 0, let buffer else { throw .library(Vips.takeError()) }
        defer { cvips_free(buffer) }
        return Data(bytes: buffer, count: length)
    }

    /// OpenAI's `output_compression` runs from 0 (smallest file) to 100 (its default, best quality), which is
    /// how the encoders read quality.
    static func quality(forCompression compression: Int?) -> Int {
        max(1, min(100, compression ?? 100))
    }

    /// Lossless WebP (masks and tests need exact pixels).
    public static func encodeLosslessWebP(_ image: RasterImage) throws(ImagingError) -> Data {
        var buffer: UnsafeMutableRawPointer?
        var length = 0
        guard cvips_webp_save(image.pointer, &buffer, &length, 100, 1, 0) == 0, let buffer else { throw .library(Vips.takeError()) }
        defer { cvips_free(buffer) }
        return Data(bytes: buffer, count: length)
    }
}

/// PNG row filters (libvips' flag values). Easel writes unfiltered rows, fastest to write; `adaptive` lets libpng
/// choose per row, as most other encoders do (smaller files).
public enum PNGRowFilter: Int32, Sendable, CaseIterable {
    case none = 0x08
    case sub = 0x10
    case up = 0x20
    case average = 0x40
    case paeth = 0x80
    case adaptive = 0xF8
}
