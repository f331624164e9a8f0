import CVips
import EaselCore
import Foundation
import Testing

@testable import EaselImaging

/// The thumbnail decoders (PNG through libdeflate with box-averaged rows, JPEG through libjpeg's scaled IDCT)
/// against libvips' own decode and downscale.
@Suite("Thumbnails")
struct ThumbnailTests {
    /// The thumbnail's pixels against libvips' Lanczos downscale of the full decode. Two sound downscales of these
    /// grainy images agree to 44-50 dB (38.5 with alpha, where libvips premultiplies in floating point and Easel's
    /// box weights by alpha in integers); an aliased one (nearest neighbour) reaches only 30-32.
    static let minimumResamplingPSNR = 38.0
    /// The WebP file against the same reference: q80 drops the grain, so this floor is lower (33-37 dB measured).
    static let minimumPSNR = 30.0

    /// Gradient plus grain in any number of bands (the last one alpha when there are 2 or 4).
    static func pattern(width: Int, height: Int, bands: Int, seed: UInt64) throws -> RasterImage {
        var random = SeededRandom(seed: seed)
        var pixels = [UInt8](repeating: 0, count: width * height * bands)
        for y in 0..<height {
            for x in 0..<width {
                for band in 0..<bands {
                    let smooth = (x * 255 / max(1, width) + y * 97 / max(1, height) + band * 60) % 256
                    pixels[(y * width + x) * bands + band] = UInt8(clamping: smooth + Int(random.next() % 31) - 15)
                }
            }
        }
        return try RasterImage.fromPixels(pixels, width: width, height: height, bands: bands)
    }

    static func status(_ png: Data, shrink: Int32) -> (Int32, RasterImage?) {
        var out: UnsafeMutablePointer<VipsImage>?
        let status = png.withUnsafeBytes { cvips_png_load_shrunk($0.baseAddress, $0.count, shrink, 100_000_000, &out) }
        return (status, out.map { RasterImage(owning: $0) })
    }

    static func rawPixels(_ image: RasterImage) throws -> [UInt8] {
        var length = 0
        let raw = try #require(cvips_to_pixels(image.pointer, &length))
        defer { cvips_free(raw) }
        return Array(UnsafeRawBufferPointer(start: raw, count: length))
    }

    /// With nothing to shrink, the PNG decoder gives exactly libvips' pixels: every row filter (forced for
    /// every row, then chosen per row), grey and RGB with and without alpha, and widths that leave a partial
    /// pixel-at-a-time step at a row's end.
    @Test(arguments: PNGRowFilter.allCases)
    func pngDecodeIsExact(filter: PNGRowFilter) throws {
        for bands in 1...4 {
            for (width, height) in [(37, 23), (1, 5), (5, 1), (2, 3), (64, 64)] {
                let image = try Self.pattern(width: width, height: height, bands: bands, seed: UInt64(width * 10 + bands))
                let png = try ImageEncoder.encode(image, format: .png, pngLevel: 6, pngFilter: filter)
                let (status, ours) = Self.status(png, shrink: 1)
                #expect(status == 0, "\(filter) \(bands) bands \(width)x\(height) was not decoded by Easel's decoder")
                let decoded = try #require(ours)
                #expect(decoded.size == image.size && decoded.bands == bands)
                #expect(try Self.rawPixels(decoded) == Self.rawPixels(try RasterImage.decode(png)), "\(filter) \(bands) bands \(width)x\(height)")
            }
        }
    }

    /// Shrinking by 3 on a 7x5 image: each output pixel is the rounded mean of its box (partial boxes at the
    /// right and bottom edges), colour weighted by alpha so transparent pixels do not tint the result.
    @Test(arguments: [3, 4])
    func pngBoxAverage(bands: Int) throws {
        let (width, height, shrink) = (7, 5, 3)
        let image = try Self.pattern(width: width, height: height, bands: bands, seed: 9)
        let source = try Self.rawPixels(image)
        let png = try ImageEncoder.encode(image, format: .png, pngFilter: .adaptive)
        let (status, shrunk) = Self.status(png, shrink: Int32(shrink))
        #expect(status == 0)
        let result = try #require(shrunk)
        #expect(result.width == 3 && result.height == 2)
        let got = try Self.rawPixels(result)
        let alpha = bands == 4
        for oy in 0..<2 {
            for ox in 0..<3 {
                let xs = (ox * shrink)..<min(width, ox * shrink + shrink)
                let ys = (oy * shrink)..<min(height, oy * shrink + shrink)
                let at = { (x: Int, y: Int, band: Int) in Double(source[(y * width + x) * bands + band]) }
                let count = Double(xs.count * ys.count)
                let alphaSum = alpha ? ys.reduce(0.0) { sum, y in xs.reduce(sum) { $0 + at($1, y, 3) } } : count * 255
                for band in 0..<bands {
                    let expected: Double
                    if alpha && band < 3 {
                        let weighted = ys.reduce(0.0) { sum, y in xs.reduce(sum) { $0 + at($1, y, band) * at($1, y, 3) } }
                        expected = weighted / alphaSum
                    } else {
                        expected = ys.reduce(0.0) { sum, y in xs.reduce(sum) { $0 + at($1, y, band) } } / count
                    }
                    let actual = Double(got[(oy * 3 + ox) * bands + band])
                    #expect(abs(actual - expected) <= 0.5 + 1e-9, "pixel (\(ox), \(oy)) band \(band): \(actual) for \(expected)")
                }
            }
        }
    }

    struct Case: Sendable, CustomStringConvertible {
        let format: ImageFormat
        let width: Int
        let height: Int
        let alpha: Bool
        var description: String { "\(format.rawValue) \(width)x\(height)\(alpha ? " with alpha" : "")" }
    }

    /// Each thumbnail matches libvips' Lanczos downscale of the full decode: same size, PSNR above the floors.
    /// A nearest-neighbour downscale (aliased) scores well below, so the floor does tell them apart.
    @Test(arguments: [
        Case(format: .png, width: 1024, height: 1024, alpha: false),
        Case(format: .png, width: 1000, height: 640, alpha: true),
        Case(format: .png, width: 300, height: 200, alpha: false),
        Case(format: .jpeg, width: 1024, height: 1024, alpha: false),
        Case(format: .jpeg, width: 1000, height: 640, alpha: false),
        Case(format: .webp, width: 800, height: 600, alpha: false),
    ])
    func thumbnailMatchesReference(_ sample: Case) throws {
        var image = try PhotoLikeImage.make(width: sample.width, height: sample.height, seed: 3)
        if sample.alpha {
            let other = try PhotoLikeImage.make(width: sample.width, height: sample.height, seed: 4)
            let mask = try other.apply { cvips_extract_band(other.pointer, $0, 1, 1) }
            image = try image.apply { cvips_bandjoin2(image.pointer, mask.pointer, $0) }
        }
        let data = try ImageEncoder.encode(image, format: sample.format, compression: 90, pngLevel: 6, pngFilter: .adaptive)
        let reference = try RasterImage.decode(data).thumbnail(maxEdge: Thumbnailer.maxEdge)
        let resampled = try Thumbnailer.pixels(fromEncoded: data)
        #expect(resampled.size == reference.size)
        let resampling = try resampled.psnr(against: reference)
        #expect(resampling >= Self.minimumResamplingPSNR, "\(sample): resampling \(resampling) dB")

        let thumbnail = try RasterImage.decode(try Thumbnailer.webp(fromEncoded: data))
        #expect(thumbnail.size == reference.size)
        #expect(thumbnail.hasAlpha == sample.alpha)
        let psnr = try thumbnail.psnr(against: reference)
        #expect(psnr >= Self.minimumPSNR, "\(sample): \(psnr) dB")

        guard sample.width >= 2 * reference.width else { return }
        let aliased = try RasterImage.decode(data).resized(
            scale: Double(reference.width) / Double(sample.width),
            vscale: Double(reference.height) / Double(sample.height),
            kernel: .nearest
        )
        if aliased.size == reference.size {
            #expect(try aliased.psnr(against: reference) < resampling - 5, "\(sample): nearest-neighbour scores close to ours")
        }
    }

    /// A JPEG turned by its EXIF orientation goes through libvips, which turns it upright.
    @Test func rotatedJPEGIsTurnedUpright() throws {
        // Large enough that libjpeg's line buffer cannot hold it: turning it reads lines out of order.
        let image = try PhotoLikeImage.make(width: 2048, height: 1024, seed: 5)
        var jpeg = try ImageEncoder.encode(image, format: .jpeg, compression: 90)
        // APP1 "Exif": a little-endian TIFF header, one IFD entry: orientation (0x0112) = 6, turned 90°.
        let tiff: [UInt8] = [0x49, 0x49, 0x2A, 0, 8, 0, 0, 0, 1, 0, 0x12, 0x01, 3, 0, 1, 0, 0, 0, 6, 0, 0, 0, 0, 0, 0, 0]
        let payload = Array("Exif".utf8) + [0, 0] + tiff
        let length = payload.count + 2
        jpeg.insert(contentsOf: [0xFF, 0xE1, UInt8(length >> 8), UInt8(length & 0xFF)] + payload, at: 2)
        var out: UnsafeMutablePointer<VipsImage>?
        let status = jpeg.withUnsafeBytes { cvips_jpeg_load_scaled($0.baseAddress, $0.count, 2, 100_000_000, &out) }
        #expect(status == 1 && out == nil)
        let thumbnail = try RasterImage.decode(try Thumbnailer.webp(fromEncoded: jpeg))
        #expect(thumbnail.width == 128 && thumbnail.height == 256)
    }

    /// Damaged and hostile files fail with a message; nothing is read out of bounds (the fuzz target covers more).
    @Test func damagedFilesFailCleanly() throws {
        let image = try Self.pattern(width: 64, height: 48, bands: 3, seed: 1)
        let png = try ImageEncoder.encode(image, format: .png, pngLevel: 6, pngFilter: .paeth)
        for cut in [40, png.count / 2, png.count - 13] {
            #expect(throws: ImagingError.self, "cut at \(cut)") { try Thumbnailer.webp(fromEncoded: png.prefix(cut)) }
        }
        // Image data flipped in its middle: the zlib stream or its checksum fails.
        var flipped = png
        for index in (png.count / 2)..<(png.count / 2 + 16) { flipped[index] ^= 0x5A }
        #expect(Self.status(flipped, shrink: 1).0 == -1)

        // A header claiming 20000x20000 (400 million pixels) is refused before anything is allocated for it.
        var huge = png
        huge.replaceSubrange(16..<24, with: [0, 0, 0x4E, 0x20, 0, 0, 0x4E, 0x20])
        #expect(Self.status(huge, shrink: 1).0 == -1)
        #expect(throws: ImagingError.self) { try Thumbnailer.webp(fromEncoded: huge) }

        // Interlaced (a byte of the header changed): left to libvips, which sees the header's checksum is wrong.
        var interlaced = png
        interlaced[28] = 1
        #expect(Self.status(interlaced, shrink: 1).0 == 1)
        #expect(throws: ImagingError.self) { try Thumbnailer.webp(fromEncoded: interlaced) }

        let jpeg = try ImageEncoder.encode(image, format: .jpeg, compression: 90)
        #expect(throws: ImagingError.self) { try Thumbnailer.webp(fromEncoded: jpeg.prefix(20)) }
    }
}
