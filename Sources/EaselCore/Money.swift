/// Money is integer micro-dollars (1 USD = 1,000,000) everywhere: no floating point touches a balance.
public enum Money {
    public static let microsPerDollar: Int64 = 1_000_000
    /// The most one credit grant may add or take away: $1,000,000,000.
    public static let maxGrantMicros: Int64 = 1_000_000_000 * microsPerDollar
    /// A balance stays within ±$1,000,000,000,000, far from where 64-bit sums overflow.
    public static let maxBalanceMicros: Int64 = 1_000_000_000_000 * microsPerDollar

    /// `53000` → `"0.053000"`; negative amounts keep their sign.
    public static func usd(_ micros: Int64) -> String {
        let sign = micros < 0 ? "-" : ""
        let magnitude = micros.magnitude
        let whole = magnitude / 1_000_000
        let fraction = magnitude % 1_000_000
        let digits = String(fraction)
        return "\(sign)\(whole).\(String(repeating: "0", count: 6 - digits.count))\(digits)"
    }

    /// Parses a decimal dollar amount (`"0.04"`, `"12"`, `"1.5"`) exactly, up to six decimals.
    public static func parseUSD(_ text: String) -> Int64? {
        var rest = Substring(text.trimmingWhitespace)
        var negative = false
        if rest.first == "-" {
            negative = true
            rest = rest.dropFirst()
        }
        let parts = rest.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        guard let wholeText = parts.first, !wholeText.isEmpty || parts.count == 2,
            wholeText.allSatisfy({ $0.isASCII && $0.isNumber }), wholeText.count <= 12
        else { return nil }
        let whole = Int64(wholeText.isEmpty ? "0" : String(wholeText)) ?? 0
        var fraction: Int64 = 0
        if parts.count == 2 {
            let digits = parts[1]
            guard !digits.isEmpty, digits.count <= 6, digits.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
            fraction = Int64(String(digits) + String(repeating: "0", count: 6 - digits.count)) ?? 0
        }
        let value = whole * 1_000_000 + fraction
        return negative ? -value : value
    }

    /// A dollar amount that arrived as a number (JSON, YAML): read through its six-decimal text, so the
    /// result is exact micro-dollars or nil, never a float carried further.
    public static func parseUSD(_ dollars: Double) -> Int64? {
        guard dollars.isFinite, abs(dollars) < 1e12 else { return nil }
        return parseUSD(String(format: "%.6f", dollars))
    }

    /// `tokens` at `microsPerMillion` micro-dollars per million tokens, rounded up to a whole micro-dollar.
    public static func tokens(_ tokens: Int, microsPerMillion: Int64) -> Int64 {
        guard tokens > 0, microsPerMillion > 0 else { return 0 }
        return (Int64(tokens) * microsPerMillion + 999_999) / 1_000_000
    }
}
