/// Where an asset stands in review. Any state may follow any other (an approval can be withdrawn), except
/// that nothing goes back to `unreviewed`: every change is kept as an event.
public enum ReviewStatus: String, Sendable, Hashable, CaseIterable {
    case unreviewed
    case inReview = "in_review"
    case approved
    case rejected
    case changesRequested = "changes_requested"
}

/// One answer of the review checklist.
public struct ChecklistEntry: Sendable, Hashable {
    public enum Result: String, Sendable, Hashable, CaseIterable {
        case pass
        case fail
        case na
    }

    public var key: String
    public var result: Result
    public var note: String?

    public init(key: String, result: Result, note: String? = nil) {
        self.key = key
        self.result = result
        self.note = note
    }

    public var json: JSONValue {
        .object(["key": .string(key), "result": .string(result.rawValue), "note": note.map(JSONValue.string) ?? .null])
    }
}

/// Which checklist keys a review may answer and which must be answered (pass or n/a) to approve: the seven
/// of the product workflow, plus what the asset's template adds.
public struct ReviewPolicy: Sendable, Hashable {
    public static let standardKeys = [
        "brand_fit", "text_accuracy", "product_accuracy", "composition", "reuse_fit", "repeatability", "cost",
    ]

    /// Keys beyond the standard seven.
    public var extraKeys: [String] = []
    /// Keys that must pass (or be n/a) before an approval.
    public var requiredKeys: [String] = []
    /// Assets from this template must be approved before they are shared or exported.
    public var approvalRequired = false

    public init(extraKeys: [String] = [], requiredKeys: [String] = [], approvalRequired: Bool = false) {
        self.extraKeys = extraKeys
        self.requiredKeys = requiredKeys
        self.approvalRequired = approvalRequired
    }

    public var keys: [String] { Self.standardKeys + extraKeys.filter { !Self.standardKeys.contains($0) } }

    /// Both policies at once (a template's and its brand kit's): every key, every requirement.
    public func union(_ other: ReviewPolicy) -> ReviewPolicy {
        ReviewPolicy(
            extraKeys: extraKeys + other.extraKeys.filter { !extraKeys.contains($0) },
            requiredKeys: requiredKeys + other.requiredKeys.filter { !requiredKeys.contains($0) },
            approvalRequired: approvalRequired || other.approvalRequired
        )
    }

    public var isEmpty: Bool { extraKeys.isEmpty && requiredKeys.isEmpty && !approvalRequired }

    /// `{"keys": [...], "required": [...], "approval_required": bool}` of a template.
    public init(json value: JSONValue, param: String) throws(EaselError) {
        let fields = try value.members(known: ["keys", "required", "approval_required"], param: param, what: "review setting")
        let reader = FieldReader(fields: fields)
        extraKeys = try Brief.list(fields["keys"], param: "\(param).keys")
        requiredKeys = try Brief.list(fields["required"], param: "\(param).required")
        approvalRequired = try reader.bool("approval_required") ?? false
        for (index, key) in (extraKeys + requiredKeys).enumerated() where !Template.isIdentifier(key) {
            throw .invalidRequest("Invalid checklist key '\(key)': use letters, digits and _.", param: "\(param).keys[\(index)]")
        }
        for key in requiredKeys where !keys.contains(key) {
            throw .invalidRequest("Required checklist key '\(key)' is neither a standard key nor one of 'keys'.", param: "\(param).required")
        }
    }

    public var json: JSONValue {
        .object([
            "keys": .array(extraKeys.map(JSONValue.string)), "required": .array(requiredKeys.map(JSONValue.string)),
            "approval_required": .bool(approvalRequired),
        ])
    }

    /// The checklist of a review request, each key known, each once.
    public func checklist(_ value: JSONValue?) throws(EaselError) -> [ChecklistEntry] {
        guard let value, value != .null else { return [] }
        guard case .array(let items) = value else { throw .invalidType("checklist", expected: "a list of {key, result, note}", got: value) }
        var seen: Set<String> = []
        var entries: [ChecklistEntry] = []
        for (index, item) in items.enumerated() {
            let param = "checklist[\(index)]"
            let fields = try item.members(known: ["key", "result", "note"], param: param, what: "checklist field")
            let reader = FieldReader(fields: fields)
            guard let key = try reader.string("key") else { throw .missing("\(param).key") }
            guard keys.contains(key) else {
                throw .invalidRequest(
                    "Unknown checklist key '\(key)'. Known keys: \(keys.joined(separator: ", ")).",
                    param: "\(param).key",
                    code: "unknown_checklist_key"
                )
            }
            guard seen.insert(key).inserted else { throw .invalidRequest("Checklist key '\(key)' is given twice.", param: "\(param).key") }
            guard let resultText = try reader.string("result") else { throw .missing("\(param).result") }
            guard let result = ChecklistEntry.Result(rawValue: resultText) else {
                throw .invalidRequest("Invalid result '\(resultText)'. Use pass, fail or na.", param: "\(param).result")
            }
            entries.append(ChecklistEntry(key: key, result: result, note: try reader.string("note")))
        }
        return entries
    }

    /// Why `checklist` cannot approve, if it cannot: a failed key, or a required one not passed.
    public func refusal(toApprove checklist: [ChecklistEntry]) -> EaselError? {
        if let failed = checklist.first(where: { $0.result == .fail }) {
            return .invalidRequest(
                "The checklist fails '\(failed.key)'; request changes or reject instead of approving.",
                param: "checklist",
                code: "checklist_failed"
            )
        }
        let answered = Set(checklist.map(\.key))
        if let missing = requiredKeys.first(where: { !answered.contains($0) }) {
            return .invalidRequest("Checklist key '\(missing)' is required to approve.", param: "checklist", code: "checklist_incomplete")
        }
        return nil
    }
}

/// Alt text, and where it came from: a person's is never replaced by a suggestion.
public enum AltTextSource: String, Sendable, Hashable {
    case human
    case suggested
}

public enum AltText {
    public static let maxLength = 1000

    /// A description built from the brief (subject, scene, use case), or from the prompt when there is none.
    public static func suggest(brief: Brief?, variables: [String: String], prompt: String) -> String {
        func fill(_ text: String) -> String {
            var out = text
            for (name, value) in variables { out = out.replacingOccurrences(of: "{\(name)}", with: value) }
            return out.trimmingWhitespace
        }
        var parts: [String] = []
        if let brief {
            parts.append(fill(brief.subject))
            if let scene = brief.scene.map(fill), !scene.isEmpty { parts.append(scene) }
            if let useCase = brief.useCase.map(fill), !useCase.isEmpty { parts.append("for \(useCase)") }
        }
        var text = parts.filter { !$0.isEmpty }.joined(separator: ", ")
        if text.isEmpty { text = prompt.trimmingWhitespace }
        if text.count > 250 { text = String(text.prefix(247)) + "…" }
        guard let first = text.first else { return "An image." }
        return first.uppercased() + text.dropFirst() + (text.hasSuffix(".") || text.hasSuffix("…") ? "" : ".")
    }
}
