import Foundation

/// An aspect ratio such as `16:9`, as asked for by multi-aspect sets.
public struct AspectRatio: Sendable, Hashable, CustomStringConvertible {
    public let width: Int
    public let height: Int

    public init?(width: Int, height: Int) {
        guard width > 0, height > 0 else { return nil }
        self.width = width
        self.height = height
    }

    public var description: String { "\(width):\(height)" }
    public var value: Double { Double(width) / Double(height) }

    /// Parses `W:H` with whole numbers from 1 to 100 (`16:9`, `2:3`, `1:1`).
    public static func parse(_ text: String) -> AspectRatio? {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, parts.allSatisfy({ !$0.isEmpty && $0.count <= 3 && $0.allSatisfy { $0.isASCII && $0.isNumber } }),
            let w = Int(parts[0]), let h = Int(parts[1]), (1...100).contains(w), (1...100).contains(h)
        else { return nil }
        return AspectRatio(width: w, height: h)
    }
}

extension SizeRule {
    /// The valid size closest to `aspect`, with about `targetPixels` pixels where the rule lets sizes vary.
    /// Fixed lists pick the entry whose ratio is nearest on a log scale (so 16:9 and 9:16 are judged alike),
    /// then the one nearest the target area.
    public func size(for aspect: AspectRatio, targetPixels: Int) -> PixelSize {
        switch self {
        case .flexible(let rule):
            return rule.fit(aspectWidth: aspect.width, aspectHeight: aspect.height, targetPixels: targetPixels)
        case .fixed(let sizes):
            let goal = log(aspect.value)
            func distance(_ size: PixelSize) -> (Double, Double) {
                let ratio = abs(log(Double(size.width) / Double(size.height)) - goal)
                // Ratios within rounding of each other count as equal.
                return ((ratio * 1000).rounded() / 1000, abs(log(Double(size.pixels) / Double(max(1, targetPixels)))))
            }
            return sizes.min { distance($0) < distance($1) } ?? defaultSize
        }
    }

    /// The size an edit renders at when asked for `auto`: the input's own size when the rule allows it
    /// (so unmasked pixels can stay where they were), else the closest valid size of the input's shape.
    public func size(matching input: PixelSize) -> PixelSize {
        if violation(for: input) == nil { return input }
        guard let aspect = AspectRatio(width: input.width, height: input.height) else { return defaultSize }
        return size(for: aspect, targetPixels: input.pixels)
    }
}

/// A multi-aspect set: one brief, one job per aspect, each at the valid size of the model closest to that
/// aspect with about as many pixels as the brief's size (or 1024² when it is `auto`).
public struct AspectSetPlan: Sendable {
    public struct Member: Sendable {
        public var aspect: AspectRatio
        public var request: ImageRequest
    }

    public var members: [Member]

    /// Plans a set from a generation body with `aspects: ["1:1", "16:9", …]` (1 to 10, no repeats). Every
    /// field is checked once as given, so errors name their own param, then once per aspect.
    public init(fields: [String: JSONValue], aspects: JSONValue, parser: GenerationRequestParser, seed: UInt64) throws(EaselError) {
        guard case .array(let list) = aspects, !list.isEmpty else {
            throw .invalidRequest("'aspects' must be a non-empty list such as [\"1:1\", \"16:9\"].", param: "aspects")
        }
        guard list.count <= 10 else {
            throw .invalidRequest("At most 10 aspects per set.", param: "aspects", code: "array_above_max_length")
        }
        let caps = try parser.capabilities(fields)
        let target = try parser.parse(.object(fields), seed: seed).resolvedSize.pixels
        var members: [Member] = []
        for (index, item) in list.enumerated() {
            guard case .string(let text) = item, let aspect = AspectRatio.parse(text) else {
                throw .invalidRequest("Invalid aspect at aspects[\(index)]: expected 'W:H' such as '16:9'.", param: "aspects[\(index)]")
            }
            guard !members.contains(where: { $0.aspect == aspect }) else {
                throw .invalidRequest("Aspect '\(text)' is listed twice.", param: "aspects[\(index)]")
            }
            var single = fields
            single["size"] = .string(caps.sizes.size(for: aspect, targetPixels: target).description)
            members.append(Member(aspect: aspect, request: try parser.parse(.object(single), seed: seed)))
        }
        self.members = members
    }
}
