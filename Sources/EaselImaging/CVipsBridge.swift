import CVips

/// Small adapters where a libvips call needs argument conversion.
enum CVipsBridge {
    static func extractBands(
        _ image: UnsafeMutablePointer<VipsImage>,
        _ out: UnsafeMutablePointer<UnsafeMutablePointer<VipsImage>?>,
        first: Int,
        count: Int
    ) -> Int32 {
        cvips_extract_band(image, out, Int32(first), Int32(count))
    }
}
