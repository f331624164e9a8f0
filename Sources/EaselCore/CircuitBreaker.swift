/// Skips a provider after `threshold` consecutive failures, for `cooldownMs`; then lets one trial request
/// through (half-open): success closes the circuit, failure opens it again. Time comes in as a parameter.
public struct CircuitBreaker: Sendable, Equatable {
    public enum State: Sendable, Equatable {
        case closed(failures: Int)
        case open(until: Int64)
        case halfOpen(trialInFlight: Bool)
    }

    public let threshold: Int
    public let cooldownMs: Int64
    public private(set) var state: State = .closed(failures: 0)
    /// How many times the circuit opened, and closed again after being open: for metrics and tests.
    public private(set) var timesOpened = 0
    public private(set) var timesReclosed = 0

    public init(threshold: Int = 5, cooldownMs: Int64 = 30_000) {
        self.threshold = max(1, threshold)
        self.cooldownMs = cooldownMs
    }

    /// Whether a request may go to the provider now (taking the half-open trial slot if that is the case).
    public mutating func allow(now: Int64) -> Bool {
        switch state {
        case .closed: return true
        case .open(let until):
            guard now >= until else { return false }
            state = .halfOpen(trialInFlight: true)
            return true
        case .halfOpen(let inFlight):
            if inFlight { return false }
            state = .halfOpen(trialInFlight: true)
            return true
        }
    }

    public mutating func recordSuccess() {
        if case .closed = state {} else { timesReclosed += 1 }
        state = .closed(failures: 0)
    }

    public mutating func recordFailure(now: Int64) {
        switch state {
        case .closed(let failures):
            if failures + 1 >= threshold {
                state = .open(until: now + cooldownMs)
                timesOpened += 1
            } else {
                state = .closed(failures: failures + 1)
            }
        case .halfOpen:
            state = .open(until: now + cooldownMs)
            timesOpened += 1
        case .open:
            state = .open(until: now + cooldownMs)
        }
    }

    /// Milliseconds until a trial is allowed, when open.
    public func retryAfterMs(now: Int64) -> Int64? {
        if case .open(let until) = state { return max(0, until - now) }
        return nil
    }

    public var isOpen: Bool {
        if case .open = state { return true }
        return false
    }
}

/// An images-per-minute budget: a bucket of `capacity` tokens refilled continuously.
public struct TokenBucket: Sendable, Equatable {
    public let capacity: Double
    public let refillPerMs: Double
    public private(set) var tokens: Double
    private var lastRefill: Int64

    public init(perMinute: Int, now: Int64) {
        capacity = Double(max(1, perMinute))
        refillPerMs = Double(max(1, perMinute)) / 60_000
        tokens = capacity
        lastRefill = now
    }

    private mutating func refill(now: Int64) {
        if now > lastRefill {
            tokens = min(capacity, tokens + Double(now - lastRefill) * refillPerMs)
            lastRefill = now
        }
    }

    /// Takes `count` tokens if there are enough; otherwise returns how long until there will be.
    public mutating func take(_ count: Int, now: Int64) -> Int64? {
        refill(now: now)
        let need = min(Double(count), capacity)
        if tokens >= need {
            tokens -= need
            return nil
        }
        return Int64(((need - tokens) / refillPerMs).rounded(.up))
    }

    public mutating func available(now: Int64) -> Double {
        refill(now: now)
        return tokens
    }
}
