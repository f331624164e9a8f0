/// A job type's brief with `{variables}` (`{product}`, `{headline}`) and its defaults (model, quality,
/// format, n, brand kit). Users make their own; every change is a new immutable version, and every job made
/// from one records `id@version` and the variables used.
public struct Template: Sendable, Hashable {
    public struct Variable: Sendable, Hashable {
        public var name: String
        public var required: Bool
        public var defaultValue: String?
        public var help: String?

        public init(name: String, required: Bool = true, defaultValue: String? = nil, help: String? = nil) {
            self.name = name
            self.required = required
            self.defaultValue = defaultValue
            self.help = help
        }
    }

    public struct Defaults: Sendable, Hashable {
        public var model: String?
        public var quality: String?
        public var outputFormat: String?
        public var n: Int?
        public var brandKit: String?
        /// Jobs from this template reuse an identical earlier image (the request cache).
        public var cache = false

        public init() {}
    }

    public var id: String
    public var name: String
    public var description: String
    /// The kind of work (`blog-banner`, `product-hero`…), for listing and the brief's use case.
    public var jobType: String
    public var brief: Brief
    public var variables: [Variable]
    public var defaults = Defaults()
    /// What a review of its images checks, and whether approval comes before sharing or export.
    public var review = ReviewPolicy()
    /// An approved image made from it (set by save-as-template).
    public var exampleAssetID: String?
    public var version = 1
    /// The owner; nil for built-in templates and those an admin shares with everyone.
    public var ownerID: String?
    public var builtIn = false

    public init(id: String, name: String, description: String, jobType: String, brief: Brief, variables: [Variable]) {
        self.id = id
        self.name = name
        self.description = description
        self.jobType = jobType
        self.brief = brief
        self.variables = variables
    }

    /// `id@version` as jobs and assets record it.
    public var reference: String { "\(id)@\(version)" }

    /// The names in `{name}` placeholders of the brief's text, in order of first use.
    public static func placeholders(in brief: Brief) -> [String] {
        var names: [String] = []
        for (_, text) in brief.textFields {
            for name in placeholders(in: text) where !names.contains(name) { names.append(name) }
        }
        return names
    }

    /// `{name}` where name is a variable identifier (letters, digits, `_`, starting with a letter or `_`).
    static func placeholders(in text: String) -> [String] {
        var names: [String] = []
        var index = text.startIndex
        while let open = text[index...].firstIndex(of: "{") {
            guard let close = text[open...].firstIndex(of: "}") else { break }
            let name = String(text[text.index(after: open)..<close])
            if isIdentifier(name) { names.append(name) }
            index = text.index(after: open)
        }
        return names
    }

    static func isIdentifier(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, first == "_" || (first.isASCII && first.properties.isAlphabetic) else { return false }
        return name.unicodeScalars.allSatisfy { $0 == "_" || ($0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0))) }
    }

    /// Checks that every placeholder is a declared variable and names are unique.
    public func validate() throws(EaselError) {
        var seen: Set<String> = []
        for (index, variable) in variables.enumerated() {
            guard Self.isIdentifier(variable.name) else {
                throw .invalidRequest(
                    "Invalid variable name '\(variable.name)': use letters, digits and _ (starting with a letter).",
                    param: "variables[\(index)].name"
                )
            }
            guard seen.insert(variable.name).inserted else {
                throw .invalidRequest("Variable '\(variable.name)' is declared twice.", param: "variables[\(index)].name")
            }
        }
        for (param, text) in brief.textFields {
            for name in Self.placeholders(in: text) where !seen.contains(name) {
                throw .invalidRequest(
                    "The brief uses {\(name)} but the template declares no variable '\(name)'.",
                    param: "brief.\(param)",
                    code: "unknown_variable"
                )
            }
        }
    }

    /// The brief with its variables filled: each placeholder gets the value given, else its default. A
    /// required variable without either, or a value for a variable the template does not have, is a 400.
    public func fill(_ values: [String: String], param: String = "variables") throws(EaselError) -> Brief {
        let declared = Set(variables.map(\.name))
        if let unknown = values.keys.sorted().first(where: { !declared.contains($0) }) {
            let known = variables.map(\.name).joined(separator: ", ")
            throw .invalidRequest(
                "Template '\(id)' has no variable '\(unknown)'. Its variables: \(known.isEmpty ? "none" : known).",
                param: "\(param).\(unknown)",
                code: "unknown_variable"
            )
        }
        var resolved: [String: String] = [:]
        for variable in variables {
            if let value = values[variable.name] {
                resolved[variable.name] = value
            } else if let fallback = variable.defaultValue {
                resolved[variable.name] = fallback
            } else if variable.required {
                throw .invalidRequest(
                    "Template '\(id)' needs the variable '\(variable.name)'\(variable.help.map { " (\($0))" } ?? "").",
                    param: "\(param).\(variable.name)",
                    code: "missing_required_parameter"
                )
            } else {
                resolved[variable.name] = ""
            }
        }
        return try brief.mapText { _, text throws(EaselError) in Self.substitute(text, resolved) }.droppingEmptyOptionals()
    }

    static func substitute(_ text: String, _ values: [String: String]) -> String {
        var out = ""
        var index = text.startIndex
        while index < text.endIndex {
            if text[index] == "{", let close = text[index...].firstIndex(of: "}") {
                let name = String(text[text.index(after: index)..<close])
                if let value = values[name] {
                    out += value
                    index = text.index(after: close)
                    continue
                }
            }
            out.append(text[index])
            index = text.index(after: index)
        }
        return out
    }
}

extension Brief {
    /// Optional fields a blank variable emptied are dropped (a headline of "" means none).
    func droppingEmptyOptionals() -> Brief {
        var copy = self
        func blank(_ text: String?) -> Bool { text.map { $0.trimmingWhitespace.isEmpty } ?? false }
        if blank(useCase) { copy.useCase = nil }
        if blank(scene) { copy.scene = nil }
        if blank(format) { copy.format = nil }
        if blank(headline) { copy.headline = nil }
        if blank(text) { copy.text = nil }
        copy.style = style.filter { !$0.trimmingWhitespace.isEmpty }
        copy.palette = palette.filter { !$0.trimmingWhitespace.isEmpty }
        copy.avoid = avoid.filter { !$0.trimmingWhitespace.isEmpty }
        return copy
    }
}
