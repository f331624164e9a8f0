import EaselCore
import Foundation

extension RasterImage {
    /// Peak signal-to-noise ratio against another image of the same size, in dB over 8-bit sRGB samples;
    /// infinity when they are identical. With alpha in both, colour is compared premultiplied (as it is seen:
    /// the colour of an invisible pixel does not count) and alpha itself as a band.
    public func psnr(against other: RasterImage) throws(ImagingError) -> Double {
        guard size == other.size else {
            throw .library("cannot compare \(width)x\(height) with \(other.width)x\(other.height)")
        }
        let samples = try comparable()
        let reference = try other.comparable()
        let alpha = samples.bands == 4 && reference.bands == 4
        let bands = min(samples.bands, reference.bands)
        var squared = 0.0
        for pixel in 0..<(width * height) {
            let a = samples.bytes[pixel * samples.bands..<(pixel * samples.bands + bands)]
            let b = reference.bytes[pixel * reference.bands..<(pixel * reference.bands + bands)]
            for band in 0..<bands {
                var x = Double(a[a.startIndex + band])
                var y = Double(b[b.startIndex + band])
                if alpha && band < 3 {
                    x *= Double(a[a.startIndex + 3]) / 255
                    y *= Double(b[b.startIndex + 3]) / 255
                }
                squared += (x - y) * (x - y)
            }
        }
        guard squared > 0 else { return .infinity }
        let mean = squared / Double(width * height * bands)
        return 10 * log10(255 * 255 / mean)
    }

    private func comparable() throws(ImagingError) -> (bytes: [UInt8], bands: Int) {
        let bytes = try pixels()
        return (bytes, bytes.count / max(1, width * height))
    }
}

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
