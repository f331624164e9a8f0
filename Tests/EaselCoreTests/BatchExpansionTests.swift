import EaselCore
import Testing

@Suite("Variant syntax")
struct VariantsTests {
    func all(_ text: String) throws -> [String] { try Variants(text, param: "p").all() }

    @Test func combinatorialListsEveryCombinationOnce() throws {
        #expect(try all("a {red|green|blue} mug") == ["a red mug", "a green mug", "a blue mug"])
        #expect(try all("{a|b} {c|d}") == ["a c", "a d", "b c", "b d"])
        #expect(try all("{2$$red|green|blue}") == ["red, green", "red, blue", "green, blue"])
        #expect(try all("{2$$ and $$red|green|blue}") == ["red and green", "red and blue", "green and blue"])
        #expect(try all("{1-2$$x|y}") == ["x", "y", "x, y"])
        #expect(try all("{a {small|large} cat|a dog}") == ["a small cat", "a large cat", "a dog"])
        #expect(try all(#"literal \{braces\} and a \| bar"#) == ["literal {braces} and a | bar"])
        #expect(try all("no choices") == ["no choices"])
        for text in ["{a|b|c}", "{a|b} {c|d|e}", "{2$$a|b|c|d}", "{1-3$$a|b|c}", "{x {1|2}|y}", "{-2$$a|b|c}", "{2-$$a|b|c}"] {
            let variants = try Variants(text, param: "p")
            #expect(variants.combinations == variants.all().count, "\(text)")
        }
        #expect(try Variants(String(repeating: "{a|b|c|d}", count: 60), param: "p").combinations == Int.max)
    }

    @Test func randomIsReproducibleWithASeedAndHonoursWeights() throws {
        let variants = try Variants("{0::never|red|green|blue} {1-2$$x|y|z}", param: "p")
        var a = SeededRandom(seed: 9)
        var b = SeededRandom(seed: 9)
        var c = SeededRandom(seed: 10)
        let first = (0..<50).map { _ in variants.sample(&a) }
        #expect(first == (0..<50).map { _ in variants.sample(&b) })
        #expect(first != (0..<50).map { _ in variants.sample(&c) })
        #expect(!first.contains { $0.hasPrefix("never") })
        #expect(Set(first.map { $0.split(separator: " ")[0] }).count == 3)
    }

    @Test func syntaxErrorsNameTheFieldAndPosition() {
        let cases = ["{a|b", "a}b", "{a||b}", "{}", "{4$$a|b|c}", "{x$$a|b}", "{3-1$$a|b|c}"]
        for text in cases {
            let error = #expect(throws: EaselError.self) { try Variants(text, param: "rows[2].brief.subject") }
            #expect(error?.param == "rows[2].brief.subject", "\(text)")
            #expect(error?.code == "invalid_variant_syntax", "\(text)")
            #expect(error?.message.contains("character") == true, "\(text)")
        }
    }
}

@Suite("CSV rows")
struct CSVTableTests {
    func table(_ text: String, maxRows: Int = 100) throws -> CSVTable { try CSVTable(bytes: Array(text.utf8), maxRows: maxRows) }

    @Test func readsQuotedFieldsNewlinesAndByteOrderMarks() throws {
        let parsed = try CSVTable(
            bytes: [0xEF, 0xBB, 0xBF] + Array("product,headline\r\n\"mug, blue\",\"Say \"\"hi\"\"\"\r\nbottle,\"two\nlines\"\r\n\r\n".utf8),
            maxRows: 10
        )
        #expect(parsed.header == ["product", "headline"])
        #expect(parsed.rows == [["mug, blue", "Say \"hi\""], ["bottle", "two\nlines"]])
        #expect(parsed.records[0]["product"] == "mug, blue")
        #expect(try table("a\n春\n").rows == [["春"]])
        #expect(try table("a,b\n1,2").rows == [["1", "2"]])
    }

    @Test func errorsNameTheRow() {
        let cases: [(String, String)] = [
            ("a,b\n1,2\n1\n", "csv.rows[3]"),
            ("a,b\n\"1,2\n", "csv.rows[2]"),
            ("a,b\n1\"x,2\n", "csv.rows[2]"),
            (",b\n1,2\n", "csv.header"),
            ("a,a\n1,2\n", "csv.header"),
            ("", "csv"),
        ]
        for (text, param) in cases {
            let error = #expect(throws: EaselError.self) { try table(text) }
            #expect(error?.param == param, "\(text)")
        }
        let latin1 = #expect(throws: EaselError.self) { try CSVTable(bytes: Array("a\n".utf8) + [0xE9, 0x0A], maxRows: 10) }
        #expect(latin1?.code == "invalid_encoding")
        // A huge file is refused as soon as it passes the cap, never half read.
        let huge = "a\n" + String(repeating: "x\n", count: 100_000)
        let tooMany = #expect(throws: EaselError.self) { try table(huge, maxRows: 1000) }
        #expect(tooMany?.code == "batch_too_large")
        #expect(CSVTable.write(header: ["a", "b"], rows: [["x,y", "say \"hi\""]]) == "a,b\r\n\"x,y\",\"say \"\"hi\"\"\"\r\n")
    }
}

@Suite("Batch plans")
struct BatchPlanTests {
    @Test func rowsVariantsAndAxesMultiply() throws {
        let template = BuiltInTemplates.productHero
        let rows = [["product": "a {red|blue} mug"], ["product": "a bottle"]]
        let plan = try BatchPlan(
            brief: template.brief,
            template: template,
            rows: rows,
            models: ["easel-draft", "gpt-image-2"],
            sizes: ["1:1", "16:9"],
            mode: .combinatorial,
            maxItems: 100
        )
        #expect(plan.items.count == (2 + 1) * 2 * 2)
        #expect(plan.items.map(\.index) == Array(0..<12))
        #expect(plan.items[0].brief.subject == "a red mug" && plan.items[0].model == "easel-draft" && plan.items[0].brief.format == "1:1")
        #expect(plan.items[4].brief.subject == "a blue mug")
        #expect(plan.items[8].row == 1 && plan.items[8].variables["product"] == "a bottle")
    }

    @Test func randomModeDrawsCountPerRowReproducibly() throws {
        let brief = Brief(subject: "a {red|green|blue|teal} {mug|cup|bowl}")
        let a = try BatchPlan(brief: brief, template: nil, rows: [], models: [], sizes: [], mode: .random(count: 5, seed: 3), maxItems: 100)
        let b = try BatchPlan(brief: brief, template: nil, rows: [], models: [], sizes: [], mode: .random(count: 5, seed: 3), maxItems: 100)
        #expect(a.items.count == 5)
        #expect(a.items.map(\.brief.subject) == b.items.map(\.brief.subject))
    }

    @Test func anExpansionPastTheCapIsRefusedBeforeAnythingIsMade() {
        let brief = Brief(subject: String(repeating: "{a|b|c|d|e|f|g|h|i|j}", count: 12))
        let error = #expect(throws: EaselError.self) {
            try BatchPlan(brief: brief, template: nil, rows: [], models: [], sizes: [], mode: .combinatorial, maxItems: 1000)
        }
        #expect(error?.code == "batch_too_large" && error?.param == "rows")
        let rows = [[String: String]](repeating: [:], count: 101)
        #expect(throws: EaselError.self) {
            try BatchPlan(brief: Brief(subject: "x"), template: nil, rows: rows, models: [], sizes: [], mode: .combinatorial, maxItems: 100)
        }
    }

    @Test func aMissingVariableNamesItsRow() {
        let error = #expect(throws: EaselError.self) {
            try BatchPlan(
                brief: BuiltInTemplates.productHero.brief,
                template: BuiltInTemplates.productHero,
                rows: [["product": "a"], [:]],
                models: [],
                sizes: [],
                mode: .combinatorial,
                maxItems: 100
            )
        }
        #expect(error?.param == "rows[1].product")
    }
}
