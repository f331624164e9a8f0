/// Reads format and pixel size from the first bytes of a PNG, JPEG or WebP file, without decoding. Used for
/// every image a provider returns and every upload, so it must be cheap and must never trust a label.
public struct ImageHeader: Sendable, Equatable {
    public var format: ImageFormat
    public var width: Int
    public var height: Int
    /// Whether the file declares an alpha channel (PNG colour types 4 and 6, or tRNS; WebP ALPH/VP8L flag).
    public var hasAlpha: Bool

    public init(format: ImageFormat, width: Int, height: Int, hasAlpha: Bool) {
        self.format = format
        self.width = width
        self.height = height
        self.hasAlpha = hasAlpha
    }

    public static func read(_ bytes: some Collection<UInt8>) -> ImageHeader? {
        let data = Array(bytes.prefix(64 * 1024))
        switch ImageFormat.sniff(data) {
        case .png?: return png(data)
        case .jpeg?: return jpeg(data)
        case .webp?: return webp(data)
        case nil: return nil
        }
    }

    static func be32(_ d: [UInt8], _ i: Int) -> Int {
        Int(d[i]) << 24 | Int(d[i + 1]) << 16 | Int(d[i + 2]) << 8 | Int(d[i + 3])
    }

    static func be16(_ d: [UInt8], _ i: Int) -> Int { Int(d[i]) << 8 | Int(d[i + 1]) }
    static func le16(_ d: [UInt8], _ i: Int) -> Int { Int(d[i]) | Int(d[i + 1]) << 8 }
    static func le24(_ d: [UInt8], _ i: Int) -> Int { Int(d[i]) | Int(d[i + 1]) << 8 | Int(d[i + 2]) << 16 }

    static func png(_ d: [UInt8]) -> ImageHeader? {
        // Signature (8), IHDR length (4), "IHDR" (4), width (4), height (4), depth (1), colour type (1).
        guard d.count >= 26, d[12...15].elementsEqual(Array("IHDR".utf8)) else { return nil }
        let width = be32(d, 16)
        let height = be32(d, 20)
        // The PNG limit, 2^31 - 1 a side: larger ones are not PNG, and their product would overflow an Int.
        guard (1...Int(Int32.max)).contains(width), (1...Int(Int32.max)).contains(height) else { return nil }
        var alpha = d[25] == 4 || d[25] == 6
        if !alpha {
            // A tRNS chunk before the image data also makes pixels transparent.
            var offset = 8
            while offset + 8 <= d.count {
                let length = be32(d, offset)
                let type = String(decoding: d[(offset + 4)..<(offset + 8)], as: UTF8.self)
                if type == "tRNS" {
                    alpha = true
                    break
                }
                if type == "IDAT" || length < 0 { break }
                offset += 12 + length
            }
        }
        return ImageHeader(format: .png, width: width, height: height, hasAlpha: alpha)
    }

    static func jpeg(_ d: [UInt8]) -> ImageHeader? {
        var i = 2
        while i + 9 < d.count {
            guard d[i] == 0xFF else { return nil }
            let marker = d[i + 1]
            if marker == 0xFF {
                i += 1
                continue
            }
            if marker == 0xD8 || (0xD0...0xD7).contains(marker) || marker == 0x01 {
                i += 2
                continue
            }
            let length = be16(d, i + 2)
            // Start-of-frame markers carry the size (not DHT C4, JPG C8 or DAC CC).
            if (0xC0...0xCF).contains(marker) && marker != 0xC4 && marker != 0xC8 && marker != 0xCC {
                let height = be16(d, i + 5)
                let width = be16(d, i + 7)
                guard width > 0, height > 0 else { return nil }
                return ImageHeader(format: .jpeg, width: width, height: height, hasAlpha: false)
            }
            i += 2 + length
        }
        return nil
    }

    static func webp(_ d: [UInt8]) -> ImageHeader? {
        guard d.count >= 30 else { return nil }
        let chunk = String(decoding: d[12..<16], as: UTF8.self)
        switch chunk {
        case "VP8 ":
            // Lossy: frame tag (3) + start code 9d 01 2a, then 14-bit width and height.
            guard d[23] == 0x9D, d[24] == 0x01, d[25] == 0x2A else { return nil }
            let width = le16(d, 26) & 0x3FFF
            let height = le16(d, 28) & 0x3FFF
            guard width > 0, height > 0 else { return nil }
            return ImageHeader(format: .webp, width: width, height: height, hasAlpha: false)
        case "VP8L":
            guard d[20] == 0x2F else { return nil }
            let bits = Int(d[21]) | Int(d[22]) << 8 | Int(d[23]) << 16 | Int(d[24]) << 24
            return ImageHeader(
                format: .webp,
                width: (bits & 0x3FFF) + 1,
                height: ((bits >> 14) & 0x3FFF) + 1,
                hasAlpha: (bits >> 28) & 1 == 1
            )
        case "VP8X":
            let flags = d[20]
            return ImageHeader(format: .webp, width: le24(d, 24) + 1, height: le24(d, 27) + 1, hasAlpha: flags & 0x10 != 0)
        default:
            return nil
        }
    }
}
