/// A brief in JSON, as the API takes and gives it:
///
/// ```json
/// {"subject": "a ceramic mug", "use_case": "product hero", "scene": "on an oak desk by a window",
///  "style": ["photorealistic"], "palette": "bright-vivid", "brand_colors": ["#0A7E8C"], "format": "16:9",
///  "headline": "Spring sale", "constraints": {"no_text": false, "headline_space": "top", "background": "plain"},
///  "avoid": ["clutter"], "text": "soft morning light"}
/// ```
///
/// Every error names its field under `param` (`brief.constraints.headline_space`).
extension Brief {
    public init(json value: JSONValue, param: String = "brief") throws(EaselError) {
        let fields = try value.members(
            known: ["subject", "use_case", "scene", "style", "palette", "brand_colors", "format", "headline", "constraints", "avoid", "text"],
            param: param
        )
        let reader = FieldReader(fields: fields)
        func text(_ key: String) throws(EaselError) -> String? {
            do {
                return try reader.string(key).map { $0.trimmingWhitespace }.flatMap { $0.isEmpty ? nil : $0 }
            } catch {
                throw .invalidType("\(param).\(key)", expected: "a string", got: fields[key] ?? .null)
            }
        }
        guard let subject = try text("subject") else { throw .missing("\(param).subject") }
        self.init(subject: subject)
        useCase = try text("use_case")
        scene = try text("scene")
        format = try text("format")
        headline = try text("headline")
        self.text = try text("text")
        style = try Self.list(fields["style"], param: "\(param).style")
        palette = try Self.list(fields["palette"], param: "\(param).palette")
        avoid = try Self.list(fields["avoid"], param: "\(param).avoid")
        brandColors = try Self.list(fields["brand_colors"], param: "\(param).brand_colors")
        for (index, color) in brandColors.enumerated() where HexColor(color) == nil {
            throw .invalidRequest(
                "Invalid colour '\(color)' at \(param).brand_colors[\(index)]: use #RRGGBB.",
                param: "\(param).brand_colors[\(index)]"
            )
        }
        brandColors = brandColors.compactMap { HexColor($0)?.description }
        if let value = fields["constraints"], value != .null {
            constraints = try Constraints(json: value, param: "\(param).constraints")
        }
    }

    /// A string or a list of strings; empty entries are dropped.
    public static func list(_ value: JSONValue?, param: String) throws(EaselError) -> [String] {
        switch value {
        case nil, .null?: return []
        case .string(let text)?: return text.trimmingWhitespace.isEmpty ? [] : [text.trimmingWhitespace]
        case .array(let items)?:
            var out: [String] = []
            for (index, item) in items.enumerated() {
                guard case .string(let text) = item else { throw .invalidType("\(param)[\(index)]", expected: "a string", got: item) }
                if !text.trimmingWhitespace.isEmpty { out.append(text.trimmingWhitespace) }
            }
            return out
        case let other?:
            throw .invalidType(param, expected: "a string or a list of strings", got: other)
        }
    }

    public var json: JSONValue {
        var object: [String: JSONValue] = ["subject": .string(subject)]
        if let useCase { object["use_case"] = .string(useCase) }
        if let scene { object["scene"] = .string(scene) }
        if !style.isEmpty { object["style"] = .array(style.map(JSONValue.string)) }
        if !palette.isEmpty { object["palette"] = .array(palette.map(JSONValue.string)) }
        if !brandColors.isEmpty { object["brand_colors"] = .array(brandColors.map(JSONValue.string)) }
        if let format { object["format"] = .string(format) }
        if let headline { object["headline"] = .string(headline) }
        if constraints != Constraints() { object["constraints"] = constraints.json }
        if !avoid.isEmpty { object["avoid"] = .array(avoid.map(JSONValue.string)) }
        if let text { object["text"] = .string(text) }
        return .object(object)
    }
}

extension Brief.Constraints {
    public init(json value: JSONValue, param: String) throws(EaselError) {
        let fields = try value.members(
            known: ["no_text", "no_watermark", "no_logos", "no_people", "headline_space", "background"],
            param: param,
            what: "constraint"
        )
        self.init()
        let reader = FieldReader(fields: fields)
        func flag(_ key: String) throws(EaselError) -> Bool {
            do { return try reader.bool(key) ?? false } catch {
                throw .invalidType("\(param).\(key)", expected: "a boolean", got: fields[key] ?? .null)
            }
        }
        noText = try flag("no_text")
        noWatermark = try flag("no_watermark")
        noLogos = try flag("no_logos")
        noPeople = try flag("no_people")
        if let edge = try? reader.string("headline_space") {
            guard let parsed = Edge(rawValue: edge) else {
                throw .invalidRequest(
                    "Invalid headline_space '\(edge)'. Use top, bottom, left or right.",
                    param: "\(param).headline_space"
                )
            }
            headlineSpace = parsed
        } else if let value = fields["headline_space"], value != .null {
            throw .invalidType("\(param).headline_space", expected: "a string", got: value)
        }
        if let background = try? reader.string("background") {
            guard let parsed = Background(rawValue: background) else {
                throw .invalidRequest("Invalid background '\(background)'. Use plain or transparent.", param: "\(param).background")
            }
            self.background = parsed
        } else if let value = fields["background"], value != .null {
            throw .invalidType("\(param).background", expected: "a string", got: value)
        }
    }

    public var json: JSONValue {
        var object: [String: JSONValue] = [:]
        if noText { object["no_text"] = true }
        if noWatermark { object["no_watermark"] = true }
        if noLogos { object["no_logos"] = true }
        if noPeople { object["no_people"] = true }
        if let headlineSpace { object["headline_space"] = .string(headlineSpace.rawValue) }
        if let background { object["background"] = .string(background.rawValue) }
        return .object(object)
    }
}

/// A colour as `#RRGGBB` (also read from `RRGGBB` and `#RGB`).
public struct HexColor: Sendable, Hashable, CustomStringConvertible {
    public let value: UInt32

    public init?(_ text: String) {
        var digits = Substring(text.trimmingWhitespace)
        if digits.hasPrefix("#") { digits = digits.dropFirst() }
        if digits.count == 3 { digits = Substring(digits.map { "\($0)\($0)" }.joined()) }
        guard digits.count == 6, let value = UInt32(digits, radix: 16) else { return nil }
        self.value = value
    }

    public var description: String {
        let hex = String(value, radix: 16, uppercase: true)
        return "#" + String(repeating: "0", count: 6 - hex.count) + hex
    }
}
