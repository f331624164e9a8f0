import Foundation

/// Wall-clock time in milliseconds since 1970, injected so queue tests can step past leases and backoffs
/// without sleeping.
public protocol EaselClock: Sendable {
    func nowMillis() -> Int64
}

/// A clock tests move by hand.
public final class ManualClock: EaselClock, @unchecked Sendable {
    private let now: Locked<Int64>

    public init(millis: Int64 = 1_767_225_600_000) {  // 2026-01-01T00:00:00Z
        self.now = Locked(millis)
    }

    public func nowMillis() -> Int64 { now.current }

    public func advance(byMillis delta: Int64) {
        now.withLock { $0 += delta }
    }
}

/// The real clock.
public struct SystemClock: EaselClock {
    public init() {}

    public func nowMillis() -> Int64 {
        Int64((Date().timeIntervalSince1970 * 1000).rounded(.down))
    }
}
