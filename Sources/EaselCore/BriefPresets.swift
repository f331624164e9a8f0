/// The fixed wording of style, palette and format presets. A preset always turns into the same words, so
/// a brief compiles to the same prompt today and next month ("hard-code the core style descriptors").
/// The palette wording names colour and tone words the draft renderer reads too.
public enum BriefPresets {
    public struct Preset: Sendable, Hashable {
        public var id: String
        public var label: String
        public var wording: String
    }

    public static let styles: [Preset] = [
        Preset(
            id: "photorealistic",
            label: "Photorealistic",
            wording: "photorealistic photograph, natural light, sharp focus, true-to-life materials"
        ),
        Preset(id: "illustration", label: "Illustration", wording: "digital illustration, clean shapes, confident linework"),
        Preset(id: "minimalist", label: "Minimalist", wording: "minimalist composition, generous negative space, few elements"),
        Preset(id: "futuristic-tech", label: "Futuristic tech", wording: "futuristic technology aesthetic, sleek surfaces, subtle glow"),
        Preset(id: "flat", label: "Flat", wording: "flat vector illustration, solid colours, simple geometric shapes, no gradients"),
        Preset(id: "3d", label: "3D", wording: "3D render, soft studio lighting, smooth materials, gentle shadows"),
        Preset(id: "isometric", label: "Isometric", wording: "isometric illustration, clean geometry, consistent angles"),
        Preset(id: "watercolor", label: "Watercolour", wording: "watercolour painting, soft washes, visible paper texture"),
        Preset(id: "line-art", label: "Line art", wording: "line art, clean monoline strokes, minimal fill"),
        Preset(id: "editorial", label: "Editorial photo", wording: "editorial photography, magazine quality, considered framing"),
    ]

    public static let palettes: [Preset] = [
        Preset(id: "bright-vivid", label: "Bright, vivid", wording: "bright vivid colours, high saturation, cheerful energy"),
        Preset(
            id: "dark-cinematic",
            label: "Dark, cinematic",
            wording: "dark cinematic palette, deep shadows, moody contrast, teal and orange accents"
        ),
        Preset(id: "fresh-minimalist", label: "Fresh, minimalist", wording: "fresh minimalist palette of white, soft green and light grey"),
        Preset(id: "business-neutral", label: "Business neutral", wording: "business neutral palette of navy, grey and white, restrained accents"),
        Preset(id: "pastel", label: "Pastel", wording: "soft pastel palette of pink, lavender and cream"),
        Preset(id: "warm-earthy", label: "Warm, earthy", wording: "warm earthy palette of brown, beige and olive"),
        Preset(id: "monochrome", label: "Monochrome", wording: "monochrome palette of black, white and greys"),
        Preset(id: "neon-night", label: "Neon night", wording: "neon night palette, magenta and cyan glow against dark blue"),
    ]

    public struct Format: Sendable, Hashable {
        public var id: String
        public var label: String
        public var aspect: AspectRatio
        public var wording: String
    }

    public static let formats: [Format] = [
        Format(
            id: "horizontal-banner",
            label: "Horizontal banner",
            aspect: AspectRatio(width: 16, height: 9)!,
            wording: "wide horizontal banner composition"
        ),
        Format(
            id: "vertical-portrait",
            label: "Vertical portrait",
            aspect: AspectRatio(width: 2, height: 3)!,
            wording: "vertical portrait composition"
        ),
        Format(
            id: "square-social",
            label: "Square social",
            aspect: AspectRatio(width: 1, height: 1)!,
            wording: "square composition for social feeds"
        ),
        Format(id: "feed-4x5", label: "4:5 feed", aspect: AspectRatio(width: 4, height: 5)!, wording: "4:5 portrait composition for a social feed"),
        Format(id: "widescreen", label: "16:9", aspect: AspectRatio(width: 16, height: 9)!, wording: "16:9 widescreen composition"),
        Format(id: "story", label: "9:16 story", aspect: AspectRatio(width: 9, height: 16)!, wording: "9:16 full-screen vertical composition"),
        Format(id: "landscape", label: "3:2 landscape", aspect: AspectRatio(width: 3, height: 2)!, wording: "3:2 landscape composition"),
    ]

    public static func style(_ id: String) -> Preset? { styles.first { $0.id == id.lowercased() } }
    public static func palette(_ id: String) -> Preset? { palettes.first { $0.id == id.lowercased() } }
    public static func format(_ id: String) -> Format? { formats.first { $0.id == id.lowercased() } }
}
