import EaselCore
import Foundation

/// Enlarges an image for print: libvips' lanczos3 resize, then a mild sharpen to restore edge contrast the
/// interpolation softens. Not generative: it adds no detail, and says so in its name.
public struct Upscaler: Sendable {
    /// Output bounds: WebP cannot store an edge above 16383 px, and 64 MP keeps memory bounded.
    public static let maxEdge = 16383
    public static let maxPixels = 64_000_000

    public init() {}

    /// Nil when `size` scaled by `factor` is within bounds, else why not.
    public static func violation(for size: PixelSize, factor: Int) -> String? {
        let out = PixelSize(width: size.width * factor, height: size.height * factor)
        if out.longEdge > maxEdge {
            return "Upscaling \(size) by \(factor) gives \(out), beyond the \(maxEdge)-pixel edge limit."
        }
        if out.pixels > maxPixels {
            return "Upscaling \(size) by \(factor) gives \(out) (\(out.pixels) pixels), beyond the \(maxPixels)-pixel limit."
        }
        return nil
    }

    public func upscale(_ data: Data, factor: Int, format: ImageFormat, compression: Int? = nil) throws -> DraftRenderer.Output {
        let source = try RasterImage.decode(data, maxPixels: Self.maxPixels)
        if let reason = Self.violation(for: source.size, factor: factor) { throw ImagingError.library(reason) }
        var image = try source.resized(scale: Double(factor), kernel: .lanczos3)
        // Sigma grows with the factor: the larger the enlargement, the wider the blur to counter.
        image = try image.sharpened(sigma: 0.5 + 0.25 * Double(factor)).materialised()
        let encoded = try ImageEncoder.encode(image, format: format, compression: compression)
        return DraftRenderer.Output(data: encoded, raster: image, size: image.size, format: format)
    }
}
