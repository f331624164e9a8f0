/// Whether an image file is whole, checked from its structure without decoding: a PNG's chunks chain to IEND
/// with good checksums, a JPEG ends with its end-of-image marker, a WebP holds as many bytes as its RIFF
/// header declares. A provider's answer cut short or corrupted in transit fails here, so it is retried rather
/// than stored and charged for as a picture nobody can open.
public enum ImageIntegrity {
    public static func isComplete(_ bytes: [UInt8], format: ImageFormat) -> Bool {
        switch format {
        case .png: return pngIsComplete(bytes)
        case .jpeg: return jpegIsComplete(bytes)
        case .webp: return webpIsComplete(bytes)
        }
    }

    static func pngIsComplete(_ d: [UInt8]) -> Bool {
        var offset = 8
        var sawData = false
        var first = true
        while offset + 12 <= d.count {
            let length = ImageHeader.be32(d, offset)
            let typeStart = offset + 4
            let end = typeStart + 4 + length
            guard length <= 0x7FFF_FFFF, end + 4 <= d.count else { return false }
            let type = d[typeStart..<typeStart + 4]
            if first, !type.elementsEqual("IHDR".utf8) { return false }
            first = false
            let stored = UInt32(ImageHeader.be32(d, end))
            guard CRC32.checksum(d[typeStart..<end]) == stored else { return false }
            if type.elementsEqual("IDAT".utf8) { sawData = true }
            if type.elementsEqual("IEND".utf8) { return sawData }
            offset = end + 4
        }
        return false
    }

    static func jpegIsComplete(_ d: [UInt8]) -> Bool {
        guard d.count >= 4, d[0] == 0xFF, d[1] == 0xD8 else { return false }
        // Some encoders pad after the end marker; a few bytes of it are tolerated.
        var end = d.count
        while end > 2, d.count - end < 64, d[end - 1] == 0 { end -= 1 }
        return d[end - 2] == 0xFF && d[end - 1] == 0xD9
    }

    static func webpIsComplete(_ d: [UInt8]) -> Bool {
        guard d.count >= 12 else { return false }
        let declared = Int(d[4]) | Int(d[5]) << 8 | Int(d[6]) << 16 | Int(d[7]) << 24
        return declared + 8 <= d.count
    }
}
