import EaselCore
import Testing

@Suite("Draft scene planning")
struct DraftSceneTests {
    @Test func sameInputsSamePlan() {
        #expect(DraftScene.plan(prompt: "a lighthouse at dusk", seed: 4) == DraftScene.plan(prompt: "a lighthouse at dusk", seed: 4))
        #expect(DraftScene.plan(prompt: "a lighthouse at dusk", seed: 4) != DraftScene.plan(prompt: "a lighthouse at dusk", seed: 5))
    }

    @Test func readsColourToneAndSubjectWords() {
        let scene = DraftScene.plan(prompt: "a lighthouse at dusk, dark cinematic palette", seed: 1)
        #expect(scene.motifs.contains(.tower))
        #expect(scene.motifs.contains(.sun))
        #expect(scene.toneWords == ["dusk", "dark", "cinematic"])
        #expect(scene.caption == "A lighthouse at dusk")
        // Dark and cinematic: the sky is dim.
        #expect(scene.skyTop.luminance < 0.2)

        let red = DraftScene.plan(prompt: "red and blue abstract shapes", seed: 1)
        #expect(red.palette[0].r > red.palette[0].b)
        #expect(red.palette[1].b > red.palette[1].r)
    }

    @Test func captionIsShortenedAndNeverEmpty() {
        #expect(DraftScene.caption(from: "") == "Untitled")
        let long = DraftScene.caption(from: String(repeating: "word ", count: 40))
        #expect(long.count == 48)
        #expect(long.hasSuffix("…"))
    }
}
