import EaselCore
import Foundation
import HTTPTypes
import Hummingbird

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
    static let easelCache = HTTPField.Name("Easel-Cache")!
    static let xEaselCache = HTTPField.Name("x-easel-cache")!
}

extension HTTPFields {
    /// With `x-easel-cache: hit | joined | miss` when the request allowed the cache.
    func adding(cache outcome: JobService.CacheOutcome?) -> HTTPFields {
        var fields = self
        if let outcome { fields[.xEaselCache] = outcome.rawValue }
        return fields
    }
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

extension Request {
    /// `Easel-Cache: reuse`: the caller allows an identical earlier image.
    var wantsCachedImage: Bool { headers[.easelCache]?.lowercased().trimmingCharacters(in: .whitespaces) == CacheMode.reuse.rawValue }
}
