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
              let w = Int(parts[0]), let h = Int(parts[1]), (1...100).contains(w), (1...100).contains(h) else { return nil }
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
