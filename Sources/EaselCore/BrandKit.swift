/// A team's look, applied to every brief that names it: palette words and colours, style words, default
/// constraints, words that must never appear, and a default model and quality.
public struct BrandKit: Sendable, Hashable {
    public var id: String
    public var name: String
    public var palette: [String] = []
    public var colors: [String] = []
    public var style: [String] = []
    public var constraints = Brief.Constraints()
    public var bannedWords: [String] = []
    public var defaultModel: String?
    public var defaultQuality: String?
    /// Checklist keys it adds or requires, and whether its images need approval before sharing or export.
    public var review = ReviewPolicy()

    public init(id: String, name: String) {
        self.id = id
        self.name = name
    }

    /// The kit's fields from a request body (`id` is the server's to give).
    public init(json value: JSONValue, id: String) throws(EaselError) {
        let fields = try value.members(
            known: ["name", "palette", "colors", "style", "constraints", "banned_words", "default_model", "default_quality", "review"],
            param: nil
        )
        let reader = FieldReader(fields: fields)
        let name = try reader.name()
        self.init(id: id, name: name)
        palette = try Brief.list(fields["palette"], param: "palette")
        style = try Brief.list(fields["style"], param: "style")
        bannedWords = try Brief.list(fields["banned_words"], param: "banned_words").map { $0.lowercased() }
        colors = try Brief.list(fields["colors"], param: "colors")
        for (index, color) in colors.enumerated() where HexColor(color) == nil {
            throw .invalidRequest("Invalid colour '\(color)' at colors[\(index)]: use #RRGGBB.", param: "colors[\(index)]")
        }
        colors = colors.compactMap { HexColor($0)?.description }
        if let value = fields["constraints"], value != .null { constraints = try Brief.Constraints(json: value, param: "constraints") }
        defaultModel = try reader.string("default_model")
        defaultQuality = try reader.string("default_quality")
        if let value = fields["review"], value != .null { review = try ReviewPolicy(json: value, param: "review") }
    }

    public var json: JSONValue {
        var object = baseJSON
        if !review.isEmpty { object["review"] = review.json }
        return .object(object)
    }

    private var baseJSON: [String: JSONValue] {
        [
            "object": "brand_kit",
            "id": .string(id),
            "name": .string(name),
            "palette": .array(palette.map(JSONValue.string)),
            "colors": .array(colors.map(JSONValue.string)),
            "style": .array(style.map(JSONValue.string)),
            "constraints": constraints.json,
            "banned_words": .array(bannedWords.map(JSONValue.string)),
            "default_model": defaultModel.map(JSONValue.string) ?? .null,
            "default_quality": defaultQuality.map(JSONValue.string) ?? .null,
        ]
    }

    /// The brief with the kit's look added after its own: its words first, the kit's after; constraints of
    /// both; banned words to avoid.
    public func apply(to brief: Brief) -> Brief {
        var styled = brief
        styled.style = Self.merged(brief.style, style)
        styled.palette = Self.merged(brief.palette, palette)
        styled.brandColors = Self.merged(brief.brandColors, colors)
        styled.constraints = brief.constraints.union(constraints)
        styled.avoid = Self.merged(brief.avoid, bannedWords)
        return styled
    }

    /// A banned word that appears in one of the brief's own fields, with the field's name.
    public func bannedWord(in brief: Brief) -> (word: String, param: String)? {
        for (param, value) in brief.textFields where !param.hasPrefix("avoid") {
            let lowered = value.lowercased()
            if let word = bannedWords.first(where: { lowered.contains($0) }) { return (word, param) }
        }
        return nil
    }

    static func merged(_ first: [String], _ second: [String]) -> [String] {
        var seen = Set(first.map { $0.lowercased() })
        return first + second.filter { seen.insert($0.lowercased()).inserted }
    }
}
