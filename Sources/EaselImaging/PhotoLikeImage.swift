import EaselCore
import Foundation

/// Photo-like test images: smooth gradients, hard-edged shapes (where a blurry downscale shows) and sensor-like
/// noise (which PNG cannot compress much, as in real photographs). The imaging benchmark and tests use them.
public enum PhotoLikeImage {
    public static func make(width: Int, height: Int, seed: UInt64) throws(ImagingError) -> RasterImage {
        var random = SeededRandom(seed: seed)
        var pixels = [UInt8](repeating: 0, count: width * height * 3)
        let boxes = (0..<6).map { _ in
            let size = width / 8 + Int(random.next() % UInt64(width / 4))
            let colour = random.next()
            return (
                x: Int(random.next() % UInt64(width)), y: Int(random.next() % UInt64(height)), width: size, height: size / 2,
                rgb: [Int(colour & 0xFF), Int((colour >> 8) & 0xFF), Int((colour >> 16) & 0xFF)]
            )
        }
        for y in 0..<height {
            for x in 0..<width {
                var rgb = (x * 255 / width, y * 255 / height, (x + y) * 127 / width)
                if let box = boxes.last(where: { x >= $0.x && x < $0.x + $0.width && y >= $0.y && y < $0.y + $0.height }) {
                    rgb = (box.rgb[0], box.rgb[1], box.rgb[2])
                }
                // Roughly Gaussian grain (a sum of two uniforms), about ±15 levels per band.
                let noise = random.next()
                func grain(_ band: Int) -> Int { Int((noise >> (band * 16)) & 0xFF) / 16 + Int((noise >> (band * 16 + 8)) & 0xFF) / 16 - 15 }
                let base = (y * width + x) * 3
                pixels[base] = UInt8(clamping: rgb.0 + grain(0))
                pixels[base + 1] = UInt8(clamping: rgb.1 + grain(1))
                pixels[base + 2] = UInt8(clamping: rgb.2 + grain(2))
            }
        }
        return try RasterImage.fromPixels(pixels, width: width, height: height, bands: 3)
    }
}
