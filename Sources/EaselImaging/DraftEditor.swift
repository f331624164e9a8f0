import EaselCore
import Foundation

/// The draft renderer's edits. With a mask, it re-renders only where the mask's alpha is 0 and copies
/// every other pixel of the input unchanged; without one, it restyles the whole input in the prompt's
/// palette (a gradient map of its luminance), which keeps the input's layout. Like every draft, the result
/// is labelled a draft (asset, headers) and, wherever the draft itself paints, carries the DRAFT mark.
public struct DraftEditor: Sendable {
    public struct Options: Sendable {
        public var render: DraftRenderer.Options
        /// The request's `background`: `auto` keeps an input's transparency when the format can hold it.
        public var background: ImageBackground
        public var maxInputPixels: Int

        public init(render: DraftRenderer.Options, background: ImageBackground = .auto, maxInputPixels: Int = 40_000_000) {
            self.render = render
            self.background = background
            self.maxInputPixels = maxInputPixels
        }
    }

    public init() {}

    public func edit(
        input: Data,
        mask: Data?,
        prompt: String,
        seed: UInt64,
        options: Options,
        onPartial: (Int, Data) throws -> Void = { _, _ in }
    ) throws -> DraftRenderer.Output {
        let size = options.render.size
        let source = try Self.rgba(try RasterImage.decode(input, maxPixels: options.maxInputPixels), size: size, kernel: .lanczos3)
        let keepAlpha =
            options.background == .transparent
            || (options.background == .auto && source.hadAlpha && options.render.format != .jpeg)

        let scene = DraftScene.plan(prompt: prompt, seed: seed, aspect: Double(size.width) / Double(size.height))
        var canvas = PixelCanvas(width: size.width, height: size.height)
        if let mask {
            let maskPixels = try Self.rgba(try RasterImage.decode(mask, maxPixels: options.maxInputPixels), size: size, kernel: .nearest)
            var fresh = PixelCanvas(width: size.width, height: size.height)
            fresh.fillVerticalGradient(top: scene.skyTop, bottom: scene.skyBottom, alpha: options.background == .transparent ? 0 : 1)
            for shape in scene.shapes { fresh.draw(shape) }
            try DraftRenderer.drawCaption(scene, on: &fresh)
            try DraftRenderer.stampDraftMark(on: &fresh)
            canvas.pixels = Self.merge(kept: source.pixels, fresh: fresh.pixels, maskRGBA: maskPixels.pixels)
        } else {
            canvas.pixels = Self.restyle(source.pixels, scene: scene)
            try DraftRenderer.drawCaption(scene, on: &canvas)
            try DraftRenderer.stampDraftMark(on: &canvas)
        }

        let stages = options.render.partialImages
        for stage in 0..<stages {
            // Coarse to fine previews of the result.
            let block = max(2, Int(pow(2.0, Double(stages - stage) * 1.5 + 1)))
            let preview = try Self.raster(canvas.pixelated(block: block).pixels, size: size, keepAlpha: keepAlpha)
            try onPartial(stage, try ImageEncoder.encode(preview, format: options.render.format, compression: options.render.compression))
        }
        let raster = try Self.raster(canvas.pixels, size: size, keepAlpha: keepAlpha)
        let data = try ImageEncoder.encode(raster, format: options.render.format, compression: options.render.compression)
        return DraftRenderer.Output(data: data, raster: raster, size: size, format: options.render.format)
    }

    /// Input pixels (or mask) at `size` as straight RGBA.
    static func rgba(_ image: RasterImage, size: PixelSize, kernel: ResizeKernel) throws -> (pixels: [UInt8], hadAlpha: Bool) {
        var image = image
        if image.size != size {
            image = try image.resized(
                scale: Double(size.width) / Double(image.width),
                vscale: Double(size.height) / Double(image.height),
                kernel: kernel
            )
            if image.size != size {
                // Rounding in the resize can leave a pixel over; crop to the exact size.
                image = try image.cropped(x: 0, y: 0, width: min(size.width, image.width), height: min(size.height, image.height))
            }
        }
        let hadAlpha = image.hasAlpha
        let pixels = try image.pixels()
        let count = size.width * size.height
        guard pixels.count == count * 4 || pixels.count == count * 3 else {
            throw ImagingError.library("unexpected pixel layout: \(pixels.count) bytes for \(size)")
        }
        if pixels.count == count * 4 { return (pixels, hadAlpha) }
        var out = [UInt8](repeating: 255, count: count * 4)
        for i in 0..<count {
            out[i * 4] = pixels[i * 3]
            out[i * 4 + 1] = pixels[i * 3 + 1]
            out[i * 4 + 2] = pixels[i * 3 + 2]
        }
        return (out, false)
    }

    /// Where the mask is fully transparent the fresh draft shows; everywhere else the input, byte for byte.
    static func merge(kept: [UInt8], fresh: [UInt8], maskRGBA: [UInt8]) -> [UInt8] {
        var out = kept
        let count = kept.count / 4
        out.withUnsafeMutableBufferPointer { out in
            fresh.withUnsafeBufferPointer { fresh in
                maskRGBA.withUnsafeBufferPointer { mask in
                    for i in 0..<count where mask[i * 4 + 3] == 0 {
                        out[i * 4] = fresh[i * 4]
                        out[i * 4 + 1] = fresh[i * 4 + 1]
                        out[i * 4 + 2] = fresh[i * 4 + 2]
                        out[i * 4 + 3] = fresh[i * 4 + 3]
                    }
                }
            }
        }
        return out
    }

    /// Maps each pixel's luminance onto a gradient through the scene's palette (dark → light), keeping a
    /// fifth of the original colour: shapes and edges stay where they were, colours become the prompt's.
    static func restyle(_ pixels: [UInt8], scene: DraftScene) -> [UInt8] {
        let stops = [scene.skyBottom.lightness(0.25), scene.palette[0], scene.palette[1], scene.palette[2].mixed(with: RGB(1, 1, 1), 0.5)]
            .sorted { $0.luminance < $1.luminance }
        // A 256-entry table: one lookup per pixel.
        var table = [(UInt8, UInt8, UInt8)]()
        for level in 0..<256 {
            let t = Double(level) / 255 * Double(stops.count - 1)
            let index = min(stops.count - 2, Int(t))
            table.append(stops[index].mixed(with: stops[index + 1], t - Double(index)).bytes)
        }
        var out = pixels
        let count = pixels.count / 4
        out.withUnsafeMutableBufferPointer { out in
            for i in 0..<count {
                let r = Int(out[i * 4])
                let g = Int(out[i * 4 + 1])
                let b = Int(out[i * 4 + 2])
                let luma = (r * 54 + g * 183 + b * 19) >> 8
                let (mr, mg, mb) = table[luma]
                out[i * 4] = UInt8((Int(mr) * 4 + r) / 5)
                out[i * 4 + 1] = UInt8((Int(mg) * 4 + g) / 5)
                out[i * 4 + 2] = UInt8((Int(mb) * 4 + b) / 5)
            }
        }
        return out
    }

    /// RGBA as is, or RGB over white (opaque pixels are unchanged, so kept pixels stay identical).
    static func raster(_ rgba: [UInt8], size: PixelSize, keepAlpha: Bool) throws -> RasterImage {
        if keepAlpha { return try RasterImage.fromPixels(rgba, width: size.width, height: size.height, bands: 4) }
        let count = size.pixels
        var rgb = [UInt8](repeating: 0, count: count * 3)
        rgba.withUnsafeBufferPointer { src in
            rgb.withUnsafeMutableBufferPointer { dst in
                for i in 0..<count {
                    let a = Int(src[i * 4 + 3])
                    for c in 0..<3 {
                        dst[i * 3 + c] = a == 255 ? src[i * 4 + c] : UInt8((Int(src[i * 4 + c]) * a + 255 * (255 - a) + 127) / 255)
                    }
                }
            }
        }
        return try RasterImage.fromPixels(rgb, width: size.width, height: size.height, bands: 3)
    }
}
