/// A structured description of an image: the five dimensions (subject, use case and scene, style, palette,
/// format) plus constraints and free text. The same brief always compiles to the same prompt
/// (`BriefCompiler`), so a team's images stop drifting in style.
public struct Brief: Sendable, Hashable {
    public var subject: String
    /// The job the image does (`product hero`, `blog banner`…), worded into the prompt.
    public var useCase: String?
    public var scene: String?
    /// Style presets (`photorealistic`, `flat`…) or free words, in order.
    public var style: [String] = []
    /// Palette presets (`bright-vivid`…) or free words, in order.
    public var palette: [String] = []
    /// Brand colours as `#RRGGBB`.
    public var brandColors: [String] = []
    /// A format preset (`horizontal-banner`…), an aspect ratio (`16:9`) or a size (`1536x1024`).
    public var format: String?
    /// Text the image should show, as written (a headline).
    public var headline: String?
    public var constraints = Constraints()
    /// Things to leave out, in the user's words.
    public var avoid: [String] = []
    /// Anything else, appended as it is.
    public var text: String?

    public init(subject: String) {
        self.subject = subject
    }

    public struct Constraints: Sendable, Hashable {
        public var noText = false
        public var noWatermark = false
        public var noLogos = false
        public var noPeople = false
        /// Keep this edge calm and empty for copy laid over the image.
        public var headlineSpace: Edge?
        public var background: Background?

        public init() {}

        public enum Edge: String, Sendable, Hashable, CaseIterable {
            case top, bottom, left, right
        }

        public enum Background: String, Sendable, Hashable, CaseIterable {
            case plain, transparent
        }

        /// Both sets of constraints at once (a brand kit's defaults with a brief's own).
        public func union(_ other: Constraints) -> Constraints {
            var merged = self
            merged.noText = noText || other.noText
            merged.noWatermark = noWatermark || other.noWatermark
            merged.noLogos = noLogos || other.noLogos
            merged.noPeople = noPeople || other.noPeople
            merged.headlineSpace = headlineSpace ?? other.headlineSpace
            merged.background = background ?? other.background
            return merged
        }
    }

    /// Every free-text field, with a name for errors (`brief.subject`…), in a fixed order.
    public var textFields: [(param: String, value: String)] {
        var fields: [(String, String)] = [("subject", subject)]
        if let useCase { fields.append(("use_case", useCase)) }
        if let scene { fields.append(("scene", scene)) }
        fields += style.enumerated().map { ("style[\($0.offset)]", $0.element) }
        fields += palette.enumerated().map { ("palette[\($0.offset)]", $0.element) }
        if let format { fields.append(("format", format)) }
        if let headline { fields.append(("headline", headline)) }
        fields += avoid.enumerated().map { ("avoid[\($0.offset)]", $0.element) }
        if let text { fields.append(("text", text)) }
        return fields
    }

    /// The same brief with every free-text field passed through `transform` (variables, variants).
    public func mapText(_ transform: (_ param: String, _ value: String) throws(EaselError) -> String) throws(EaselError) -> Brief {
        var copy = self
        copy.subject = try transform("subject", subject)
        if let useCase { copy.useCase = try transform("use_case", useCase) }
        if let scene { copy.scene = try transform("scene", scene) }
        for index in style.indices { copy.style[index] = try transform("style[\(index)]", style[index]) }
        for index in palette.indices { copy.palette[index] = try transform("palette[\(index)]", palette[index]) }
        if let format { copy.format = try transform("format", format) }
        if let headline { copy.headline = try transform("headline", headline) }
        for index in avoid.indices { copy.avoid[index] = try transform("avoid[\(index)]", avoid[index]) }
        if let text { copy.text = try transform("text", text) }
        return copy
    }
}
