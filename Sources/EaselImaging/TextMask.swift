import CVips
import EaselCore

/// Text rendered by libvips (Pango) into a coverage mask.
public struct TextMask: Sendable {
    public let width: Int
    public let height: Int
    public let coverage: [UInt8]

    /// - pixelSize: approximate cap height in pixels; wrapWidth: the line width to wrap at.
    public static func render(_ text: String, font: String = "DejaVu Sans Bold", pixelSize: Int, wrapWidth: Int) throws(ImagingError) -> TextMask {
        try Vips.start()
        var out: UnsafeMutablePointer<VipsImage>?
        // At 72 dpi a point is a pixel, so the font size is the text height in pixels.
        let status = escapeMarkup(text).withCString { textPointer in
            "\(font) \(max(4, pixelSize))".withCString { fontPointer in
                cvips_text(&out, textPointer, fontPointer, Int32(max(8, wrapWidth)), 72)
            }
        }
        guard status == 0, let out else { throw .library(Vips.takeError()) }
        let image = RasterImage(owning: out)
        var length = 0
        guard let raw = cvips_to_pixels(image.pointer, &length) else { throw .library(Vips.takeError()) }
        defer { cvips_free(raw) }
        let bytes = Array(UnsafeRawBufferPointer(start: raw, count: length))
        return TextMask(width: image.width, height: image.height, coverage: bytes)
    }

    /// vips_text reads Pango markup; a prompt's `<` or `&` must stay literal.
    static func escapeMarkup(_ text: String) -> String {
        var escaped = ""
        for character in text {
            switch character {
            case "&": escaped += "&amp;"
            case "<": escaped += "&lt;"
            case ">": escaped += "&gt;"
            default: escaped.append(character)
            }
        }
        return escaped
    }
}
