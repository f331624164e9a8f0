import struct Foundation.Data

/// Whether an image file is whole, checked from its structure without decoding: a PNG's chunks chain to IEND
/// with good checksums, a JPEG ends with its end-of-image marker, a WebP holds as many bytes as its RIFF
/// header declares. A provider's answer cut short or corrupted in transit fails here, so it is retried rather
/// than stored and charged for as a picture nobody can open.
public enum ImageIntegrity {
    public static func isComplete(_ data: Data, format: ImageFormat) -> Bool {
        data.withUnsafeBytes { isComplete($0, format: format) }
    }

    public static func isComplete(_ bytes: [UInt8], format: ImageFormat) -> Bool {
        bytes.withUnsafeBytes { isComplete($0, format: format) }
    }

    static func isComplete(_ bytes: UnsafeRawBufferPointer, format: ImageFormat) -> Bool {
        switch format {
        case .png: return pngIsComplete(bytes)
        case .jpeg: return jpegIsComplete(bytes)
        case .webp: return webpIsComplete(bytes)
        }
    }

    static func pngIsComplete(_ d: UnsafeRawBufferPointer) -> Bool {
        var offset = 8
        var sawData = false
        while offset + 12 <= d.count {
            let length = Int(UInt32(bigEndian: d.loadUnaligned(fromByteOffset: offset, as: UInt32.self)))
            let typeStart = offset + 4
            let end = typeStart + 4 + length
            guard length <= 0x7FFF_FFFF, end + 4 <= d.count else { return false }
            let type = UInt32(bigEndian: d.loadUnaligned(fromByteOffset: typeStart, as: UInt32.self))
            // The first chunk after the signature must be the header.
            if offset == 8, type != Self.ihdr { return false }
            let stored = UInt32(bigEndian: d.loadUnaligned(fromByteOffset: end, as: UInt32.self))
            guard CRC32.checksum(UnsafeRawBufferPointer(rebasing: d[typeStart..<end])) == stored else { return false }
            if type == Self.idat { sawData = true }
            if type == Self.iend { return sawData }
            offset = end + 4
        }
        return false
    }

    /// Chunk types as their four ASCII bytes read big-endian.
    static let ihdr: UInt32 = 0x4948_4452
    static let idat: UInt32 = 0x4944_4154
    static let iend: UInt32 = 0x4945_4E44

    static func jpegIsComplete(_ d: UnsafeRawBufferPointer) -> Bool {
        guard d.count >= 4, d[0] == 0xFF, d[1] == 0xD8 else { return false }
        // Some encoders pad after the end marker; a few bytes of it are tolerated.
        var end = d.count
        while end > 2, d.count - end < 64, d[end - 1] == 0 { end -= 1 }
        return d[end - 2] == 0xFF && d[end - 1] == 0xD9
    }

    static func webpIsComplete(_ d: UnsafeRawBufferPointer) -> Bool {
        guard d.count >= 12 else { return false }
        let declared = Int(UInt32(littleEndian: d.loadUnaligned(fromByteOffset: 4, as: UInt32.self)))
        return declared + 8 <= d.count
    }
}
