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

    /// From an encoded file, shrinking on load (the full-size pixels are never held). The size is that of a
    /// thumbnail of the whole image, whatever the shrink left: at most one pixel off in the short side.
    public static func webp(fromEncoded data: Data, maxEdge: Int = maxEdge) throws(ImagingError) -> Data {
        try ImageEncoder.encode(try pixels(fromEncoded: data, maxEdge: maxEdge), format: .webp, compression: 80)
    }

    /// The thumbnail's pixels, before the WebP encoder's own loss.
    static func pixels(fromEncoded data: Data, maxEdge: Int = maxEdge) throws(ImagingError) -> RasterImage {
        try ShrinkOnLoad.decode(data, maxEdge: maxEdge).thumbnail(maxEdge: maxEdge)
    }
}

extension ImageHeader {
    /// Format, size and alpha of a file that libvips can actually decode (stricter than `read`, which looks
    /// at the header only): for checking that encoded output is a real image.
    public static func decoding(_ data: Data) throws(ImagingError) -> ImageHeader {
        guard let format = ImageFormat.sniff(data.prefix(12)) else {
            throw .undecodable("not a PNG, JPEG or WebP file")
        }
        let raster = try RasterImage.decode(data)
        return ImageHeader(format: format, width: raster.width, height: raster.height, hasAlpha: raster.hasAlpha)
    }
}
