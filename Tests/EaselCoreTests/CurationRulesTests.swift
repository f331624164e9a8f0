import EaselCore
import Testing

/// The pure rules under the gallery and review: search text for every script, query parameters, the
/// checklist against a policy, suggested alt text, tags.
@Suite("Curation rules")
struct CurationRulesTests {
    @Test func searchTextSpacesOutUnspacedScriptsAndQuotesWhatPeopleType() {
        #expect(SearchText.indexForm("春季海报 poster") == " 春  季  海  报  poster")
        #expect(SearchText.matchExpression("light house") == "\"light\"* AND \"house\"*")
        #expect(SearchText.matchExpression("海报") == "\"海 报\"")
        #expect(SearchText.matchExpression("spring 海报 sale") == "\"spring\"* AND \"海 报\" AND \"sale\"*")
        #expect(SearchText.matchExpression("café") == "\"café\"*")
        // PostgreSQL reads the folded words FTS5's remove_diacritics would: Café and cafe are the same word.
        #expect(SearchText.query("Café 海报")?.tsQuery == "'cafe':* & '海' <-> '报'")
        #expect(SearchText.folded("Crème BRÛLÉE") == "creme brulee")
        // Operators and quotes are text, never FTS syntax.
        #expect(SearchText.matchExpression("\"NEAR(a OR b)\" -x *") == "\"NEAR\"* AND \"a\"* AND \"OR\"* AND \"b\"* AND \"x\"*")
        #expect(SearchText.matchExpression(" ,.!? ") == nil)
        #expect(SearchText.matchExpression("夏のセール")?.hasPrefix("\"夏 の") == true)
        #expect(SearchText.matchExpression("봄 세일") == "\"봄\" AND \"세 일\"")
    }

    @Test func galleryParametersParseOrNameTheBadOne() throws {
        let query = try AssetQuery(
            parameters: [
                "q": "mug", "model": "gpt-image-2", "favorite": "true", "rating": "4", "tag": "Hero", "review": "in_review",
                "format": "jpg", "aspect": "16:9", "from": "2026-11-01", "to": "2026-11-02", "draft": "false", "sort": "oldest", "limit": "100",
            ],
            userID: "usr_x"
        )
        #expect(query.search?.fts5 == "\"mug\"*")
        #expect(query.search?.tsQuery == "'mug':*")
        #expect(query.favorite == true && query.minRating == 4 && query.tag == "hero")
        #expect(query.review == .inReview && query.format == .jpeg && query.draft == false && query.order == .oldest && query.limit == 100)
        #expect(abs((query.aspect ?? 0) - 16.0 / 9.0) < 0.0001)
        #expect(query.createdFrom == 1_793_491_200_000)
        #expect(query.createdTo == 1_793_664_000_000)  // the end of the 2nd, as an open end
        #expect(try AssetQuery(parameters: ["from": "1761955200"], userID: nil).createdFrom == 1_761_955_200_000)
        #expect(try AssetQuery(parameters: [:], userID: nil).limit == 20)
        for (key, value) in [
            ("rating", "0"), ("review", "unknown"), ("format", "gif"), ("aspect", "0:1"), ("from", "2026-13-01"), ("sort", "best"),
            ("cursor", "img_x"), ("limit", "201"), ("favorite", "maybe"), ("nope", "1"),
        ] {
            do {
                _ = try AssetQuery(parameters: [key: value], userID: nil)
                Issue.record("\(key)=\(value) was taken")
            } catch {
                #expect(error.param == key, "\(key)=\(value)")
            }
        }
        #expect(throws: EaselError.self) { try AssetQuery(parameters: ["from": "2026-11-02", "to": "2026-11-01"], userID: nil) }
    }

    @Test func theChecklistFollowsThePolicy() throws {
        let policy = try ReviewPolicy(json: ["keys": ["legal"], "required": ["legal", "brand_fit"], "approval_required": true], param: "review")
        #expect(policy.keys.count == 8 && policy.approvalRequired)
        let entries = try policy.checklist([["key": "legal", "result": "pass"], ["key": "cost", "result": "na", "note": "free"]])
        #expect(entries.map(\.key) == ["legal", "cost"])
        #expect(policy.refusal(toApprove: entries)?.code == "checklist_incomplete")
        let complete = entries + [ChecklistEntry(key: "brand_fit", result: .pass)]
        #expect(policy.refusal(toApprove: complete) == nil)
        #expect(policy.refusal(toApprove: complete + [ChecklistEntry(key: "composition", result: .fail)])?.code == "checklist_failed")
        for (bad, param) in [
            (JSONValue.array([["key": "vibes", "result": "pass"]]), "checklist[0].key"),
            (.array([["key": "cost", "result": "maybe"]]), "checklist[0].result"),
            (.array([["key": "cost", "result": "na"], ["key": "cost", "result": "na"]]), "checklist[1].key"),
            (.array([["key": "cost"]]), "checklist[0].result"),
            (.string("all good"), "checklist"),
        ] {
            do {
                _ = try policy.checklist(bad)
                Issue.record("\(bad) was taken")
            } catch {
                #expect(error.param == param)
            }
        }
        #expect(throws: EaselError.self) { try ReviewPolicy(json: ["required": ["unknown_key"]], param: "review") }
        #expect(throws: EaselError.self) { try ReviewPolicy(json: ["keys": ["has space"]], param: "review") }
    }

    @Test func altTextIsSuggestedFromTheBriefOrThePrompt() {
        var brief = Brief(subject: "a {colour} mug")
        brief.scene = "on an oak desk"
        brief.useCase = "product page"
        #expect(AltText.suggest(brief: brief, variables: ["colour": "red"], prompt: "ignored") == "A red mug, on an oak desk, for product page.")
        #expect(AltText.suggest(brief: nil, variables: [:], prompt: "  lighthouse at dusk ") == "Lighthouse at dusk.")
        #expect(AltText.suggest(brief: nil, variables: [:], prompt: "") == "An image.")
        #expect(AltText.suggest(brief: nil, variables: [:], prompt: String(repeating: "a", count: 400)).count == 248)
    }

    @Test func tagsAreTrimmedLowerCasedAndOnce() throws {
        #expect(try Tags.normalize([" Hero ", "hero", "Spring Sale"], param: "tags") == ["hero", "spring sale"])
        #expect(throws: EaselError.self) { try Tags.normalize([""], param: "tags") }
        #expect(throws: EaselError.self) { try Tags.normalize(["a,b"], param: "tags") }
        #expect(throws: EaselError.self) { try Tags.normalize([String(repeating: "x", count: 65)], param: "tags") }
    }
}
