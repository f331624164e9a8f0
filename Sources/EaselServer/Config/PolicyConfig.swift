import EaselCore
import Foundation
import Yams

/// Plans, prices and the prompt filter, from the same config file as providers:
///
/// ```yaml
/// plans:
///   registered: { images_per_day: 20, max_n: 4, max_megapixels: 4.2, concurrent_jobs: 4, images_per_minute: 10 }
///   team: { images_per_day: 500, models: [gpt-image-2, easel-draft], budget_usd: 50, budget_period: monthly }
/// default_plan: registered          # plan of users created without one
/// prices:
///   house-model: { per_image_usd: 0.04 }
///   gpt-image-2: { tokens_usd_per_million: { text_in: 5, image_in: 8, image_out: 30 } }
/// moderation:
///   categories:
///     violence: { keywords: [gore, beheading], patterns: ["blood\\s+bath"] }
/// ```
public struct PolicyConfig: Sendable {
    public var plans: [String: Plan] = Plan.defaults
    public var defaultPlan = "registered"
    public var prices = PriceTable.builtIn
    public var promptFilter = PromptFilter.empty
    /// Guests may use the studio without an account (on the guest plan).
    public var guests = true

    public init() {}

    public var planBook: PlanBook { PlanBook(plans: plans, defaultPlan: defaultPlan) }

    public static func parse(_ text: String, routes: [ProvidersConfig.Route] = []) throws -> PolicyConfig {
        let root = (try? Yams.load(yaml: text)) as? [String: Any] ?? [:]
        var config = PolicyConfig()
        // Routes built on a model take its prices unless the config names their own.
        for route in routes {
            if let base = route.base, let price = config.prices.models[base], config.prices.models[route.model.id] == nil {
                config.prices.models[route.model.id] = price
            }
        }
        if let plans = root["plans"] {
            guard let map = plans as? [String: Any] else { throw ConfigError.invalid("plans", "\(plans)", "a mapping of plan names") }
            for (name, value) in map {
                guard let fields = value as? [String: Any] else { throw ConfigError.invalid("plans.\(name)", "\(value)", "a mapping") }
                config.plans[name] = try plan(name: name, fields, base: config.plans[name])
            }
        }
        if let name = root["default_plan"] as? String {
            guard config.plans[name] != nil else { throw ConfigError.invalid("default_plan", name, "a plan defined under plans") }
            config.defaultPlan = name
        }
        if let guests = root["guests"] as? Bool { config.guests = guests }
        if let prices = root["prices"] {
            guard let map = prices as? [String: Any] else { throw ConfigError.invalid("prices", "\(prices)", "a mapping of model names") }
            for (model, value) in map {
                guard let fields = value as? [String: Any] else { throw ConfigError.invalid("prices.\(model)", "\(value)", "a mapping") }
                config.prices.models[model] = try price(fields, path: "prices.\(model)")
            }
        }
        if let moderation = root["moderation"] as? [String: Any], let categories = moderation["categories"] {
            guard let map = categories as? [String: Any] else {
                throw ConfigError.invalid("moderation.categories", "\(categories)", "a mapping of category names")
            }
            var list: [PromptFilter.Category] = []
            for (name, value) in map.sorted(by: { $0.key < $1.key }) {
                let fields = value as? [String: Any] ?? [:]
                list.append(PromptFilter.Category(name: name, keywords: strings(fields["keywords"]), patterns: strings(fields["patterns"])))
            }
            do {
                config.promptFilter = try PromptFilter(categories: list)
            } catch let error as EaselError {
                throw ConfigError.invalid("moderation", "(patterns)", error.message)
            }
        }
        return config
    }

    static func strings(_ value: Any?) -> [String] {
        (value as? [Any] ?? []).compactMap { $0 as? String ?? ($0 as? any CustomStringConvertible)?.description }
    }

    /// A dollar amount from YAML (a number or a string), exactly, in micro-dollars.
    static func usd(_ value: Any?, _ path: String) throws -> Int64? {
        guard let value else { return nil }
        let micros: Int64?
        switch value {
        case let text as String: micros = Money.parseUSD(text)
        case let int as Int: micros = Money.parseUSD(String(int))
        case let double as Double: micros = Money.parseUSD(double)
        default: micros = nil
        }
        guard let micros, micros >= 0 else { throw ConfigError.invalid(path, "\(value)", "an amount in US dollars") }
        return micros
    }

    static func plan(name: String, _ fields: [String: Any], base: Plan?) throws -> Plan {
        let known: Set<String> = [
            "images_per_day", "images_per_minute", "max_n", "max_megapixels", "models", "qualities", "sizes",
            "concurrent_jobs", "budget_usd", "budget_period", "unlimited_spend",
        ]
        for key in fields.keys where !known.contains(key) {
            throw ConfigError.invalid("plans.\(name).\(key)", "", "one of \(known.sorted().joined(separator: ", "))")
        }
        var plan = base ?? Plan(name: name, imagesPerDay: nil)
        func int(_ key: String) throws -> Int? {
            guard let value = fields[key] else { return nil }
            guard let int = value as? Int, int >= 0 else { throw ConfigError.invalid("plans.\(name).\(key)", "\(value)", "a whole number ≥ 0") }
            return int
        }
        if let value = try int("images_per_day") { plan.imagesPerDay = value }
        if let value = try int("images_per_minute") { plan.imagesPerMinute = value }
        if let value = try int("max_n") { plan.maxN = value }
        if let value = try int("max_batch_items") { plan.maxBatchItems = max(1, min(value, 10_000)) }
        if let value = try int("concurrent_jobs") { plan.concurrentJobs = value }
        if let value = fields["max_megapixels"] {
            guard let mp = (value as? Double) ?? (value as? Int).map(Double.init), mp > 0 else {
                throw ConfigError.invalid("plans.\(name).max_megapixels", "\(value)", "a positive number")
            }
            plan.maxPixels = Int(mp * 1_000_000)
        }
        if fields["models"] != nil { plan.models = strings(fields["models"]) }
        if fields["qualities"] != nil { plan.qualities = strings(fields["qualities"]) }
        if fields["sizes"] != nil { plan.sizes = strings(fields["sizes"]) }
        if let budget = try usd(fields["budget_usd"], "plans.\(name).budget_usd") { plan.budgetMicros = budget }
        if let period = fields["budget_period"] {
            guard let text = period as? String, let parsed = Plan.BudgetPeriod(rawValue: text) else {
                throw ConfigError.invalid("plans.\(name).budget_period", "\(period)", "none, daily or monthly")
            }
            plan.budgetPeriod = parsed
        }
        if let unlimited = fields["unlimited_spend"] as? Bool { plan.unlimitedSpend = unlimited }
        return plan
    }

    static func price(_ fields: [String: Any], path: String) throws -> ModelPrice {
        var price = ModelPrice(perImage: [:], tokens: nil)
        if let flat = try usd(fields["per_image_usd"], "\(path).per_image_usd") { price = .flat(flat) }
        if let table = fields["per_image"] as? [String: Any] {
            for (quality, value) in table {
                guard let pair = value as? [Any], pair.count == 2, let square = try usd(pair[0], "\(path).per_image.\(quality)"),
                    let wide = try usd(pair[1], "\(path).per_image.\(quality)")
                else {
                    throw ConfigError.invalid("\(path).per_image.\(quality)", "\(value)", "[price of 1024x1024, price of 1536x1024]")
                }
                price.perImage[quality] = (square, wide)
            }
        }
        if let tokens = fields["tokens_usd_per_million"] as? [String: Any] {
            price.tokens = .init(
                textIn: try usd(tokens["text_in"], "\(path).tokens_usd_per_million.text_in") ?? 0,
                imageIn: try usd(tokens["image_in"], "\(path).tokens_usd_per_million.image_in") ?? 0,
                imageOut: try usd(tokens["image_out"], "\(path).tokens_usd_per_million.image_out") ?? 0
            )
        }
        if price.perImage.isEmpty && price.tokens == nil {
            throw ConfigError.invalid(path, "", "per_image_usd, per_image or tokens_usd_per_million")
        }
        return price
    }
}
