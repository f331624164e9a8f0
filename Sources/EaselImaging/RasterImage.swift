import CVips
import EaselCore
import Foundation

/// An owned libvips image. libvips images are immutable once built, so sharing one across tasks is safe.
public final class RasterImage: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<VipsImage>

    init(owning pointer: UnsafeMutablePointer<VipsImage>) {
        self.pointer = pointer
    }

    deinit { cvips_unref(pointer) }

    public var width: Int { Int(cvips_width(pointer)) }
    public var height: Int { Int(cvips_height(pointer)) }
    public var bands: Int { Int(cvips_bands(pointer)) }
    public var hasAlpha: Bool { cvips_has_alpha(pointer) != 0 }
    public var size: PixelSize { PixelSize(width: width, height: height) }

    /// Opens encoded bytes. Only the header is decoded now; pixels are decoded on first use.
    public static func decode(_ data: Data, maxPixels: Int? = nil) throws(ImagingError) -> RasterImage {
        try Vips.start()
        let loaded: UnsafeMutablePointer<VipsImage>? = data.withUnsafeBytes { raw in
            cvips_load_buffer(raw.baseAddress, raw.count, 0)
        }
        guard let loaded else { throw .undecodable(Vips.takeError()) }
        let image = RasterImage(owning: loaded)
        if let maxPixels, image.width * image.height > maxPixels {
            throw .tooLarge(width: image.width, height: image.height, limit: maxPixels)
        }
        return image
    }

    /// Wraps 8-bit interleaved pixels (3 bands RGB or 4 bands RGBA).
    public static func fromPixels(_ pixels: [UInt8], width: Int, height: Int, bands: Int) throws(ImagingError) -> RasterImage {
        try Vips.start()
        let made: UnsafeMutablePointer<VipsImage>? = pixels.withUnsafeBytes { raw in
            cvips_from_pixels(raw.baseAddress, raw.count, Int32(width), Int32(height), Int32(bands))
        }
        guard let made else { throw .library(Vips.takeError()) }
        return RasterImage(owning: made)
    }

    /// The image as 8-bit sRGB pixels, RGB or RGBA, interleaved.
    public func pixels() throws(ImagingError) -> [UInt8] {
        let normalised = try srgb8()
        var length = 0
        guard let raw = cvips_to_pixels(normalised.pointer, &length) else { throw .library(Vips.takeError()) }
        defer { cvips_free(raw) }
        return Array(UnsafeRawBufferPointer(start: raw, count: length))
    }

    /// Converts to 8-bit sRGB (dropping a second grey band's meaning is not needed: grey becomes RGB).
    public func srgb8() throws(ImagingError) -> RasterImage {
        var current = self
        if bands < 3 || cvips_bands(pointer) > 4 {
            current = try apply { cvips_colourspace_srgb(current.pointer, $0) }
        }
        return try current.apply { cvips_cast_uchar(current.pointer, $0) }
    }

    /// Computes the pipeline into memory so it is decoded or rendered only once.
    public func materialised() throws(ImagingError) -> RasterImage {
        try apply { cvips_copy_memory(pointer, $0) }
    }

    public func resized(scale: Double, vscale: Double? = nil, kernel: ResizeKernel = .lanczos3) throws(ImagingError) -> RasterImage {
        try apply { cvips_resize(pointer, $0, scale, vscale ?? scale, kernel.rawValue) }
    }

    public func thumbnail(maxEdge: Int) throws(ImagingError) -> RasterImage {
        try apply { cvips_thumbnail_image(pointer, $0, Int32(maxEdge), Int32(maxEdge)) }
    }

    public func sharpened(sigma: Double) throws(ImagingError) -> RasterImage {
        try apply { cvips_sharpen(pointer, $0, sigma) }
    }

    public func blurred(sigma: Double) throws(ImagingError) -> RasterImage {
        try apply { cvips_gaussblur(pointer, $0, sigma) }
    }

    /// Removes alpha by compositing over a solid colour (0...255 components).
    public func flattened(r: Double, g: Double, b: Double) throws(ImagingError) -> RasterImage {
        guard hasAlpha else { return self }
        return try apply { cvips_flatten(pointer, $0, r, g, b) }
    }

    public func cropped(x: Int, y: Int, width: Int, height: Int) throws(ImagingError) -> RasterImage {
        try apply { cvips_extract_area(pointer, $0, Int32(x), Int32(y), Int32(width), Int32(height)) }
    }

    /// Draws `overlay` over this image at (x, y) with alpha ("over" blending).
    public func composited(with overlay: RasterImage, x: Int, y: Int) throws(ImagingError) -> RasterImage {
        try apply { cvips_composite2(pointer, overlay.pointer, $0, 2, Int32(x), Int32(y)) }
    }

    /// Runs a libvips call that produces a new image.
    func apply(_ call: (UnsafeMutablePointer<UnsafeMutablePointer<VipsImage>?>) -> Int32) throws(ImagingError) -> RasterImage {
        var out: UnsafeMutablePointer<VipsImage>?
        guard call(&out) == 0, let out else { throw .library(Vips.takeError()) }
        return RasterImage(owning: out)
    }
}

public enum ResizeKernel: Int32, Sendable {
    case nearest = 0
    case linear = 1
    case cubic = 2
    case lanczos3 = 5
}
