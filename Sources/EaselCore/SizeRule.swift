/// Which pixel sizes a model accepts.
public enum SizeRule: Sendable, Hashable {
    /// A fixed list, as for gpt-image-1.5 (1024x1024, 1536x1024, 1024x1536).
    case fixed([PixelSize])
    /// Any size inside bounds, as for gpt-image-2 (edges /16, ≤ 3840, ratio ≤ 3:1, pixel budget).
    case flexible(FlexibleSizeRule)

    /// Nil when `size` is allowed, else the reason it is not, phrased for a user.
    public func violation(for size: PixelSize) -> String? {
        switch self {
        case .fixed(let sizes):
            if sizes.contains(size) { return nil }
            let list = sizes.map { "'\($0)'" }.joined(separator: ", ")
            return "Invalid value: '\(size)'. Supported values are: \(list), and 'auto'."
        case .flexible(let rule):
            return rule.violation(for: size)
        }
    }

    /// The size `auto` resolves to.
    public var defaultSize: PixelSize {
        switch self {
        case .fixed(let sizes): sizes.first ?? PixelSize(width: 1024, height: 1024)
        case .flexible: PixelSize(width: 1024, height: 1024)
        }
    }

    public var largest: PixelSize {
        switch self {
        case .fixed(let sizes): sizes.max { $0.pixels < $1.pixels } ?? defaultSize
        case .flexible(let rule):
            rule.fit(aspectWidth: 1, aspectHeight: 1, targetPixels: rule.maxPixels ?? rule.maxEdge * rule.maxEdge)
        }
    }
}

public struct FlexibleSizeRule: Sendable, Hashable {
    public var multiple: Int
    public var minEdge: Int
    public var maxEdge: Int
    /// Longest edge over shortest edge, at most.
    public var maxAspectRatio: Double?
    public var minPixels: Int?
    public var maxPixels: Int?

    public init(multiple: Int, minEdge: Int, maxEdge: Int, maxAspectRatio: Double? = nil, minPixels: Int? = nil, maxPixels: Int? = nil) {
        self.multiple = multiple
        self.minEdge = minEdge
        self.maxEdge = maxEdge
        self.maxAspectRatio = maxAspectRatio
        self.minPixels = minPixels
        self.maxPixels = maxPixels
    }

    public func violation(for size: PixelSize) -> String? {
        let prefix = "Invalid size '\(size)'."
        if size.width % multiple != 0 || size.height % multiple != 0 {
            return "\(prefix) Both edges must be multiples of \(multiple), for example '\(nearestMultiples(size))'."
        }
        if size.shortEdge < minEdge {
            return "\(prefix) Each edge must be at least \(minEdge) pixels."
        }
        if size.longEdge > maxEdge {
            return "\(prefix) Each edge must be at most \(maxEdge) pixels."
        }
        if let ratio = maxAspectRatio, Double(size.longEdge) > Double(size.shortEdge) * ratio {
            return "\(prefix) The long edge may be at most \(formatRatio(ratio)) times the short edge."
        }
        if let minPixels, size.pixels < minPixels {
            return "\(prefix) The image must have at least \(minPixels) pixels in total."
        }
        if let maxPixels, size.pixels > maxPixels {
            return "\(prefix) The image may have at most \(maxPixels) pixels in total."
        }
        return nil
    }

    private func nearestMultiples(_ size: PixelSize) -> PixelSize {
        func round(_ value: Int) -> Int { Swift.max(multiple, (value + multiple / 2) / multiple * multiple) }
        return PixelSize(width: round(size.width), height: round(size.height))
    }

    private func formatRatio(_ ratio: Double) -> String {
        ratio.rounded() == ratio ? String(Int(ratio)) : String(ratio)
    }

    /// The valid size closest to an aspect ratio with about `targetPixels` pixels.
    public func fit(aspectWidth: Int, aspectHeight: Int, targetPixels: Int) -> PixelSize {
        var ratio = Double(aspectWidth) / Double(aspectHeight)
        if let maxRatio = maxAspectRatio {
            ratio = Swift.min(Swift.max(ratio, 1 / maxRatio), maxRatio)
        }
        var pixels = Double(targetPixels)
        if let maxPixels { pixels = Swift.min(pixels, Double(maxPixels)) }
        if let minPixels { pixels = Swift.max(pixels, Double(minPixels)) }
        var width = (pixels * ratio).squareRoot()
        var height = width / ratio
        // Keep both edges inside the edge limits while holding the ratio.
        let scaleDown = Swift.min(1, Double(maxEdge) / Swift.max(width, height))
        width *= scaleDown
        height *= scaleDown
        func snap(_ value: Double, roundingDown: Bool) -> Int {
            let steps = roundingDown ? (value / Double(multiple)).rounded(.down) : (value / Double(multiple)).rounded()
            return Swift.min(maxEdge, Swift.max(minEdge, Int(steps) * multiple))
        }
        var candidate = PixelSize(width: snap(width, roundingDown: false), height: snap(height, roundingDown: false))
        if violation(for: candidate) != nil {
            candidate = PixelSize(width: snap(width, roundingDown: true), height: snap(height, roundingDown: true))
        }
        return candidate
    }
}
