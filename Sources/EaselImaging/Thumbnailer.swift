import EaselCore
import Foundation

/// WebP thumbnails for the gallery.
public enum Thumbnailer {
    public static let maxEdge = 256

    /// From pixels already in memory: no decode.
    public static func webp(from raster: RasterImage, maxEdge: Int = maxEdge) throws(ImagingError) -> Data {
        let small = try raster.thumbnail(maxEdge: maxEdge)
        return try ImageEncoder.encode(small, format: .webp, compression: 80)
    }

    /// From an encoded file (decodes it, shrinking on load where the format allows).
    public static func webp(fromEncoded data: Data, maxEdge: Int = maxEdge) throws(ImagingError) -> Data {
        let raster = try RasterImage.decode(data)
        return try webp(from: raster, maxEdge: maxEdge)
    }
}

/// What a file holds, read from its header only.
public struct ImageInfo: Sendable, Equatable {
    public var format: ImageFormat
    public var width: Int
    public var height: Int
    public var hasAlpha: Bool

    public init(format: ImageFormat, width: Int, height: Int, hasAlpha: Bool) {
        self.format = format
        self.width = width
        self.height = height
        self.hasAlpha = hasAlpha
    }

    public static func inspect(_ data: Data) throws(ImagingError) -> ImageInfo {
        guard let format = ImageFormat.sniff(data.prefix(12)) else {
            throw .undecodable("not a PNG, JPEG or WebP file")
        }
        let raster = try RasterImage.decode(data)
        return ImageInfo(format: format, width: raster.width, height: raster.height, hasAlpha: raster.hasAlpha)
    }
}
