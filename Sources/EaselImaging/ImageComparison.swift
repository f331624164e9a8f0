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
