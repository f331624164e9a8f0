import CVips
import EaselCore

/// Text rendered by libvips (Pango) into a coverage mask, in any script: the caption's faces are a fallback
/// chain (Pango takes each character from the first face that has it), right-to-left text is laid out by
/// Pango's bidi, and a character no installed font can draw is left out rather than drawn as a box.
public struct TextMask: Sendable {
    public let width: Int
    public let height: Int
    public let coverage: [UInt8]

    /// The faces a caption is set in, most wanted first. Han characters differ by region, so the CJK face
    /// follows the text: kana means Japanese, Hangul Korean, otherwise simplified Chinese.
    public static func fonts(for text: String, weight: String = "Bold") -> String {
        var cjk = ["Noto Sans CJK SC", "Noto Sans CJK JP", "Noto Sans CJK KR"]
        if text.unicodeScalars.contains(where: { (0x3040...0x30FF).contains($0.value) }) {
            cjk = ["Noto Sans CJK JP", "Noto Sans CJK SC", "Noto Sans CJK KR"]
        } else if text.unicodeScalars.contains(where: { (0xAC00...0xD7AF).contains($0.value) || (0x1100...0x11FF).contains($0.value) }) {
            cjk = ["Noto Sans CJK KR", "Noto Sans CJK SC", "Noto Sans CJK JP"]
        }
        let families =
            ["Noto Sans"] + cjk + [
                "Noto Sans Arabic", "Noto Sans Hebrew", "Noto Sans Devanagari", "Noto Sans Bengali", "Noto Sans Thai",
                "Noto Sans Tamil", "Noto Sans Armenian", "Noto Sans Georgian", "Noto Sans Ethiopic", "Noto Sans Symbols",
                "DejaVu Sans",
            ]
        return families.joined(separator: ",") + " " + weight
    }

    /// - pixelSize: approximate cap height in pixels; wrapWidth: the line width to wrap at.
    public static func render(_ text: String, font: String? = nil, pixelSize: Int, wrapWidth: Int) throws(ImagingError) -> TextMask {
        try Vips.start()
        var out: UnsafeMutablePointer<VipsImage>?
        // At 72 dpi a point is a pixel, so the font size is the text height in pixels.
        // vips_text reads Pango markup: a prompt's `<` or `&` must stay literal.
        let status = Markup.escape(text).withCString { textPointer in
            "\(font ?? fonts(for: text)) \(max(4, pixelSize))".withCString { fontPointer in
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

    /// How many glyphs of `text` no installed face has, set in `font` (the caption's chain by default).
    public static func unknownGlyphs(_ text: String, font: String? = nil) -> Int {
        text.withCString { textPointer in
            (font ?? fonts(for: text)).withCString { fontPointer in Int(cvips_unknown_glyphs(textPointer, fontPointer)) }
        }
    }

    /// `text` without the characters (grapheme clusters, never half of one) that no installed face can draw.
    public static func drawable(_ text: String) -> String {
        let font = fonts(for: text)
        guard unknownGlyphs(text, font: font) > 0 else { return text }
        var kept = ""
        for character in text where character.isWhitespace || unknownGlyphs(String(character), font: font) == 0 {
            kept.append(character)
        }
        return kept
    }

    /// Whether a paragraph reads right to left: its first letter is Hebrew, Arabic, Syriac, Thaana or N'Ko.
    public static func isRightToLeft(_ text: String) -> Bool {
        for scalar in text.unicodeScalars where scalar.properties.isAlphabetic {
            switch scalar.value {
            case 0x0590...0x08FF, 0xFB1D...0xFDFF, 0xFE70...0xFEFF, 0x10800...0x10FFF, 0x1E800...0x1EFFF: return true
            default: return false
            }
        }
        return false
    }

}
