import EaselCore

extension FuzzTargets {
    /// The most items the batch plans here may have: small, so expanding is cheap when it is allowed.
    static let variantsCap = 64

    /// `Variants` and the batch expansion over it: a text that parses counts at least one combination;
    /// within the cap, listing them gives exactly that many and a random draw is one of them; a batch
    /// plan never makes more items than its cap and refuses (before expanding) when the count is above it.
    public static func variants(_ bytes: [UInt8]) {
        let text = String(decoding: bytes, as: UTF8.self)
        let parsed = try? Variants(text, param: "subject")
        let plan = try? BatchPlan(
            brief: Brief(subject: text),
            template: nil,
            rows: [],
            models: [],
            sizes: [],
            mode: .combinatorial,
            maxItems: variantsCap
        )
        guard let parsed else {
            check(plan == nil, "a batch accepted text the variant parser refuses")
            return
        }
        let count = parsed.combinations
        check(count >= 1, "\(count) combinations")
        guard count <= variantsCap else {
            check(plan == nil, "a batch of \(count) items passed a cap of \(variantsCap)")
            return
        }
        let all = parsed.all()
        check(all.count == count, "all() lists \(all.count) texts, combinations says \(count)")
        // A batch leaves text without choices as written (escapes included): plain text expands to itself.
        let subjects = parsed.hasChoices ? all : [text]
        check(plan?.items.map(\.brief.subject) == subjects, "the batch's subjects are not the listed texts")
        var random = SeededRandom(seed: UInt64(bytes.count))
        let drawn = parsed.sample(&random)
        check(all.contains(drawn), "a random draw is not one of the listed texts")
        let draws = bytes.count % 5 + 1
        let sampled = try? BatchPlan(
            brief: Brief(subject: text),
            template: nil,
            rows: [],
            models: [],
            sizes: [],
            mode: .random(count: draws, seed: 7),
            maxItems: variantsCap
        )
        check(sampled?.items.count == draws, "random mode made \(sampled?.items.count ?? -1) items, not \(draws)")
        check(sampled?.items.allSatisfy { subjects.contains($0.brief.subject) } == true, "a random item is not a listed text")
    }
}
