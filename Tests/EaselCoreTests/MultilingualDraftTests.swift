import EaselCore
import Foundation
import Testing

/// The draft understands colour, tone and subject words in other languages as it does in English, and keeps
/// the user's own words in the caption.
@Suite("Prompts in any language")
struct MultilingualDraftTests {
    /// The parts of a plan that come from the words (everything but the caption).
    static func look(_ prompt: String, seed: UInt64 = 7) -> (DraftScene, [RGB], RGB, RGB, [String], [DraftMotif]) {
        let scene = DraftScene.plan(prompt: prompt, seed: seed)
        return (scene, scene.palette, scene.skyTop, scene.skyBottom, scene.toneWords, scene.motifs)
    }

    @Test(arguments: [
        ("明亮鲜艳", "bright vivid"),
        ("明亮鮮豔", "bright vivid"),  // traditional
        ("暗色电影感", "dark cinematic"),
        ("春季营销活动海报，明亮鲜艳的色调", "spring marketing poster, bright vivid palette"),
        ("rouge vif", "vivid red"),
        ("azul oscuro", "dark blue"),
        ("dunkelblauer Himmel bei Nacht", "dark blue sky at night"),
        ("鮮やかな赤い灯台、夕焼け", "vivid red lighthouse at sunset"),
        ("빨간색 등대, 밝은 노을", "red lighthouse, bright sunset"),
        ("farol vermelho ao pôr do sol", "red lighthouse at sunset"),
        ("faro rosso al tramonto, caldo", "red lighthouse at sunset, warm"),
    ])
    func choosesWhatItsEnglishEquivalentChooses(prompt: String, english: String) {
        let (_, palette, top, bottom, tones, motifs) = Self.look(prompt)
        let (_, englishPalette, englishTop, englishBottom, englishTones, englishMotifs) = Self.look(english)
        #expect(palette == englishPalette, "\(prompt)")
        #expect(top == englishTop && bottom == englishBottom, "\(prompt)")
        #expect(Set(tones) == Set(englishTones), "\(prompt)")
        #expect(motifs == englishMotifs, "\(prompt)")
    }

    @Test func theIssuesPromptIsBrightNotDarkTeal() {
        let scene = DraftScene.plan(prompt: "春季营销活动海报，明亮鲜艳的色调", seed: 1)
        #expect(scene.toneWords == ["bright", "vivid"])
        #expect(scene.caption == "春季营销活动海报")
        // Bright and vivid: a light sky, not the dim one a dark palette gives.
        #expect(scene.skyTop.luminance > DraftScene.plan(prompt: "暗色电影感", seed: 1).skyTop.luminance)
    }

    @Test func segmentsScriptsWithoutSpaces() {
        let lexicon = Lexicon.builtIn
        #expect(lexicon.words(in: "红色的灯塔在海边", preferring: DraftScene.vocabulary) == ["red", "lighthouse", "sea"])
        #expect(lexicon.words(in: "夜の東京の街、ネオン") == ["night", "city", "neon"])
        // Korean particles stay attached: 바다에서 is "at the sea".
        #expect(lexicon.words(in: "바다에서 빨간색의 등대") == ["sea", "red", "lighthouse"])
        // Words of spaced scripts match whole: "rotation" is not German "rot".
        #expect(lexicon.words(in: "rotation of a red coat") == ["rotation", "of", "a", "red", "coat"])
        // Multi-word phrases, longest first.
        #expect(lexicon.words(in: "coucher de soleil sur la mer") == ["sunset", "sur", "la", "sea"])
    }

    @Test func englishWinsOverAForeignWordSpelledTheSame() {
        // French "rose" is pink; in an English prompt it is the flower.
        let scene = DraftScene.plan(prompt: "a rose garden", seed: 1)
        #expect(scene.motifs == [.flowers])
        #expect(DraftScene.plan(prompt: "a pink rose", seed: 1).palette[0] == DraftScene.plan(prompt: "pink", seed: 1).palette[0])
    }

    @Test func everyListParsesAndStandsForWordsTheDraftKnows() {
        let lexicon = Lexicon.builtIn
        let unknown = lexicon.englishWords.subtracting(DraftScene.vocabulary)
        #expect(unknown.isEmpty, "words the draft does not know: \(unknown.sorted())")
        // Each language file is there and says something.
        for sample in ["红色", "赤い", "빨간색", "rojo", "rouge", "rot", "vermelho", "rosso"] {
            #expect(lexicon.words(in: sample) == ["red"], "\(sample)")
        }
    }

    @Test func theCaptionKeepsTheUsersWordsAndCutsBetweenCharacters() {
        #expect(DraftScene.caption(from: "春季营销活动海报，明亮鲜艳的色调") == "春季营销活动海报")
        #expect(DraftScene.caption(from: "منارة عند الغسق، ألوان داكنة") == "منارة عند الغسق")
        #expect(DraftScene.caption(from: "शाम को प्रकाशस्तंभ। गहरे रंग") == "शाम को प्रकाशस्तंभ")
        // Shortened by grapheme cluster: every kept character is whole (Devanagari conjuncts, emoji with skin tone).
        for long in [String(repeating: "प्रकाशस्तंभ ", count: 20), String(repeating: "👍🏽", count: 60), String(repeating: "春", count: 100)] {
            let caption = DraftScene.caption(from: long)
            #expect(caption.count == 48)
            #expect(caption.hasSuffix("…"))
            let kept = Array(caption.dropLast())
            #expect(kept == Array(long.trimmingCharacters(in: .whitespaces).prefix(47)), "\(long.prefix(5))")
        }
    }
}

/// The prompt limit counts what OpenAI counts: Unicode code points.
@Suite("Prompt length in any script")
struct PromptLengthTests {
    let parser = GenerationRequestParser(defaultModel: "gpt-image-2") { $0 == "gpt-image-2" ? .gptImage2 : nil }

    func parse(_ prompt: String) throws(EaselError) -> ImageRequest {
        try parser.parse(.object(["prompt": .string(prompt)]), seed: 1)
    }

    @Test func thirtyTwoThousandChineseCharactersAreAcceptedAndOneMoreIsNot() throws {
        #expect(try parse(String(repeating: "春", count: 32_000)).prompt.unicodeScalars.count == 32_000)
        let error = #expect(throws: EaselError.self) { try parse(String(repeating: "春", count: 32_001)) }
        #expect(error?.code == "string_above_max_length")
        #expect(error?.param == "prompt")
        #expect(error?.message.contains("32001") == true)
    }

    @Test func emojiCountAsTheirCodePoints() throws {
        // 👍🏽 is one character on screen but two code points; OpenAI counts two.
        #expect(throws: Never.self) { try parse(String(repeating: "👍🏽", count: 16_000)) }
        #expect(throws: EaselError.self) { try parse(String(repeating: "👍🏽", count: 16_000) + "a") }
    }
}
