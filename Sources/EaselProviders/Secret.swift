/// A credential. It prints as `[redacted]` everywhere (logs, errors, debug dumps); only `reveal()`, used
/// where the header is built, gives the value.
public struct Secret: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible {
    private let value: String

    public init(_ value: String) {
        self.value = value
    }

    public func reveal() -> String { value }
    public var description: String { "[redacted]" }
    public var debugDescription: String { "[redacted]" }
    public var isEmpty: Bool { value.isEmpty }

    /// `text` with every occurrence of the secret (and of its first and last characters' usual abbreviated
    /// form, `sk-…abcd`) removed, for messages that came from elsewhere.
    public func scrub(_ text: String) -> String {
        guard value.count >= 8 else { return value.isEmpty ? text : text.replacingOccurrences(of: value, with: "[redacted]") }
        var out = text.replacingOccurrences(of: value, with: "[redacted]")
        let tail = String(value.suffix(4))
        // Providers echo keys partly masked ("sk-proj-****abcd"): drop the tail they reveal too.
        if let range = out.range(of: "*" + tail) { out.replaceSubrange(range, with: "*[redacted]") }
        return out
    }
}
