import EaselCore
import EaselImaging
import Foundation
import Testing

/// Captions in any script: every character drawn with a real glyph (never the missing-glyph box), a character
/// no font has left out, and right-to-left text laid out from the right.
@Suite("Captions in every script")
struct ScriptCaptionTests {
    @Test(arguments: [
        ("zh", "春季营销活动海报"),
        ("zh-Hant", "春季行銷活動海報"),
        ("ja", "夕焼けの灯台とカモメ"),
        ("ko", "노을 지는 바다의 등대"),
        ("ar", "منارة عند الغسق"),
        ("hi", "शाम को प्रकाशस्तंभ"),
        ("th", "ประภาคารยามพลบค่ำ"),
        ("he", "מגדלור בשקיעה"),
        ("el", "Φάρος στο σούρουπο"),
        ("ru", "Маяк в сумерках"),
    ])
    func everyCharacterHasAGlyph(language: String, text: String) throws {
        // Pango's count of glyphs no face has, in the chain the caption is set in: none.
        #expect(TextMask.unknownGlyphs(text) == 0, "\(language)")
        #expect(TextMask.drawable(text) == text, "\(language)")
        let mask = try TextMask.render(text, pixelSize: 24, wrapWidth: 600)
        #expect(mask.coverage.contains { $0 > 200 }, "\(language): ink")
    }

    @Test(arguments: [String(repeating: "春季营销活动海报", count: 6), String(repeating: "प्रकाशस्तंभ ", count: 8), String(repeating: "ประภาคาร", count: 8)])
    func aLongCaptionWrapsIntoLines(text: String) throws {
        let line = try TextMask.render(String(text.prefix(2)), pixelSize: 20, wrapWidth: 2000)
        let wrapped = try TextMask.render(text, pixelSize: 20, wrapWidth: 240)
        // Scripts without spaces wrap too, between characters, within the width asked for.
        #expect(wrapped.height >= line.height * 2)
        #expect(wrapped.width <= 240)
    }

    @Test func aCharacterNoFontHasIsLeftOutNotBoxed() throws {
        // U+10FFFD is a private-use code point no font draws; without it the text draws whole.
        let text = "灯塔\u{10FFFD}海边"
        #expect(TextMask.unknownGlyphs(text) > 0)
        #expect(TextMask.drawable(text) == "灯塔海边")
        #expect(TextMask.unknownGlyphs(TextMask.drawable(text)) == 0)
        // A draft whose caption has one still renders, the rest of its caption intact.
        let output = try DraftRenderer().render(
            prompt: "灯塔\u{10FFFD}海边，明亮",
            seed: 1,
            options: .init(size: PixelSize(width: 256, height: 256), format: .png)
        )
        #expect(output.size == PixelSize(width: 256, height: 256))
    }

    @Test func rightToLeftCaptionsSitAtTheRight() throws {
        #expect(TextMask.isRightToLeft("منارة عند الغسق"))
        #expect(TextMask.isRightToLeft("מגדלור בשקיעה"))
        #expect(!TextMask.isRightToLeft("A lighthouse"))
        #expect(!TextMask.isRightToLeft("123 灯塔"))
        let arabic = try Self.captionColumns("منارة عند الغسق")
        let latin = try Self.captionColumns("A lighthouse at dusk")
        let width = 512
        // The Arabic caption ends at the right margin and the Latin one starts at the left margin.
        #expect(width - arabic.upperBound < 40)
        #expect(arabic.lowerBound > width / 3)
        #expect(latin.lowerBound < 40)
        #expect(latin.upperBound < width * 2 / 3)
    }

    /// The columns of the bottom band where a draft's caption colour is drawn at full strength.
    static func captionColumns(_ prompt: String) throws -> ClosedRange<Int> {
        let size = PixelSize(width: 512, height: 256)
        let output = try DraftRenderer().render(prompt: prompt, seed: 3, options: .init(size: size, format: .png))
        let pixels = try output.raster.pixels()
        let bands = pixels.count / (size.width * size.height)
        let color = DraftScene.plan(prompt: prompt, seed: 3).captionColor
        let target = [color.r, color.g, color.b].map { UInt8(max(0, min(255, ($0 * 255).rounded()))) }
        var columns: [Int] = []
        for y in (size.height * 3 / 4)..<size.height {
            for x in 0..<size.width {
                let offset = (y * size.width + x) * bands
                if zip(pixels[offset..<(offset + 3)], target).allSatisfy({ abs(Int($0) - Int($1)) <= 2 }) { columns.append(x) }
            }
        }
        let first = try #require(columns.min())
        let last = try #require(columns.max())
        return first...last
    }
}
