/// An sRGB colour with components in 0...1.
public struct RGB: Sendable, Hashable {
    public var r: Double
    public var g: Double
    public var b: Double

    public init(_ r: Double, _ g: Double, _ b: Double) {
        self.r = r
        self.g = g
        self.b = b
    }

    public init(hex: UInt32) {
        self.init(Double((hex >> 16) & 0xFF) / 255, Double((hex >> 8) & 0xFF) / 255, Double(hex & 0xFF) / 255)
    }

    public func mixed(with other: RGB, _ t: Double) -> RGB {
        RGB(r + (other.r - r) * t, g + (other.g - g) * t, b + (other.b - b) * t)
    }

    /// Scales lightness: < 1 darkens, > 1 lightens toward white.
    public func lightness(_ factor: Double) -> RGB {
        factor <= 1 ? RGB(r * factor, g * factor, b * factor) : mixed(with: RGB(1, 1, 1), min(1, factor - 1))
    }

    /// Moves toward grey (factor < 1) or away from it (factor > 1).
    public func saturation(_ factor: Double) -> RGB {
        let grey = luminance
        func clamp(_ v: Double) -> Double { min(1, max(0, v)) }
        return RGB(clamp(grey + (r - grey) * factor), clamp(grey + (g - grey) * factor), clamp(grey + (b - grey) * factor))
    }

    /// Relative luminance (Rec. 709 weights), used to pick readable caption colours.
    public var luminance: Double { 0.2126 * r + 0.7152 * g + 0.0722 * b }

    public var bytes: (UInt8, UInt8, UInt8) {
        func byte(_ v: Double) -> UInt8 { UInt8(max(0, min(255, (v * 255).rounded()))) }
        return (byte(r), byte(g), byte(b))
    }
}
