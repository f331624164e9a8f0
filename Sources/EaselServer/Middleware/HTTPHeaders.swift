import HTTPTypes

/// Header names Easel reads or sets.
extension HTTPField.Name {
    static let xRequestID = HTTPField.Name("x-request-id")!
    static let idempotencyKey = HTTPField.Name("Idempotency-Key")!
    static let xEaselJobID = HTTPField.Name("x-easel-job-id")!
    static let xEaselDraft = HTTPField.Name("x-easel-draft")!
    static let xAccelBuffering = HTTPField.Name("x-accel-buffering")!
}

extension HTTPField.Name {
    static let xRateLimitLimitImages = HTTPField.Name("x-ratelimit-limit-images")!
    static let xRateLimitRemainingImages = HTTPField.Name("x-ratelimit-remaining-images")!
    static let xRateLimitResetImages = HTTPField.Name("x-ratelimit-reset-images")!
    static let xEaselCostUSD = HTTPField.Name("x-easel-cost-usd")!
}

extension HTTPFields {
    /// `x-ratelimit-*-images` for a plan with a daily limit (none without one).
    init(rateLimit: RateLimitStatus?) {
        self.init()
        guard let rateLimit else { return }
        self[.xRateLimitLimitImages] = String(rateLimit.limit)
        self[.xRateLimitRemainingImages] = String(rateLimit.remaining)
        self[.xRateLimitResetImages] = "\(rateLimit.resetSeconds)s"
    }
}
