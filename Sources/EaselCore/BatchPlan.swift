/// A batch expanded into items: each row (from JSON or CSV) fills the template's variables, variant syntax
/// in any text field multiplies it (every combination, or `count` drawn at random with a seed), and the
/// `models` and `sizes` axes multiply again (a model compare is just a batch axis). The count is known and
/// checked against the cap before any item is made.
public struct BatchPlan: Sendable {
    public enum VariantMode: Sendable, Hashable {
        case combinatorial
        case random(count: Int, seed: UInt64)
    }

    public struct Item: Sendable, Hashable {
        /// Position in the batch, from 0.
        public var index: Int
        /// The row it came from, from 0.
        public var row: Int
        public var variables: [String: String]
        public var brief: Brief
        /// The model axis value, if the batch has one.
        public var model: String?
    }

    public var items: [Item]

    /// - Parameters:
    ///   - brief: the template's brief, or a brief of the request's own (whose `{name}` placeholders rows may fill).
    ///   - template: when given, rows are its variables (a missing one is an error naming the row).
    public init(
        brief: Brief,
        template: Template?,
        rows: [[String: String]],
        models: [String],
        sizes: [String],
        mode: VariantMode,
        maxItems: Int
    ) throws(EaselError) {
        let rows = rows.isEmpty ? [[:]] : rows
        let modelAxis: [String?] = models.isEmpty ? [nil] : models
        let sizeAxis: [String?] = sizes.isEmpty ? [nil] : sizes
        // Fill every row, parse its variants, and count before expanding anything.
        var planned: [(row: Int, values: [String: String], brief: Brief, fields: [(param: String, variants: Variants)])] = []
        var total = 0
        for (index, values) in rows.enumerated() {
            let filled: Brief
            if let template {
                filled = try template.fill(values, param: "rows[\(index)]")
            } else {
                filled = try brief.mapText { _, text throws(EaselError) in Template.substitute(text, values) }
            }
            var fields: [(String, Variants)] = []
            var combinations = 1
            for (param, text) in filled.textFields {
                let variants = try Variants(text, param: "rows[\(index)].brief.\(param)")
                fields.append((param, variants))
                if case .combinatorial = mode {
                    let (product, overflow) = combinations.multipliedReportingOverflow(by: variants.combinations)
                    combinations = overflow ? Int.max : product
                }
            }
            if case .random(let count, _) = mode { combinations = count }
            let (rowTotal, o1) = combinations.multipliedReportingOverflow(by: modelAxis.count * sizeAxis.count)
            let (sum, o2) = total.addingReportingOverflow(rowTotal)
            total = o1 || o2 ? Int.max : sum
            if total > maxItems {
                throw .invalidRequest(
                    "This batch expands to \(total == Int.max ? "more than \(maxItems)" : "\(total)") items (rows × variants × models × sizes); "
                        + "your plan allows \(maxItems) per batch. Use fewer rows or variants, or random mode with a count.",
                    param: "rows",
                    code: "batch_too_large"
                )
            }
            planned.append((index, values, filled, fields))
        }
        var items: [Item] = []
        for (row, values, filled, fields) in planned {
            var briefs: [Brief]
            switch mode {
            case .combinatorial:
                briefs = [filled]
                for (param, variants) in fields where variants.hasChoices {
                    let options = variants.all()
                    briefs = briefs.flatMap { base in options.map { Self.setting(param, to: $0, in: base) } }
                }
            case .random(let count, let seed):
                var rng = SeededRandom(seed: seed &+ UInt64(row) &* 0x9E37_79B9_7F4A_7C15)
                briefs = (0..<count).map { _ in
                    fields.reduce(filled) { base, field in
                        field.variants.hasChoices ? Self.setting(field.param, to: field.variants.sample(&rng), in: base) : base
                    }
                }
            }
            for brief in briefs {
                for model in modelAxis {
                    for size in sizeAxis {
                        var sized = brief.droppingEmptyOptionals()
                        if let size { sized.format = size }
                        items.append(Item(index: items.count, row: row, variables: values, brief: sized, model: model))
                    }
                }
            }
        }
        self.items = items
    }

    /// The brief with one text field (named as `Brief.textFields` names it) set to `value`.
    static func setting(_ param: String, to value: String, in brief: Brief) -> Brief {
        (try? brief.mapText { name, text in name == param ? value : text }) ?? brief
    }
}
