/// Turns a brief into what a model is asked: the prompt, the size the model can make, and the background;
/// and lints the brief on the way (contradictions, a size the model cannot make, a prompt past its limit).
/// Deterministic: one brief, one prompt.
public enum BriefCompiler {
    /// Bumped whenever the wording changes, so a stored brief says which compiler worded it.
    public static let version = 1

    public struct Warning: Sendable, Hashable {
        public var code: String
        public var message: String
        public var param: String

        public var json: JSONValue { .object(["code": .string(code), "message": .string(message), "param": .string(param)]) }
    }

    public struct Compiled: Sendable, Hashable {
        public var prompt: String
        public var size: PixelSize
        /// Set when the brief asks for a transparent background the model and format can give.
        public var background: ImageBackground?
        public var warnings: [Warning]
    }

    /// The size a brief's format asks of `caps`, with a warning when the model cannot make it exactly.
    public static func size(
        of brief: Brief,
        caps: ModelCapabilities,
        param: String
    ) throws(EaselError) -> (size: PixelSize, wording: String?, warning: Warning?) {
        guard let format = brief.format else { return (caps.sizes.defaultSize, nil, nil) }
        let target = 1024 * 1024
        if let preset = BriefPresets.format(format) {
            return (caps.sizes.size(for: preset.aspect, targetPixels: target), preset.wording, nil)
        }
        if let aspect = AspectRatio.parse(format) {
            return (caps.sizes.size(for: aspect, targetPixels: target), "\(aspect) composition", nil)
        }
        if let exact = PixelSize.parse(format) {
            guard let reason = caps.sizes.violation(for: exact) else { return (exact, nil, nil) }
            let nearest = caps.sizes.size(
                for: AspectRatio(width: exact.width, height: exact.height) ?? AspectRatio(width: 1, height: 1)!,
                targetPixels: exact.pixels
            )
            return (
                nearest, nil,
                Warning(code: "size_adjusted", message: "\(reason) Using \(nearest), the nearest size \(caps.id) makes.", param: "\(param).format")
            )
        }
        throw .invalidRequest(
            "Unknown format '\(format)'. Use a preset (\(BriefPresets.formats.map(\.id).joined(separator: ", "))), an aspect such as 16:9, "
                + "or a size such as 1536x1024.",
            param: "\(param).format"
        )
    }

    public static func compile(
        _ brief: Brief,
        caps: ModelCapabilities,
        kit: BrandKit? = nil,
        outputFormat: ImageFormat = .png,
        param: String = "brief"
    ) throws(EaselError) -> Compiled {
        if let kit, let banned = kit.bannedWord(in: brief) {
            throw .invalidRequest(
                "'\(banned.word)' is a banned word of the brand kit '\(kit.name)'.",
                param: "\(param).\(banned.param)",
                code: "banned_word"
            )
        }
        let brief = kit?.apply(to: brief) ?? brief
        var warnings: [Warning] = []
        let (size, formatWording, sizeWarning) = try Self.size(of: brief, caps: caps, param: param)
        if let sizeWarning { warnings.append(sizeWarning) }

        var sentences: [String] = []
        var opening = brief.subject
        if let scene = brief.scene { opening += ", " + scene }
        sentences.append(opening)
        if let useCase = brief.useCase { sentences.append("For a \(useCase)") }
        if !brief.style.isEmpty { sentences.append("Style: " + brief.style.map { BriefPresets.style($0)?.wording ?? $0 }.joined(separator: "; ")) }
        var palette = brief.palette.map { BriefPresets.palette($0)?.wording ?? $0 }
        if !brief.brandColors.isEmpty { palette.append("brand colours " + brief.brandColors.joined(separator: ", ")) }
        if !palette.isEmpty { sentences.append("Palette: " + palette.joined(separator: "; ")) }
        if brief.brandColors.count > 5 {
            warnings.append(
                Warning(
                    code: "many_colors",
                    message: "\(brief.brandColors.count) brand colours; more than five rarely read as a palette.",
                    param: "\(param).brand_colors"
                )
            )
        }
        var composition: [String] = formatWording.map { [$0] } ?? []
        if let edge = brief.constraints.headlineSpace {
            composition.append(
                edge == .top || edge == .bottom
                    ? "the \(edge.rawValue) third left calm and empty for a headline" : "the \(edge.rawValue) third left calm and empty for copy"
            )
        }
        if !composition.isEmpty { sentences.append("Composition: " + composition.joined(separator: ", ")) }

        let constraints = brief.constraints
        if let headline = brief.headline {
            if constraints.noText {
                warnings.append(
                    Warning(
                        code: "contradiction",
                        message: "no_text is set but a headline is given; the headline is left out.",
                        param: "\(param).headline"
                    )
                )
            } else {
                sentences.append("Show the headline \"\(headline)\" exactly as written, clearly legible")
            }
        }
        if constraints.noText { sentences.append("No text, letters or numbers anywhere in the image") }
        if constraints.noWatermark { sentences.append("No watermark or signature") }
        if constraints.noLogos { sentences.append("No logos or brand marks") }
        if constraints.noPeople { sentences.append("No people, faces or hands") }
        var background: ImageBackground?
        switch constraints.background {
        case .plain?: sentences.append("Plain, uncluttered background")
        case .transparent?:
            if !caps.supportsTransparentBackground {
                warnings.append(
                    Warning(
                        code: "unsupported_background",
                        message: "\(caps.id) cannot make a transparent background; asking for a plain one.",
                        param: "\(param).constraints.background"
                    )
                )
                sentences.append("Plain, uncluttered background")
            } else if outputFormat == .jpeg {
                warnings.append(
                    Warning(
                        code: "contradiction",
                        message: "A transparent background needs png or webp; jpeg has no transparency. Asking for a plain one.",
                        param: "output_format"
                    )
                )
                sentences.append("Plain, uncluttered background")
            } else {
                sentences.append("Isolated subject on a transparent background")
                background = .transparent
            }
        case nil: break
        }
        if !brief.avoid.isEmpty { sentences.append("Avoid: " + brief.avoid.joined(separator: ", ")) }
        if let text = brief.text { sentences.append(text) }

        let prompt = sentences.map { $0.hasSuffix(".") ? $0 : $0 + "." }.joined(separator: " ")
        let length = prompt.unicodeScalars.count
        if length > caps.maxPromptLength {
            warnings.append(
                Warning(
                    code: "prompt_too_long",
                    message: "The compiled prompt has \(length) characters; \(caps.id) takes at most \(caps.maxPromptLength).",
                    param: param
                )
            )
        }
        return Compiled(prompt: prompt, size: size, background: background, warnings: warnings)
    }
}
