/// Exponential backoff with jitter for retryable failures.
public struct RetryPolicy: Sendable, Hashable {
    public var maxAttempts: Int
    /// Delay before the second attempt, in milliseconds; doubles per attempt.
    public var baseDelayMs: Int64
    public var maxDelayMs: Int64
    /// Fraction of the delay added or removed at random (0.5 = ±50 %).
    public var jitter: Double
    /// How long after it was made a job may still wait for a cooling-down provider without spending an
    /// attempt; older jobs spend one, so a provider that stays down fails them within their budget.
    public var maxDeferMs: Int64

    public init(maxAttempts: Int = 3, baseDelayMs: Int64 = 1000, maxDelayMs: Int64 = 120_000, jitter: Double = 0.5, maxDeferMs: Int64 = 300_000) {
        self.maxAttempts = maxAttempts
        self.baseDelayMs = baseDelayMs
        self.maxDelayMs = maxDelayMs
        self.jitter = jitter
        self.maxDeferMs = maxDeferMs
    }

    /// Delay after attempt number `attempt` (1-based) failed. A provider's `retry-after` wins when given,
    /// within the cap.
    public func delayMs(afterAttempt attempt: Int, retryAfterMs: Int64? = nil, using rng: inout some RandomNumberGenerator) -> Int64 {
        if let retryAfterMs { return min(max(0, retryAfterMs), maxDelayMs) }
        let exponent = min(max(attempt - 1, 0), 30)
        let base = min(baseDelayMs << Int64(exponent), maxDelayMs)
        let factor = 1 + Double.random(in: -jitter...jitter, using: &rng)
        return min(maxDelayMs, max(0, Int64(Double(base) * factor)))
    }

    public func shouldRetry(attempt: Int) -> Bool { attempt < maxAttempts }

    /// Whether a job made at `createdAt` that reached no provider waits again without spending its attempt.
    public func defersUnsentAttempt(createdAt: Int64, now: Int64) -> Bool { now - createdAt < maxDeferMs }
}
