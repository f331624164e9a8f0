import EaselCore

/// Per-provider guards shared by every route that uses the provider: a concurrency limit, an
/// images-per-minute budget, and a circuit breaker.
public final class ProviderGate: Sendable {
    public struct Limits: Sendable, Hashable {
        public var concurrency: Int?
        public var imagesPerMinute: Int?
        public var breakerThreshold: Int
        public var breakerCooldownMs: Int64

        public init(concurrency: Int? = nil, imagesPerMinute: Int? = nil, breakerThreshold: Int = 5, breakerCooldownMs: Int64 = 30_000) {
            self.concurrency = concurrency
            self.imagesPerMinute = imagesPerMinute
            self.breakerThreshold = breakerThreshold
            self.breakerCooldownMs = breakerCooldownMs
        }
    }

    public let limits: Limits
    private let semaphore: AsyncSemaphore?
    private let bucket: Locked<TokenBucket>?
    private let breaker: Locked<CircuitBreaker>
    private let clock: any EaselClock

    public init(limits: Limits = Limits(), clock: any EaselClock = SystemClock()) {
        self.limits = limits
        self.clock = clock
        self.semaphore = limits.concurrency.map(AsyncSemaphore.init)
        self.bucket = limits.imagesPerMinute.map { Locked(TokenBucket(perMinute: $0, now: clock.nowMillis())) }
        self.breaker = Locked(CircuitBreaker(threshold: limits.breakerThreshold, cooldownMs: limits.breakerCooldownMs))
    }

    /// Whether the circuit lets a request through now (taking the half-open trial if so).
    func admit() -> Bool {
        let now = clock.nowMillis()
        return breaker.withLock { $0.allow(now: now) }
    }

    func breakerRetryAfterMs() -> Int64? {
        let now = clock.nowMillis()
        return breaker.withLock { $0.retryAfterMs(now: now) }
    }

    /// Whether `images` could be sent now without waiting for the per-minute budget.
    func hasBudget(for images: Int) -> Bool {
        guard let bucket else { return true }
        let now = clock.nowMillis()
        return bucket.withLock { $0.available(now: now) >= Double(min(images, Int($0.capacity))) }
    }

    /// Waits for a concurrency slot and the image budget.
    func acquire(images: Int) async throws {
        if let semaphore { try await semaphore.acquire() }
        guard let bucket else { return }
        while true {
            let now = clock.nowMillis()
            guard let wait = bucket.withLock({ $0.take(images, now: now) }) else { return }
            do {
                try await Task.sleep(for: .milliseconds(max(1, wait)))
            } catch {
                semaphore?.release()
                throw error
            }
        }
    }

    func release() {
        semaphore?.release()
    }

    func recordSuccess() {
        breaker.withLock { $0.recordSuccess() }
    }

    func recordFailure() {
        let now = clock.nowMillis()
        breaker.withLock { $0.recordFailure(now: now) }
    }

    public var breakerState: CircuitBreaker.State { breaker.withLock { $0.state } }
    /// The breaker as it stands, with how often it opened and closed again.
    public var breakerSnapshot: CircuitBreaker { breaker.withLock { $0 } }
}
