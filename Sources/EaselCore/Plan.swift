/// What a user may do: images per day, per request and per minute, how large, with which models, and how
/// much money. Checked at admission; a request outside the plan is refused before anything is reserved.
public struct Plan: Sendable, Hashable {
    public enum BudgetPeriod: String, Sendable, Hashable {
        case none, daily, monthly
    }

    public var name: String
    /// nil = no daily limit.
    public var imagesPerDay: Int?
    public var imagesPerMinute: Int?
    public var maxN: Int
    public var maxPixels: Int?
    /// nil = every routed model.
    public var models: [String]?
    public var qualities: [String]?
    public var sizes: [String]?
    public var concurrentJobs: Int?
    /// The balance is topped up to this at the start of each period (credits above it are kept).
    public var budgetMicros: Int64?
    public var budgetPeriod: BudgetPeriod
    /// Spending is recorded but never limited (operators' own service keys).
    public var unlimitedSpend: Bool
    /// Items one batch may expand to.
    public var maxBatchItems: Int

    public init(
        name: String,
        imagesPerDay: Int?,
        imagesPerMinute: Int? = nil,
        maxN: Int = 10,
        maxPixels: Int? = nil,
        models: [String]? = nil,
        qualities: [String]? = nil,
        sizes: [String]? = nil,
        concurrentJobs: Int? = nil,
        budgetMicros: Int64? = nil,
        budgetPeriod: BudgetPeriod = .none,
        unlimitedSpend: Bool = false,
        maxBatchItems: Int = 100
    ) {
        self.name = name
        self.imagesPerDay = imagesPerDay
        self.imagesPerMinute = imagesPerMinute
        self.maxN = maxN
        self.maxPixels = maxPixels
        self.models = models
        self.qualities = qualities
        self.sizes = sizes
        self.concurrentJobs = concurrentJobs
        self.budgetMicros = budgetMicros
        self.budgetPeriod = budgetPeriod
        self.unlimitedSpend = unlimitedSpend
        self.maxBatchItems = maxBatchItems
    }

    /// The product brief's defaults: guests try the free draft renderer; registered and premium users
    /// spend credits an admin grants.
    public static let guest = Plan(
        name: "guest",
        imagesPerDay: 3,
        imagesPerMinute: 3,
        maxN: 1,
        maxPixels: 1_048_576,
        models: ["easel-draft"],
        qualities: ["low", "medium", "auto"],
        concurrentJobs: 1,
        maxBatchItems: 3
    )
    public static let registered = Plan(
        name: "registered",
        imagesPerDay: 20,
        imagesPerMinute: 10,
        maxN: 4,
        maxPixels: 4_194_304,
        concurrentJobs: 4
    )
    public static let premium = Plan(
        name: "premium",
        imagesPerDay: 200,
        imagesPerMinute: 60,
        maxN: 10,
        maxPixels: 8_294_400,
        concurrentJobs: 16,
        maxBatchItems: 1000
    )
    /// For admins and service keys: no image limits; spending recorded, not limited.
    public static let unlimited = Plan(name: "unlimited", imagesPerDay: nil, unlimitedSpend: true, maxBatchItems: 10_000)

    public static let defaults: [String: Plan] = [
        "guest": .guest, "registered": .registered, "premium": .premium, "unlimited": .unlimited,
    ]

    /// Nothing to hold back at admission: no daily or per-minute limit, no concurrency cap, no budget.
    public var limitsNothing: Bool {
        imagesPerDay == nil && imagesPerMinute == nil && concurrentJobs == nil && unlimitedSpend && budgetMicros == nil
    }

    /// 403 in OpenAI's envelope when the plan does not allow this request.
    public func check(_ request: ImageRequest) throws(EaselError) {
        func refuse(_ message: String, param: String) -> EaselError {
            EaselError(
                status: 403,
                type: "invalid_request_error",
                code: "not_allowed_by_plan",
                param: param,
                message: message + " (plan '\(name)')"
            )
        }
        if let models, !models.contains(request.model) {
            throw refuse("Your plan does not include the model '\(request.model)'. Allowed: \(models.joined(separator: ", ")).", param: "model")
        }
        if request.n > maxN {
            throw refuse("Your plan allows at most \(maxN) image\(maxN == 1 ? "" : "s") per request, not \(request.n).", param: "n")
        }
        if let qualities, !qualities.contains(request.quality), !qualities.contains(request.resolvedQuality) {
            throw refuse("Your plan does not include quality '\(request.quality)'. Allowed: \(qualities.joined(separator: ", ")).", param: "quality")
        }
        if let sizes, !sizes.contains(request.size.description), !sizes.contains(request.resolvedSize.description) {
            throw refuse("Your plan does not include size '\(request.size)'. Allowed: \(sizes.joined(separator: ", ")).", param: "size")
        }
        if let maxPixels, request.resolvedSize.pixels > maxPixels {
            let megapixels = Double(maxPixels) / 1_000_000
            throw refuse(
                "Images on your plan may have at most \((megapixels * 100).rounded() / 100) megapixels; \(request.resolvedSize) has more.",
                param: "size"
            )
        }
    }
}
