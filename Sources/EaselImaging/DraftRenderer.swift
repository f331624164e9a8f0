import EaselCore
import Foundation

/// Easel's offline renderer. It draws a `DraftScene` (palette, shapes, caption) and always stamps a
/// visible DRAFT mark: it is a free preview of layout and colour, never presented as model output.
public struct DraftRenderer: Sendable {
    public struct Options: Sendable, Hashable {
        public var size: PixelSize
        public var format: ImageFormat
        public var compression: Int?
        public var transparent: Bool
        public var partialImages: Int

        public init(size: PixelSize, format: ImageFormat = .png, compression: Int? = nil, transparent: Bool = false, partialImages: Int = 0) {
            self.size = size
            self.format = format
            self.compression = compression
            self.transparent = transparent
            self.partialImages = partialImages
        }
    }

    /// A finished picture: the encoded file plus the pixels it came from (so a thumbnail needs no decode).
    public struct Output: Sendable {
        public let data: Data
        public let raster: RasterImage
        public let size: PixelSize
        public let format: ImageFormat
    }

    public init() {}

    /// Renders `prompt` with `seed`. Partial images, coarse to fine, go to `onPartial` before the final
    /// picture is returned.
    public func render(
        prompt: String,
        seed: UInt64,
        options: Options,
        onPartial: (Int, Data) throws -> Void = { _, _ in }
    ) throws -> Output {
        let size = options.size
        let scene = DraftScene.plan(prompt: prompt, seed: seed, aspect: Double(size.width) / Double(size.height))

        var canvas = PixelCanvas(width: size.width, height: size.height)
        canvas.fillVerticalGradient(top: scene.skyTop, bottom: scene.skyBottom, alpha: options.transparent ? 0 : 1)

        let stages = options.partialImages
        var drawn = 0
        for stage in 0..<stages {
            // Each partial adds more of the scene (back to front) and is shown coarser the earlier it is.
            let upTo = scene.shapes.count * (stage + 1) / (stages + 1)
            while drawn < upTo {
                canvas.draw(scene.shapes[drawn])
                drawn += 1
            }
            let block = max(2, Int(pow(2.0, Double(stages - stage) * 1.5 + 1)))
            var preview = canvas.pixelated(block: block)
            try Self.stampDraftMark(on: &preview)
            let raster = try RasterImage.fromPixels(preview.pixels, width: size.width, height: size.height, bands: 4)
            let shown = options.transparent ? raster : try raster.flattenedOpaque()
            try onPartial(stage, try ImageEncoder.encode(shown, format: options.format, compression: options.compression))
        }
        while drawn < scene.shapes.count {
            canvas.draw(scene.shapes[drawn])
            drawn += 1
        }
        try Self.drawCaption(scene, on: &canvas)
        try Self.stampDraftMark(on: &canvas)

        let raster = try RasterImage.fromPixels(canvas.pixels, width: size.width, height: size.height, bands: 4)
        let final = options.transparent ? raster : try raster.flattenedOpaque()
        let data = try ImageEncoder.encode(final, format: options.format, compression: options.compression)
        return Output(data: data, raster: final, size: size, format: options.format)
    }

    /// The subject on a translucent band at the bottom, so it reads on any background: at the left, or at
    /// the right for a caption that reads right to left. Characters no font can draw are left out.
    static func drawCaption(_ scene: DraftScene, on canvas: inout PixelCanvas) throws {
        let caption = TextMask.drawable(scene.caption)
        guard caption.contains(where: { !$0.isWhitespace }) else { return }
        let unit = min(canvas.width, canvas.height)
        let textSize = max(9, unit / 22)
        let margin = max(6, unit / 28)
        let mask = try TextMask.render(caption, pixelSize: textSize, wrapWidth: canvas.width - margin * 4)
        let bandTop = canvas.height - mask.height - margin * 3
        let shade = scene.captionColor.luminance > 0.5 ? RGB(0, 0, 0) : RGB(1, 1, 1)
        canvas.fillRect(x: 0, y: Double(bandTop), w: Double(canvas.width), h: Double(canvas.height - bandTop), color: shade, alpha: 0.28)
        canvas.fillMask(
            mask.coverage,
            maskWidth: mask.width,
            maskHeight: mask.height,
            x: TextMask.isRightToLeft(caption) ? canvas.width - margin * 2 - mask.width : margin * 2,
            y: bandTop + margin,
            color: scene.captionColor,
            alpha: 1
        )
    }

    /// A small "DRAFT" label in the top-right corner: light text on a dark pill, legible everywhere.
    static func stampDraftMark(on canvas: inout PixelCanvas) throws {
        let unit = min(canvas.width, canvas.height)
        let textSize = max(7, unit / 40)
        let mask = try draftMask(pixelSize: textSize)
        let pad = max(3, textSize / 2)
        let w = mask.width + pad * 2
        let h = mask.height + pad
        let x = canvas.width - w - pad
        let y = pad
        canvas.fillRect(x: Double(x), y: Double(y), w: Double(w), h: Double(h), color: RGB(0.08, 0.08, 0.09), alpha: 0.72)
        canvas.fillMask(
            mask.coverage,
            maskWidth: mask.width,
            maskHeight: mask.height,
            x: x + pad,
            y: y + pad / 2,
            color: RGB(1, 0.84, 0.2),
            alpha: 1
        )
    }
}

extension DraftRenderer {
    /// The DRAFT label is the same text at a handful of sizes: render each size once per process.
    private static let draftMasks = Locked<[Int: TextMask]>([:])

    static func draftMask(pixelSize: Int) throws -> TextMask {
        if let cached = draftMasks.withLock({ $0[pixelSize] }) { return cached }
        let mask = try TextMask.render("DRAFT", font: "DejaVu Sans Bold", pixelSize: pixelSize, wrapWidth: 4096)
        draftMasks.withLock { $0[pixelSize] = mask }
        return mask
    }
}

extension RasterImage {
    /// Drops the alpha band of an image whose pixels are already opaque.
    func flattenedOpaque() throws(ImagingError) -> RasterImage {
        try apply { CVipsBridge.extractBands(pointer, $0, first: 0, count: 3) }
    }
}
