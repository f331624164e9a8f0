/// The plan of a draft picture: what Easel's offline renderer draws for a prompt. Pure and deterministic
/// in (prompt, seed): the rasteriser in EaselImaging turns it into pixels at any size.
///
/// The draft renderer is not a model. It reads colour and tone words and a few subject words from the
/// prompt, lays out simple shapes with a seeded generator, writes the subject as a caption and stamps a
/// DRAFT mark, so a layout or palette can be judged for free and nobody mistakes it for AI output.
public struct DraftScene: Sendable, Equatable {
    public var skyTop: RGB
    public var skyBottom: RGB
    public var palette: [RGB]
    public var shapes: [DraftShape]
    public var caption: String
    public var captionColor: RGB
    public var toneWords: [String]
    public var motifs: [DraftMotif]
}

/// One primitive in normalised coordinates: x and y in 0...1 of the width and height; radii are
/// fractions of the shorter edge so circles stay round at any aspect ratio.
public enum DraftShape: Sendable, Equatable {
    case band(y0: Double, y1: Double, color: RGB, alpha: Double)
    case rect(x: Double, y: Double, w: Double, h: Double, color: RGB, alpha: Double)
    case circle(cx: Double, cy: Double, r: Double, color: RGB, alpha: Double)
    case glow(cx: Double, cy: Double, r: Double, color: RGB, alpha: Double)
    case triangle(x0: Double, y0: Double, x1: Double, y1: Double, x2: Double, y2: Double, color: RGB, alpha: Double)
}

public enum DraftMotif: String, Sendable, CaseIterable {
    case tower, mountains, water, sun, moon, trees, stars, clouds, city, product, figure, flowers, abstract
}

extension DraftScene {
    static let colorWords: [String: UInt32] = [
        "red": 0xD33A32, "crimson": 0xB0182E, "maroon": 0x6E1423, "orange": 0xF08A24, "amber": 0xF2A93B,
        "yellow": 0xF4D03F, "gold": 0xD4A537, "golden": 0xD4A537, "green": 0x3E9B4F, "emerald": 0x1F8A5B,
        "olive": 0x7A7F32, "teal": 0x1E8C8C, "cyan": 0x2EC4D6, "turquoise": 0x30C5B5, "blue": 0x2F6BD8,
        "navy": 0x1B2A5A, "indigo": 0x3F3A9E, "purple": 0x7B3FA8, "violet": 0x8E5BD6, "lavender": 0xB9A4E0,
        "magenta": 0xD2368C, "pink": 0xF08DB4, "coral": 0xF27B6B, "brown": 0x7B5236, "beige": 0xD9C7A7,
        "cream": 0xF3E9D2, "white": 0xF4F4F2, "black": 0x141416, "grey": 0x8A8D93, "gray": 0x8A8D93,
        "silver": 0xB8BCC4, "charcoal": 0x33363B,
    ]

    static let toneWords: Set<String> = [
        "dark", "cinematic", "dusk", "sunset", "night", "pastel", "neon", "muted", "vintage", "warm", "cool",
        "bright", "vibrant", "vivid", "monochrome", "moody", "soft", "dramatic", "minimal",
    ]

    static let motifWords: [String: DraftMotif] = [
        "lighthouse": .tower, "tower": .tower, "castle": .tower, "obelisk": .tower,
        "mountain": .mountains, "mountains": .mountains, "hill": .mountains, "hills": .mountains,
        "peak": .mountains, "volcano": .mountains, "desert": .mountains, "dune": .mountains,
        "sea": .water, "ocean": .water, "lake": .water, "river": .water, "beach": .water, "wave": .water,
        "waves": .water, "harbor": .water, "harbour": .water, "coast": .water, "water": .water,
        "sun": .sun, "sunset": .sun, "sunrise": .sun, "dawn": .sun, "dusk": .sun,
        "moon": .moon, "planet": .moon, "night": .stars, "stars": .stars, "space": .stars, "galaxy": .stars,
        "tree": .trees, "trees": .trees, "forest": .trees, "pine": .trees, "jungle": .trees, "park": .trees,
        "cloud": .clouds, "clouds": .clouds, "sky": .clouds, "storm": .clouds,
        "city": .city, "skyline": .city, "building": .city, "buildings": .city, "street": .city, "skyscraper": .city,
        "bottle": .product, "shoe": .product, "sneaker": .product, "phone": .product, "watch": .product,
        "cup": .product, "mug": .product, "perfume": .product, "box": .product, "product": .product,
        "package": .product, "can": .product, "headphones": .product, "chair": .product, "lamp": .product,
        "person": .figure, "portrait": .figure, "woman": .figure, "man": .figure, "girl": .figure,
        "boy": .figure, "cat": .figure, "dog": .figure, "robot": .figure, "astronaut": .figure, "face": .figure,
        "flower": .flowers, "flowers": .flowers, "garden": .flowers, "rose": .flowers, "bouquet": .flowers,
    ]

    /// Every English word the draft understands; other languages reach it through `Lexicon`.
    public static let vocabulary: Set<String> = Set(colorWords.keys).union(toneWords).union(motifWords.keys)

    /// Builds the scene for a prompt and seed.
    public static func plan(prompt: String, seed: UInt64, aspect: Double = 1) -> DraftScene {
        let words = tokenize(prompt)
        // Seeded by the words the draft understands (in any language), so "明亮鲜艳" and "bright vivid" plan
        // the same picture; a prompt it understands nothing of is seeded by its text.
        let understood = words.filter(vocabulary.contains).sorted()
        let basis = understood.isEmpty ? prompt : understood.joined(separator: " ")
        var rng = SeededRandom(seed: stableHash(basis) ^ (seed &* 0x9E37_79B9_7F4A_7C15))

        // Palette: colour words in order of appearance, else a palette chosen by the seed.
        var palette = words.compactMap { colorWords[$0].map(RGB.init(hex:)) }
        if palette.isEmpty {
            let presets: [[UInt32]] = [
                [0x2F6BD8, 0xF2A93B, 0xF4F4F2], [0x1E8C8C, 0xF27B6B, 0xF3E9D2], [0x7B3FA8, 0xF08DB4, 0xF4D03F],
                [0x3E9B4F, 0xD9C7A7, 0x7B5236], [0x1B2A5A, 0xD4A537, 0xB8BCC4], [0xD33A32, 0x33363B, 0xF3E9D2],
            ]
            palette = presets[Int(rng.next() % UInt64(presets.count))].map(RGB.init(hex:))
        }
        while palette.count < 3 {
            palette.append(palette[palette.count - 1].mixed(with: RGB(1, 1, 1), 0.45))
        }
        let tones = words.filter { toneWords.contains($0) }
        palette = palette.map { applyTones(tones, to: $0) }

        var skyTop = palette[0].lightness(0.55)
        var skyBottom = palette[1].mixed(with: palette[0], 0.3)
        if tones.contains("sunset") || tones.contains("dusk") {
            skyTop = applyTones(tones, to: RGB(hex: 0x2B1F4F))
            skyBottom = applyTones(tones, to: RGB(hex: 0xF08A50))
        } else if tones.contains("night") {
            skyTop = RGB(hex: 0x070B1E)
            skyBottom = palette[0].lightness(0.35)
        }
        if tones.contains("dark") || tones.contains("moody") || tones.contains("cinematic") {
            skyTop = skyTop.lightness(0.5)
            skyBottom = skyBottom.lightness(0.7)
        }

        var motifs: [DraftMotif] = []
        for word in words {
            if let motif = motifWords[word], !motifs.contains(motif) { motifs.append(motif) }
        }
        if motifs.isEmpty { motifs = [.abstract] }

        var shapes: [DraftShape] = []
        let horizon = rng.range(0.58, 0.72)
        // Draw back to front: sky objects, land and water, then subjects.
        let order: [DraftMotif] = [
            .stars, .sun, .moon, .clouds, .mountains, .city, .water, .trees, .flowers, .tower,
            .product, .figure, .abstract,
        ]
        for motif in order where motifs.contains(motif) {
            shapes += draw(motif, palette: palette, horizon: horizon, aspect: aspect, rng: &rng)
        }

        let captionBase = skyBottom.luminance > 0.55 ? RGB(hex: 0x141416) : RGB(hex: 0xF7F7F5)
        return DraftScene(
            skyTop: skyTop,
            skyBottom: skyBottom,
            palette: palette,
            shapes: shapes,
            caption: caption(from: prompt),
            captionColor: captionBase,
            toneWords: tones,
            motifs: motifs
        )
    }

    /// Where a caption ends: a comma, full stop, semicolon or line break, in the scripts that write them
    /// differently (，。、；！？ in CJK, ، ؛ ۔ in Arabic script, । in Devanagari).
    static let clauseEnds: Set<Character> = [",", ".", ";", "\n", "!", "?", "，", "。", "、", "；", "！", "？", "،", "؛", "۔", "।", "॥", "｡", "､"]

    /// The subject, in the user's own words: the prompt up to its first clause end, shortened to 48
    /// characters as the eye counts them (grapheme clusters), so no character is ever cut in half.
    public static func caption(from prompt: String) -> String {
        let head = prompt.split(whereSeparator: { clauseEnds.contains($0) }).first.map(String.init) ?? prompt
        let trimmed = head.trimmingWhitespace
        let limited = trimmed.count > 48 ? String(trimmed.prefix(47)) + "…" : trimmed
        guard let first = limited.first else { return "Untitled" }
        return first.uppercased() + limited.dropFirst()
    }

    /// The prompt as the draft's English words (and any other words), in order.
    static func tokenize(_ prompt: String) -> [String] {
        Lexicon.builtIn.words(in: prompt, preferring: vocabulary)
    }

    static func applyTones(_ tones: [String], to color: RGB) -> RGB {
        var c = color
        for tone in tones {
            switch tone {
            case "dark", "moody": c = c.lightness(0.62)
            case "cinematic", "dramatic": c = c.saturation(1.15).mixed(with: RGB(hex: 0x0E3A46), 0.18)
            case "pastel", "soft": c = c.saturation(0.55).lightness(1.35)
            case "neon", "vibrant", "vivid", "bright": c = c.saturation(1.45).lightness(1.08)
            case "muted", "vintage": c = c.saturation(0.5).mixed(with: RGB(hex: 0xB59B76), 0.15)
            case "warm": c = c.mixed(with: RGB(hex: 0xF08A24), 0.18)
            case "cool": c = c.mixed(with: RGB(hex: 0x2F6BD8), 0.18)
            case "monochrome": c = c.saturation(0)
            case "night": c = c.lightness(0.7)
            default: break
            }
        }
        return c
    }

    static func draw(
        _ motif: DraftMotif,
        palette: [RGB],
        horizon: Double,
        aspect: Double,
        rng: inout SeededRandom
    ) -> [DraftShape] {
        let accent = palette[1]
        let light = palette[2]
        let ground = palette[0].lightness(0.45)
        var shapes: [DraftShape] = []
        switch motif {
        case .stars:
            for _ in 0..<60 {
                shapes.append(
                    .circle(
                        cx: rng.unit(),
                        cy: rng.range(0, horizon * 0.9),
                        r: rng.range(0.0015, 0.004),
                        color: RGB(1, 1, 0.95),
                        alpha: rng.range(0.5, 1)
                    )
                )
            }
        case .sun:
            let cx = rng.range(0.2, 0.8)
            let cy = horizon - rng.range(0.08, 0.22)
            let r = rng.range(0.07, 0.12)
            shapes.append(.glow(cx: cx, cy: cy, r: r * 3.2, color: accent.lightness(1.3), alpha: 0.55))
            shapes.append(.circle(cx: cx, cy: cy, r: r, color: accent.lightness(1.25), alpha: 1))
        case .moon:
            let cx = rng.range(0.15, 0.85)
            let cy = rng.range(0.12, 0.3)
            let r = rng.range(0.05, 0.09)
            shapes.append(.glow(cx: cx, cy: cy, r: r * 2.5, color: light, alpha: 0.35))
            shapes.append(.circle(cx: cx, cy: cy, r: r, color: light.lightness(1.2), alpha: 1))
        case .clouds:
            for _ in 0..<Int(rng.range(2, 5)) {
                let cx = rng.unit()
                let cy = rng.range(0.08, horizon * 0.6)
                for puff in 0..<4 {
                    shapes.append(
                        .circle(
                            cx: cx + Double(puff) * 0.045 - 0.07,
                            cy: cy + rng.range(-0.015, 0.015),
                            r: rng.range(0.035, 0.06),
                            color: light.lightness(1.15),
                            alpha: 0.75
                        )
                    )
                }
            }
        case .mountains:
            var x = -0.1
            while x < 1.1 {
                let width = rng.range(0.25, 0.5)
                let peak = horizon - rng.range(0.15, 0.35)
                shapes.append(
                    .triangle(
                        x0: x,
                        y0: horizon + 0.01,
                        x1: x + width / 2,
                        y1: peak,
                        x2: x + width,
                        y2: horizon + 0.01,
                        color: palette[0].lightness(rng.range(0.5, 0.8)),
                        alpha: 1
                    )
                )
                shapes.append(
                    .triangle(
                        x0: x + width * 0.38,
                        y0: peak + (horizon - peak) * 0.25,
                        x1: x + width / 2,
                        y1: peak,
                        x2: x + width * 0.62,
                        y2: peak + (horizon - peak) * 0.25,
                        color: light.lightness(1.2),
                        alpha: 0.9
                    )
                )
                x += width * rng.range(0.5, 0.8)
            }
            shapes.append(.band(y0: horizon, y1: 1, color: ground, alpha: 1))
        case .city:
            var x = 0.0
            while x < 1 {
                let w = rng.range(0.04, 0.09)
                let h = rng.range(0.12, 0.4)
                shapes.append(.rect(x: x, y: horizon - h, w: w, h: h + 0.01, color: palette[0].lightness(rng.range(0.3, 0.55)), alpha: 1))
                for row in stride(from: horizon - h + 0.02, to: horizon - 0.02, by: 0.035) where rng.unit() < 0.5 {
                    shapes.append(.rect(x: x + w * 0.25, y: row, w: w * 0.5, h: 0.012, color: accent.lightness(1.3), alpha: 0.85))
                }
                x += w + rng.range(0.003, 0.02)
            }
            shapes.append(.band(y0: horizon, y1: 1, color: ground.lightness(0.7), alpha: 1))
        case .water:
            let water = palette[0].mixed(with: RGB(hex: 0x1E5B8C), 0.4).lightness(0.8)
            shapes.append(.band(y0: horizon, y1: 1, color: water, alpha: 1))
            var y = horizon + 0.02
            while y < 1 {
                shapes.append(
                    .rect(
                        x: rng.range(-0.1, 0.6),
                        y: y,
                        w: rng.range(0.2, 0.6),
                        h: 0.006,
                        color: light,
                        alpha: rng.range(0.15, 0.4)
                    )
                )
                y += rng.range(0.025, 0.05)
            }
        case .trees:
            for _ in 0..<Int(rng.range(5, 11)) {
                let x = rng.unit()
                let base = horizon + rng.range(0.02, 0.2)
                let h = rng.range(0.12, 0.26)
                let w = h * 0.45 / max(aspect, 0.3)
                let green = RGB(hex: 0x2E6B3A).mixed(with: palette[0], 0.25).lightness(rng.range(0.6, 1.0))
                shapes.append(.rect(x: x - 0.006, y: base - 0.02, w: 0.012, h: 0.04, color: RGB(hex: 0x4A3426), alpha: 1))
                shapes.append(
                    .triangle(
                        x0: x - w / 2,
                        y0: base - 0.015,
                        x1: x,
                        y1: base - h,
                        x2: x + w / 2,
                        y2: base - 0.015,
                        color: green,
                        alpha: 1
                    )
                )
            }
        case .flowers:
            for _ in 0..<24 {
                let cx = rng.unit()
                let cy = rng.range(horizon + 0.05, 0.97)
                shapes.append(.circle(cx: cx, cy: cy, r: rng.range(0.008, 0.02), color: palette[Int(rng.next() % 3)].lightness(1.2), alpha: 0.95))
            }
        case .tower:
            let cx = rng.range(0.3, 0.7)
            let width = 0.07 / max(aspect, 0.4)
            let top = horizon - rng.range(0.35, 0.5)
            // A tower stands on something: a rocky headland under it.
            shapes.append(
                .triangle(
                    x0: cx - width * 3,
                    y0: horizon + 0.06,
                    x1: cx,
                    y1: horizon - 0.015,
                    x2: cx + width * 3,
                    y2: horizon + 0.06,
                    color: ground.lightness(0.8),
                    alpha: 1
                )
            )
            shapes.append(
                .triangle(
                    x0: cx,
                    y0: top + 0.03,
                    x1: cx + 0.8,
                    y1: top - 0.12,
                    x2: cx + 0.8,
                    y2: top + 0.18,
                    color: RGB(hex: 0xFFF2B0),
                    alpha: 0.22
                )
            )
            shapes.append(.rect(x: cx - width / 2, y: top, w: width, h: horizon - top + 0.02, color: light.lightness(1.15), alpha: 1))
            var stripe = top + 0.06
            while stripe < horizon {
                shapes.append(.rect(x: cx - width / 2, y: stripe, w: width, h: 0.04, color: RGB(hex: 0xC0392B), alpha: 1))
                stripe += 0.09
            }
            shapes.append(.rect(x: cx - width * 0.7, y: top - 0.05, w: width * 1.4, h: 0.05, color: RGB(hex: 0x2B2B2E), alpha: 1))
            shapes.append(.circle(cx: cx, cy: top - 0.025, r: 0.018, color: RGB(hex: 0xFFF2B0), alpha: 1))
        case .product:
            shapes.append(.glow(cx: 0.5, cy: 0.5, r: 0.45, color: light.lightness(1.3), alpha: 0.45))
            shapes.append(.rect(x: 0.2, y: 0.74, w: 0.6, h: 0.06, color: palette[0].lightness(0.55), alpha: 1))
            let w = rng.range(0.18, 0.28)
            let h = rng.range(0.3, 0.45)
            shapes.append(.rect(x: 0.5 - w / 2, y: 0.74 - h, w: w, h: h, color: accent, alpha: 1))
            shapes.append(
                .rect(
                    x: 0.5 - w / 2 + w * 0.1,
                    y: 0.74 - h + h * 0.1,
                    w: w * 0.12,
                    h: h * 0.7,
                    color: RGB(1, 1, 1),
                    alpha: 0.35
                )
            )
        case .figure:
            let cx = rng.range(0.35, 0.65)
            shapes.append(.circle(cx: cx, cy: 0.78, r: 0.26, color: palette[0].lightness(0.5), alpha: 1))
            shapes.append(.circle(cx: cx, cy: 0.42, r: 0.12, color: accent.lightness(1.1), alpha: 1))
        case .abstract:
            for _ in 0..<Int(rng.range(6, 12)) {
                let color = palette[Int(rng.next() % UInt64(palette.count))]
                if rng.unit() < 0.55 {
                    shapes.append(.circle(cx: rng.unit(), cy: rng.unit(), r: rng.range(0.05, 0.22), color: color, alpha: rng.range(0.55, 0.95)))
                } else {
                    shapes.append(
                        .rect(
                            x: rng.range(-0.1, 0.9),
                            y: rng.range(-0.1, 0.9),
                            w: rng.range(0.1, 0.4),
                            h: rng.range(0.05, 0.35),
                            color: color,
                            alpha: rng.range(0.5, 0.9)
                        )
                    )
                }
            }
        }
        return shapes
    }
}
