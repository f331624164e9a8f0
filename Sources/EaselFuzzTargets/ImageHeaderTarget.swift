import EaselCore

extension FuzzTargets {
    /// `ImageHeader.read`: a header it accepts is of the sniffed format, with sides above zero and within the
    /// format's own limit, so the pixel count fits an `Int`; the upload check built on it answers, never traps.
    public static func imageHeader(_ bytes: [UInt8]) {
        if let header = ImageHeader.read(bytes) {
            check(ImageFormat.sniff(bytes) == header.format, "the header's format is not the sniffed one")
            check(header.width > 0 && header.height > 0, "a side of \(header.width)x\(header.height) is not positive")
            let maxSide =
                switch header.format {
                case .png: Int(Int32.max)  // PNG: 2^31 - 1
                case .jpeg: Int(UInt16.max)
                case .webp: 1 << 24  // VP8X: 24 bits, plus one
                }
            check(header.width <= maxSide && header.height <= maxSide, "\(header.width)x\(header.height) exceeds the format")
        }
        _ = try? EditInputRules().inspect(bytes, param: "image")
    }
}
