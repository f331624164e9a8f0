/// What changed between two JSON documents, field by field (`brief.subject`, `variables[1].default`), for
/// comparing template versions.
public enum JSONDiff {
    public struct Change: Sendable, Equatable {
        public var path: String
        public var from: JSONValue?
        public var to: JSONValue?

        public var json: JSONValue { .object(["path": .string(path), "from": from ?? .null, "to": to ?? .null]) }
    }

    public static func changes(from old: JSONValue, to new: JSONValue, path: String = "") -> [Change] {
        switch (old, new) {
        case (.object(let a), .object(let b)):
            return Set(a.keys).union(b.keys).sorted().flatMap { key in
                let child = path.isEmpty ? key : "\(path).\(key)"
                switch (a[key], b[key]) {
                case (let x?, let y?): return changes(from: x, to: y, path: child)
                case (let x, let y): return [Change(path: child, from: x, to: y)]
                }
            }
        case (.array(let a), .array(let b)) where a.count == b.count:
            return zip(a, b).enumerated().flatMap { changes(from: $0.element.0, to: $0.element.1, path: "\(path)[\($0.offset)]") }
        default:
            return old == new ? [] : [Change(path: path, from: old, to: new)]
        }
    }
}
