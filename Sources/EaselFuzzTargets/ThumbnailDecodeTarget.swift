import CVips
import EaselCore

extension FuzzTargets {
    /// Started once: the decoders report failures through libvips' error buffer.
    private static let vipsStarted: Bool = cvips_init("easel-fuzz") == 0

    /// The thumbnail decoders written for Easel (PNG through libdeflate with box-averaged rows, JPEG through
    /// libjpeg's scaled IDCT): on any bytes each either decodes an image of the size its header and the shrink
    /// give, hands the file to libvips, or fails; never traps or reads out of bounds.
    public static func thumbnailDecode(_ bytes: [UInt8]) {
        check(vipsStarted, "libvips did not start")
        // A small pixel limit keeps each run fast; sizes up to it are still tried.
        let limit = 1 << 20
        for shrink: Int32 in [1, 3] {
            var out: UnsafeMutablePointer<VipsImage>?
            let status = bytes.withUnsafeBytes { cvips_png_load_shrunk($0.baseAddress, $0.count, shrink, limit, &out) }
            checkDecoded(status, out, "PNG", limit: limit)
            cvips_unref(out)
        }
        for shrink: Int32 in [1, 8] {
            var out: UnsafeMutablePointer<VipsImage>?
            let status = bytes.withUnsafeBytes { cvips_jpeg_load_scaled($0.baseAddress, $0.count, shrink, limit, &out) }
            checkDecoded(status, out, "JPEG", limit: limit)
            cvips_unref(out)
        }
        synthesizedPNG(bytes)
        if let message = cvips_error() { cvips_free(message) }
    }

    /// Mutated files rarely get past the zlib checksum, so the rows' unfiltering and box averaging are also
    /// driven directly: the first bytes choose a size, colour type and shrink, the rest are the filtered rows
    /// (filter bytes included), wrapped as a valid PNG. Unshrunk, Easel's pixels must be libpng's exactly.
    static func synthesizedPNG(_ bytes: [UInt8]) {
        guard bytes.count >= 4 else { return }
        let width = 1 + Int(bytes[0] % 40)
        let height = 1 + Int(bytes[1] % 40)
        let (colour, bands) = [(UInt8(0), 1), (2, 3), (4, 2), (6, 4)][Int(bytes[2] % 4)]
        let shrink = Int32(1 + bytes[3] % 5)
        let rowLength = width * bands + 1
        let body = Array(bytes.dropFirst(4))
        // Filter bytes above 4 are invalid; keep most rows valid so the pixels are reached.
        let rows = (0..<(rowLength * height)).map { index -> UInt8 in
            let byte = body.isEmpty ? 0 : body[index % body.count]
            return index % rowLength == 0 && byte % 16 != 15 ? byte % 5 : byte
        }
        let png = pngFile(width: width, height: height, colour: colour, rows: rows)
        var out: UnsafeMutablePointer<VipsImage>?
        let status = png.withUnsafeBytes { cvips_png_load_shrunk($0.baseAddress, $0.count, shrink, 1 << 20, &out) }
        checkDecoded(status, out, "synthesized PNG", limit: 1 << 20)
        guard status == 0, let out else { return }
        defer { cvips_unref(out) }
        let expected = (width + Int(shrink) - 1) / Int(shrink)
        let expectedHeight = (height + Int(shrink) - 1) / Int(shrink)
        check(Int(cvips_width(out)) == expected && Int(cvips_height(out)) == expectedHeight, "shrunk size")
        guard shrink == 1, let reference = png.withUnsafeBytes({ cvips_load_buffer($0.baseAddress, $0.count, 0) }) else { return }
        defer { cvips_unref(reference) }
        check(pixels(out) == pixels(reference), "pixels differ from libpng's for \(width)x\(height), colour type \(colour)")
    }

    private static func pixels(_ image: UnsafeMutablePointer<VipsImage>) -> [UInt8]? {
        var length = 0
        guard let raw = cvips_to_pixels(image, &length) else { return nil }
        defer { cvips_free(raw) }
        return Array(UnsafeRawBufferPointer(start: raw, count: length))
    }

    /// A PNG of 8-bit samples whose image data is `rows` in stored (uncompressed) deflate blocks.
    private static func pngFile(width: Int, height: Int, colour: UInt8, rows: [UInt8]) -> [UInt8] {
        func be32(_ value: Int) -> [UInt8] { [UInt8(value >> 24 & 0xFF), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)] }
        func chunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
            let typed = Array(type.utf8) + data
            return be32(data.count) + typed + be32(Int(CRC32.checksum(typed)))
        }
        var zlib: [UInt8] = [0x78, 0x01]
        var offset = 0
        repeat {
            let count = min(65_535, rows.count - offset)
            zlib.append(offset + count == rows.count ? 1 : 0)
            zlib += [UInt8(count & 0xFF), UInt8(count >> 8), UInt8(~count & 0xFF), UInt8((~count >> 8) & 0xFF)]
            zlib += rows[offset..<(offset + count)]
            offset += count
        } while offset < rows.count
        var a = 1
        var b = 0
        for byte in rows {
            a = (a + Int(byte)) % 65_521
            b = (b + a) % 65_521
        }
        zlib += be32(b << 16 | a)
        let header = be32(width) + be32(height) + [8, colour, 0, 0, 0]
        return [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + chunk("IHDR", header) + chunk("IDAT", zlib) + chunk("IEND", [])
    }

    /// The caller still owns `image`.
    private static func checkDecoded(_ status: Int32, _ image: UnsafeMutablePointer<VipsImage>?, _ format: String, limit: Int) {
        check((-1...1).contains(status), "\(format) decoder returned \(status)")
        guard status == 0 else {
            check(image == nil, "\(format) decoder failed but made an image")
            return
        }
        guard let image else {
            check(false, "\(format) decoder succeeded without an image")
            return
        }
        let width = Int(cvips_width(image))
        let height = Int(cvips_height(image))
        let bands = Int(cvips_bands(image))
        check(width > 0 && height > 0 && width * height <= limit, "\(format) image of \(width)x\(height)")
        check((1...4).contains(bands), "\(format) image of \(bands) bands")
    }
}
