/// A pixel size, `WIDTHxHEIGHT`.
public struct PixelSize: Sendable, Hashable, Codable, CustomStringConvertible {
    public var width: Int
    public var height: Int

    public init(width: Int, height: Int) {
        self.width = width
        self.height = height
    }

    public var description: String { "\(width)x\(height)" }
    public var pixels: Int { width * height }
    public var longEdge: Int { max(width, height) }
    public var shortEdge: Int { min(width, height) }

    /// Parses `1536x1024`. Returns nil for anything that is not two positive decimal integers around an `x`.
    public static func parse(_ text: String) -> PixelSize? {
        let parts = text.lowercased().split(separator: "x", omittingEmptySubsequences: false)
        guard parts.count == 2,
            parts.allSatisfy({ !$0.isEmpty && $0.count <= 6 && $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) }),
            let width = Int(parts[0]), let height = Int(parts[1]), width > 0, height > 0
        else { return nil }
        return PixelSize(width: width, height: height)
    }
}

/// The `size` field: `auto` or an explicit pixel size.
public enum SizeSpec: Sendable, Hashable, Codable, CustomStringConvertible {
    case auto
    case fixed(PixelSize)

    public var description: String {
        switch self {
        case .auto: "auto"
        case .fixed(let size): size.description
        }
    }

    public static func parse(_ text: String) -> SizeSpec? {
        if text == "auto" { return .auto }
        return PixelSize.parse(text).map(SizeSpec.fixed)
    }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let value = SizeSpec.parse(text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "bad size \(text)"))
        }
        self = value
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
