import EaselCore
import EaselImaging
import Foundation
import Testing

@Suite("Image headers")
struct ImageHeaderTests {
    @Test(arguments: [(ImageFormat.png, false), (.png, true), (.jpeg, false), (.webp, false), (.webp, true)])
    func agreesWithLibvips(format: ImageFormat, transparent: Bool) throws {
        let output = try DraftRenderer().render(
            prompt: "blue circle",
            seed: 1,
            options: .init(
                size: PixelSize(width: 200, height: 120),
                format: format,
                compression: format == .png ? nil : 80,
                transparent: transparent
            )
        )
        let header = try #require(ImageHeader.read(output.data))
        let info = try ImageHeader.decoding(output.data)
        #expect(header.format == format)
        #expect(header.width == info.width && header.height == info.height)
        #expect(header.hasAlpha == info.hasAlpha)
    }

    @Test func losslessWebPIsRead() throws {
        let raster = try RasterImage.fromPixels([UInt8](repeating: 200, count: 30 * 20 * 4), width: 30, height: 20, bands: 4)
        let data = try ImageEncoder.encodeLosslessWebP(raster)
        #expect(ImageHeader.read(data) == ImageHeader(format: .webp, width: 30, height: 20, hasAlpha: true))
    }

    @Test func garbageIsRejected() {
        #expect(ImageHeader.read([UInt8](repeating: 0, count: 40)) == nil)
        #expect(ImageHeader.read([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0]) == nil)
        #expect(ImageHeader.read([0xFF, 0xD8, 0xFF, 0xE0, 0, 2]) == nil)
        #expect(ImageHeader.read(Array("RIFF\0\0\0\0WEBPVP8 ".utf8) + [UInt8](repeating: 0, count: 20)) == nil)
    }
}
