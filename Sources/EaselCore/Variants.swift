/// Variant syntax in a text field, the subset of sd-dynamic-prompts (the de facto standard) Easel supports:
///
/// - `{red|green|blue}`: one of the options.
/// - `{2$$red|green|blue}`: two different options, joined with ", "; `{2$$ and $$red|green|blue}` joins with " and ".
/// - `{1-2$$red|green|blue}`: one or two options (`{-2$$…}` is 1 to 2, `{2-$$…}` 2 to all).
/// - `{0.5::red|green}`: a weight, used when sampling at random (combinatorial lists every option once).
/// - Options nest: `{a {small|large} cat|a dog}`. `\{`, `\}`, `\|` and `\\` are literal characters.
///
/// Not supported: wildcard files (`__name__`), variables (`${v=…}`) and Jinja templates.
public struct Variants: Sendable, Hashable {
    indirect enum Node: Sendable, Hashable {
        case text(String)
        case sequence([Node])
        case choice(options: [Node], weights: [Double], count: ClosedRange<Int>, separator: String)
    }

    let root: Node

    /// Parses `text`; a syntax error names `param` and the position (in characters) where it is.
    public init(_ text: String, param: String) throws(EaselError) {
        var parser = Parser(characters: Array(text), param: param)
        root = try parser.sequence(depth: 0)
        if parser.index < parser.characters.count {
            throw parser.fail("'}' without a matching '{'")
        }
    }

    /// Whether the text has any choice at all (plain text expands to itself).
    public var hasChoices: Bool {
        func any(_ node: Node) -> Bool {
            switch node {
            case .text: false
            case .sequence(let nodes): nodes.contains(where: any)
            case .choice: true
            }
        }
        return any(root)
    }

    /// How many texts `all()` lists, saturating at `Int.max`.
    public var combinations: Int { Self.count(root) }

    /// Every text the syntax can make, in order (combinatorial mode).
    public func all() -> [String] { Self.expand(root) }

    /// One text drawn at random with `rng`, honouring weights (random mode).
    public func sample(_ rng: inout SeededRandom) -> String { Self.sample(root, &rng) }

    static func count(_ node: Node) -> Int {
        switch node {
        case .text: return 1
        case .sequence(let nodes):
            return nodes.reduce(1) { product, node in
                let (result, overflow) = product.multipliedReportingOverflow(by: count(node))
                return overflow ? Int.max : result
            }
        case .choice(let options, _, let range, _):
            // The sum over k in range of e_k, the sum over k-combinations of the product of their counts
            // (elementary symmetric polynomials), all k in one pass: a pass per k was cubic in the options, and
            // `{-$$a|a|…}` with a thousand options took minutes.
            var table = [Int](repeating: 0, count: range.upperBound + 1)
            table[0] = 1
            for (position, option) in options.enumerated() {
                let value = count(option)
                // Entries below this can no longer reach the range with the options left.
                let lowest = max(1, range.lowerBound - (options.count - position - 1))
                for j in stride(from: min(position + 1, range.upperBound), through: lowest, by: -1) {
                    let (product, o1) = table[j - 1].multipliedReportingOverflow(by: value)
                    let (sum, o2) = table[j].addingReportingOverflow(product)
                    // Counts are at least 1, so an entry that overflows carries into the range: so does the total.
                    if o1 || o2 { return Int.max }
                    table[j] = sum
                }
            }
            var total = 0
            for k in range {
                let (sum, overflow) = total.addingReportingOverflow(table[k])
                if overflow { return Int.max }
                total = sum
            }
            return total
        }
    }

    static func expand(_ node: Node) -> [String] {
        switch node {
        case .text(let text): return [text]
        case .sequence(let nodes):
            return nodes.reduce([""]) { prefixes, node in
                let tails = expand(node)
                return prefixes.flatMap { prefix in tails.map { prefix + $0 } }
            }
        case .choice(let options, _, let range, let separator):
            var out: [String] = []
            for k in range {
                for picked in combinations(of: options.count, choose: k) {
                    let parts = picked.map { expand(options[$0]) }
                    out += parts.reduce([[String]]([[]])) { lists, choices in lists.flatMap { list in choices.map { list + [$0] } } }
                        .map { $0.joined(separator: separator) }
                }
            }
            return out
        }
    }

    static func sample(_ node: Node, _ rng: inout SeededRandom) -> String {
        switch node {
        case .text(let text): return text
        case .sequence(let nodes): return nodes.map { sample($0, &rng) }.joined()
        case .choice(let options, let weights, let range, let separator):
            let k = range.lowerBound + Int(rng.next() % UInt64(range.count))
            var pool = Array(options.indices)
            var picked: [Int] = []
            for _ in 0..<k {
                let total = pool.reduce(0.0) { $0 + weights[$1] }
                var target = rng.unit() * total
                var chosen = pool.count - 1
                for (position, index) in pool.enumerated() {
                    target -= weights[index]
                    if target < 0 {
                        chosen = position
                        break
                    }
                }
                picked.append(pool.remove(at: chosen))
            }
            return picked.sorted().map { sample(options[$0], &rng) }.joined(separator: separator)
        }
    }

    /// Index sets of size `k` from `0..<n`, in lexicographic order.
    static func combinations(of n: Int, choose k: Int) -> [[Int]] {
        guard k > 0 else { return [[]] }
        guard k <= n else { return [] }
        var result: [[Int]] = []
        var current: [Int] = []
        func walk(_ start: Int) {
            if current.count == k {
                result.append(current)
                return
            }
            for index in start..<n where n - index >= k - current.count {
                current.append(index)
                walk(index + 1)
                current.removeLast()
            }
        }
        walk(0)
        return result
    }

    struct Parser {
        let characters: [Character]
        let param: String
        var index = 0

        func fail(_ reason: String) -> EaselError {
            .invalidRequest("Variant syntax error in '\(param)' at character \(index + 1): \(reason).", param: param, code: "invalid_variant_syntax")
        }

        /// Text and choices up to an unescaped `|` or `}` (inside a choice) or the end.
        mutating func sequence(depth: Int) throws(EaselError) -> Node {
            var nodes: [Node] = []
            var literal = ""
            while index < characters.count {
                let character = characters[index]
                if character == "\\", index + 1 < characters.count {
                    literal.append(characters[index + 1])
                    index += 2
                    continue
                }
                if character == "{" {
                    if !literal.isEmpty { nodes.append(.text(literal)) }
                    literal = ""
                    nodes.append(try choice(depth: depth + 1))
                    continue
                }
                if depth > 0 && (character == "|" || character == "}") { break }
                if depth == 0 && character == "}" { break }
                literal.append(character)
                index += 1
            }
            if !literal.isEmpty { nodes.append(.text(literal)) }
            return nodes.count == 1 ? nodes[0] : .sequence(nodes)
        }

        mutating func choice(depth: Int) throws(EaselError) -> Node {
            let open = index
            guard depth <= 16 else { throw fail("choices are nested too deeply") }
            index += 1
            var range = 1...1
            var separator = ", "
            if let marker = find("$$") {
                let head = String(characters[index..<marker])
                guard let parsed = Self.range(head) else { throw fail("'\(head)' is not a count such as 2, 1-3, -2 or 2-") }
                range = parsed
                index = marker + 2
                if let second = find("$$") {
                    separator = String(characters[index..<second])
                    index = second + 2
                }
            }
            var options: [Node] = []
            var weights: [Double] = []
            while true {
                var weight = 1.0
                if let marker = find("::"), let value = Double(String(characters[index..<marker])), value >= 0 {
                    weight = value
                    index = marker + 2
                }
                let start = index
                let option = try sequence(depth: depth)
                if index == start { throw fail("an empty option") }
                options.append(option)
                weights.append(weight)
                guard index < characters.count else {
                    index = open
                    throw fail("'{' is never closed")
                }
                if characters[index] == "}" {
                    index += 1
                    break
                }
                index += 1  // past "|"
            }
            let upper = range.upperBound == Int.max ? options.count : range.upperBound
            guard range.lowerBound <= options.count, upper <= options.count else {
                throw fail(
                    "asks for \(range.lowerBound == upper ? "\(upper)" : "up to \(upper)") of \(options.count) option\(options.count == 1 ? "" : "s")"
                )
            }
            return .choice(options: options, weights: weights, count: range.lowerBound...upper, separator: separator)
        }

        /// The index of `marker` before the end of the current option (an unescaped `|`, `{` or `}`).
        func find(_ marker: String) -> Int? {
            let pattern = Array(marker)
            var position = index
            while position + pattern.count <= characters.count {
                let character = characters[position]
                if character == "\\" {
                    position += 2
                    continue
                }
                if character == "|" || character == "}" || character == "{" { return nil }
                if Array(characters[position..<(position + pattern.count)]) == pattern { return position }
                position += 1
            }
            return nil
        }

        /// `2`, `1-3`, `-2` (1 to 2), `2-` (2 to all, as `Int.max` until the options are counted).
        static func range(_ text: String) -> ClosedRange<Int>? {
            let trimmed = text.trimmingWhitespace
            if !trimmed.contains("-") {
                guard let k = Int(trimmed), k >= 1 else { return nil }
                return k...k
            }
            let parts = trimmed.split(separator: "-", omittingEmptySubsequences: false)
            guard parts.count == 2 else { return nil }
            let lower = parts[0].isEmpty ? 1 : Int(parts[0])
            let upper = parts[1].isEmpty ? Int.max : Int(parts[1])
            guard let lower, let upper, lower >= 1, lower <= upper else { return nil }
            return lower...upper
        }
    }
}
