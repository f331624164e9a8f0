import EaselCore
import Testing

@Suite("Brief compiler")
struct BriefCompilerTests {
    static let draft = ModelCapabilities.easelDraft
    static let gpt = ModelCapabilities.gptImage2

    static func brief(_ subject: String = "a ceramic mug", _ configure: (inout Brief) -> Void = { _ in }) -> Brief {
        var brief = Brief(subject: subject)
        configure(&brief)
        return brief
    }

    @Test func aFullBriefCompilesToItsGoldenPrompt() throws {
        let brief = Self.brief {
            $0.useCase = "product hero image"
            $0.scene = "on an oak desk by a window"
            $0.style = ["photorealistic"]
            $0.palette = ["bright-vivid"]
            $0.brandColors = ["#0A7E8C"]
            $0.format = "horizontal-banner"
            $0.constraints.noWatermark = true
            $0.constraints.headlineSpace = .top
            $0.avoid = ["clutter"]
            $0.text = "soft morning light"
        }
        let compiled = try BriefCompiler.compile(brief, caps: Self.gpt)
        #expect(
            compiled.prompt
                == "a ceramic mug, on an oak desk by a window. For a product hero image. "
                + "Style: photorealistic photograph, natural light, sharp focus, true-to-life materials. "
                + "Palette: bright vivid colours, high saturation, cheerful energy; brand colours #0A7E8C. "
                + "Composition: wide horizontal banner composition, the top third left calm and empty for a headline. "
                + "No watermark or signature. Avoid: clutter. soft morning light."
        )
        #expect(compiled.size == PixelSize(width: 1360, height: 768))
        #expect(compiled.warnings.isEmpty)
        // The same brief, the same prompt, every time.
        #expect(try BriefCompiler.compile(brief, caps: Self.gpt) == compiled)
    }

    @Test func everyPresetHasFixedWording() throws {
        for preset in BriefPresets.styles {
            let prompt = try BriefCompiler.compile(Self.brief { $0.style = [preset.id] }, caps: Self.draft).prompt
            #expect(prompt == "a ceramic mug. Style: \(preset.wording).", "\(preset.id)")
        }
        for preset in BriefPresets.palettes {
            let prompt = try BriefCompiler.compile(Self.brief { $0.palette = [preset.id] }, caps: Self.draft).prompt
            #expect(prompt == "a ceramic mug. Palette: \(preset.wording).", "\(preset.id)")
        }
        // Free words pass through as written.
        #expect(
            try BriefCompiler.compile(Self.brief { $0.style = ["ukiyo-e woodblock"] }, caps: Self.draft).prompt
                == "a ceramic mug. Style: ukiyo-e woodblock."
        )
    }

    @Test func formatsMapToSizesEachModelCanMake() throws {
        for format in BriefPresets.formats {
            for caps in ModelCapabilities.builtIn {
                let compiled = try BriefCompiler.compile(Self.brief { $0.format = format.id }, caps: caps)
                #expect(caps.sizes.violation(for: compiled.size) == nil, "\(format.id) on \(caps.id): \(compiled.size)")
                #expect(compiled.prompt.contains(format.wording))
            }
        }
        #expect(try BriefCompiler.compile(Self.brief { $0.format = "9:16" }, caps: Self.gpt).size == PixelSize(width: 768, height: 1360))
        // A size the model cannot make: the nearest one, with a warning naming the field.
        let odd = try BriefCompiler.compile(Self.brief { $0.format = "1000x1000" }, caps: Self.gpt)
        #expect(odd.warnings.map(\.code) == ["size_adjusted"])
        #expect(odd.warnings.first?.param == "brief.format")
        #expect(Self.gpt.sizes.violation(for: odd.size) == nil)
        let error = #expect(throws: EaselError.self) { try BriefCompiler.compile(Self.brief { $0.format = "poster" }, caps: Self.gpt) }
        #expect(error?.param == "brief.format")
    }

    @Test func contradictionsAreLinted() throws {
        let noText = try BriefCompiler.compile(
            Self.brief {
                $0.constraints.noText = true
                $0.headline = "Spring sale"
            },
            caps: Self.gpt
        )
        #expect(noText.warnings.map(\.code) == ["contradiction"])
        #expect(noText.warnings.first?.param == "brief.headline")
        #expect(!noText.prompt.contains("Spring sale"))
        // gpt-image-2 cannot make transparency at all; gpt-image-1.5 can, but not in jpeg.
        let opaqueOnly = try BriefCompiler.compile(Self.brief { $0.constraints.background = .transparent }, caps: Self.gpt)
        #expect(opaqueOnly.warnings.map(\.code) == ["unsupported_background"] && opaqueOnly.background == nil)
        let jpeg = try BriefCompiler.compile(Self.brief { $0.constraints.background = .transparent }, caps: .gptImage15, outputFormat: .jpeg)
        #expect(jpeg.warnings.map(\.param) == ["output_format"])
        #expect(jpeg.background == nil)
        let png = try BriefCompiler.compile(Self.brief { $0.constraints.background = .transparent }, caps: .gptImage15, outputFormat: .png)
        #expect(png.background == .transparent && png.warnings.isEmpty)
        let long = try BriefCompiler.compile(Self.brief(String(repeating: "word ", count: 7000)), caps: Self.gpt)
        #expect(long.warnings.map(\.code) == ["prompt_too_long"])
        let colors = try BriefCompiler.compile(Self.brief { $0.brandColors = (1...6).map { "#00000\($0)" } }, caps: Self.gpt)
        #expect(colors.warnings.map(\.code) == ["many_colors"])
        // The headline, when allowed, is quoted exactly.
        #expect(
            try BriefCompiler.compile(Self.brief { $0.headline = "Spring sale" }, caps: Self.gpt).prompt.contains(
                "\"Spring sale\" exactly as written"
            )
        )
    }

    @Test func aBrandKitAddsItsLookAndRefusesBannedWords() throws {
        var kit = BrandKit(id: "kit_1", name: "Acme")
        kit.palette = ["business-neutral"]
        kit.colors = ["#112233"]
        kit.style = ["flat"]
        kit.constraints.noLogos = true
        kit.bannedWords = ["cheap"]
        let compiled = try BriefCompiler.compile(Self.brief { $0.palette = ["teal"] }, caps: Self.gpt, kit: kit)
        #expect(compiled.prompt.contains("Palette: teal; business neutral palette"))
        #expect(compiled.prompt.contains("brand colours #112233"))
        #expect(compiled.prompt.contains("No logos"))
        #expect(compiled.prompt.contains("Avoid: cheap"))
        let error = #expect(throws: EaselError.self) { try BriefCompiler.compile(Self.brief("a cheap mug"), caps: Self.gpt, kit: kit) }
        #expect(error?.code == "banned_word" && error?.param == "brief.subject")
    }

    @Test func briefsReadFromJSONNameTheirFields() throws {
        let parsed = try Brief(json: [
            "subject": "mug", "style": "flat", "palette": ["pastel", "teal"], "brand_colors": ["0a7e8c", "#abc"],
            "constraints": ["no_text": true, "headline_space": "top"],
        ])
        #expect(parsed.style == ["flat"] && parsed.palette == ["pastel", "teal"])
        #expect(parsed.brandColors == ["#0A7E8C", "#AABBCC"])
        #expect(parsed.constraints.noText && parsed.constraints.headlineSpace == .top)
        #expect(try Brief(json: parsed.json) == parsed)
        let cases: [(JSONValue, String)] = [
            (["style": "flat"], "brief.subject"),
            (["subject": "x", "colour": "red"], "brief.colour"),
            (["subject": "x", "brand_colors": ["red"]], "brief.brand_colors[0]"),
            (["subject": "x", "constraints": ["headline_space": "middle"]], "brief.constraints.headline_space"),
            (["subject": "x", "constraints": ["no_text": "yes"]], "brief.constraints.no_text"),
            (["subject": 3], "brief.subject"),
            ("a mug", "brief"),
        ]
        for (json, param) in cases {
            let error = #expect(throws: EaselError.self) { try Brief(json: json) }
            #expect(error?.param == param, "\(json)")
        }
    }
}

@Suite("Templates")
struct TemplateTests {
    @Test func builtInTemplatesAreValidAndCompileOnEveryModel() throws {
        for template in BuiltInTemplates.all {
            try template.validate()
            var values: [String: String] = [:]
            for variable in template.variables where variable.required && variable.defaultValue == nil { values[variable.name] = "a blue kettle" }
            let brief = try template.fill(values)
            #expect(Template.placeholders(in: brief).isEmpty, "\(template.id)")
            for caps in ModelCapabilities.builtIn {
                let compiled = try BriefCompiler.compile(brief, caps: caps)
                #expect(compiled.prompt.contains("a blue kettle"))
                #expect(caps.sizes.violation(for: compiled.size) == nil)
            }
        }
    }

    @Test func variablesAreFilledAndCheckedByName() throws {
        let template = BuiltInTemplates.productHero
        let brief = try template.fill(["product": "a matte black bottle"])
        #expect(brief.subject == "a matte black bottle")
        #expect(brief.format == "square-social" && brief.palette == ["business-neutral"])
        let missing = #expect(throws: EaselError.self) { try template.fill([:]) }
        #expect(missing?.param == "variables.product" && missing?.code == "missing_required_parameter")
        let unknown = #expect(throws: EaselError.self) { try template.fill(["product": "x", "prodcut": "y"]) }
        #expect(unknown?.param == "variables.prodcut")
        // An optional variable left blank drops its field.
        #expect(try BuiltInTemplates.paidSocial.fill(["subject": "sneakers"]).headline == nil)
    }

    @Test func aTemplateFromJSONDerivesItsVariablesAndRefusesUndeclaredOnes() throws {
        let body: JSONValue = [
            "name": "Launch", "brief": ["subject": "{product} on {surface}", "format": "16:9"], "defaults": ["n": 2, "cache": "reuse"],
        ]
        let template = try Template(json: body, id: "tpl_1")
        #expect(template.variables.map(\.name) == ["product", "surface"])
        #expect(template.defaults.n == 2 && template.defaults.cache)
        let undeclared: JSONValue = ["name": "x", "brief": ["subject": "{product}"], "variables": ["thing"]]
        let error = #expect(throws: EaselError.self) { try Template(json: undeclared, id: "tpl_2") }
        #expect(error?.param == "brief.subject" && error?.code == "unknown_variable")
        #expect(try Template(json: template.body, id: "tpl_1").body == template.body)
    }

    @Test func twoVersionsDifferFieldByField() {
        var old = BuiltInTemplates.blogBanner
        var new = old
        new.brief.palette = ["dark-cinematic"]
        new.variables[0].help = "the story"
        old.version = 1
        new.version = 2
        let changes = JSONDiff.changes(from: old.body, to: new.body)
        #expect(changes.map(\.path) == ["brief.palette[0]", "variables[0].help"])
        #expect(changes.first?.to == "dark-cinematic")
    }
}
