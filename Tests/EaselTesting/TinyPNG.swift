import EaselCore
import EaselImaging
import Foundation

/// Small real images for tests.
public enum TinyPNG {
    public static func make(width: Int, height: Int, rgb: (UInt8, UInt8, UInt8) = (40, 120, 200)) throws -> Data {
        var pixels = [UInt8](repeating: 0, count: width * height * 3)
        for index in stride(from: 0, to: pixels.count, by: 3) {
            pixels[index] = rgb.0
            pixels[index + 1] = rgb.1
            pixels[index + 2] = rgb.2
        }
        let raster = try RasterImage.fromPixels(pixels, width: width, height: height, bands: 3)
        return try ImageEncoder.encode(raster, format: .png)
    }
}
