/// Templates in JSON: the body of `POST /api/templates` and `PUT /api/templates/{id}`, and what the API
/// answers. Without `variables`, every `{placeholder}` of the brief becomes a required variable.
extension Template {
    public init(json value: JSONValue, id: String) throws(EaselError) {
        let fields = try value.members(
            known: ["name", "description", "job_type", "brief", "variables", "defaults", "review", "example_asset", "shared", "note"],
            param: nil
        )
        let reader = FieldReader(fields: fields)
        let name = try reader.name()
        guard let briefValue = fields["brief"], briefValue != .null else { throw .missing("brief") }
        let brief = try Brief(json: briefValue)
        let jobType = try reader.string("job_type")?.trimmingWhitespace ?? "custom"
        var variables: [Variable] = []
        if let list = fields["variables"], list != .null {
            guard case .array(let items) = list else { throw .invalidType("variables", expected: "a list", got: list) }
            for (index, item) in items.enumerated() {
                let param = "variables[\(index)]"
                switch item {
                case .string(let name): variables.append(Variable(name: name))
                case .object(let object):
                    let fields = FieldReader(fields: object)
                    guard let name = try fields.string("name") else { throw .missing("\(param).name") }
                    let fallback = try fields.string("default")
                    variables.append(
                        Variable(
                            name: name,
                            required: try fields.bool("required") ?? (fallback == nil),
                            defaultValue: fallback,
                            help: try fields.string("help")
                        )
                    )
                default: throw .invalidType(param, expected: "a name or {name, required, default, help}", got: item)
                }
            }
        } else {
            variables = Self.placeholders(in: brief).map { Variable(name: $0) }
        }
        self.init(id: id, name: name, description: try reader.string("description") ?? "", jobType: jobType, brief: brief, variables: variables)
        if let value = fields["defaults"], value != .null { defaults = try Defaults(json: value) }
        if let value = fields["review"], value != .null { review = try ReviewPolicy(json: value, param: "review") }
        exampleAssetID = try reader.string("example_asset")
        try validate()
    }

    public static func variablesJSON(_ variables: [Variable]) -> JSONValue {
        .array(
            variables.map { variable in
                .object([
                    "name": .string(variable.name), "required": .bool(variable.required),
                    "default": variable.defaultValue.map(JSONValue.string) ?? .null, "help": variable.help.map(JSONValue.string) ?? .null,
                ])
            }
        )
    }

    /// The fields a version stores (what a diff compares); review settings and the example only when set.
    public var body: JSONValue {
        var object = baseBody
        if !review.isEmpty { object["review"] = review.json }
        if let exampleAssetID { object["example_asset"] = .string(exampleAssetID) }
        return .object(object)
    }

    private var baseBody: [String: JSONValue] {
        [
            "name": .string(name),
            "description": .string(description),
            "job_type": .string(jobType),
            "brief": brief.json,
            "variables": Self.variablesJSON(variables),
            "defaults": defaults.json,
        ]
    }

    public var json: JSONValue {
        var object = body.objectValue ?? [:]
        object["object"] = "template"
        object["id"] = .string(id)
        object["version"] = .int(version)
        object["reference"] = .string(reference)
        object["built_in"] = .bool(builtIn)
        object["shared"] = .bool(ownerID == nil)
        return .object(object)
    }
}

extension Template.Defaults {
    public init(json value: JSONValue) throws(EaselError) {
        let fields = try value.members(known: ["model", "quality", "output_format", "n", "brand_kit", "cache"], param: "defaults", what: "default")
        self.init()
        let reader = FieldReader(fields: fields)
        do {
            model = try reader.string("model")
            quality = try reader.string("quality")
            outputFormat = try reader.string("output_format")
            n = try reader.integer("n")
            brandKit = try reader.string("brand_kit")
        } catch {
            var scoped = error
            scoped.param = error.param.map { "defaults.\($0)" }
            throw scoped
        }
        if let n, !(1...10).contains(n) { throw .invalidRequest("'defaults.n' must be between 1 and 10.", param: "defaults.n") }
        if let mode = try? reader.string("cache") {
            guard let parsed = CacheMode(rawValue: mode) else {
                throw .invalidRequest("Invalid cache '\(mode)'. Use reuse or off.", param: "defaults.cache")
            }
            cache = parsed == .reuse
        }
    }

    public var json: JSONValue {
        .object([
            "model": model.map(JSONValue.string) ?? .null,
            "quality": quality.map(JSONValue.string) ?? .null,
            "output_format": outputFormat.map(JSONValue.string) ?? .null,
            "n": n.map { .int($0) } ?? .null,
            "brand_kit": brandKit.map(JSONValue.string) ?? .null,
            "cache": .string(cache ? CacheMode.reuse.rawValue : CacheMode.off.rawValue),
        ])
    }

    /// These defaults as request fields, under whatever the request gave itself.
    public func fill(_ fields: inout [String: JSONValue]) {
        if fields["model"] == nil, let model { fields["model"] = .string(model) }
        if fields["quality"] == nil, let quality { fields["quality"] = .string(quality) }
        if fields["output_format"] == nil, let outputFormat { fields["output_format"] = .string(outputFormat) }
        if fields["n"] == nil, let n { fields["n"] = .int(n) }
    }
}

/// Whether a request may be answered with an identical earlier image (`Easel-Cache: reuse`).
public enum CacheMode: String, Sendable, Hashable {
    case reuse
    case off
}
