import EaselCore
import NIOCore

/// A token bucket per client address, in memory and per process: `burst` calls at once, then `perHour`
/// refilled evenly over the hour. It remembers at most `maxAddresses` addresses; past that it forgets the
/// ones whose bucket is full again (they are indistinguishable from new ones), then the least recently
/// seen, so an attacker cycling addresses cannot grow it without bound.
final class AddressRateLimiter: Sendable {
    /// Tokens an address has left, as of `updated` (milliseconds).
    private struct Bucket {
        var tokens: Double
        var updated: Int64
    }

    let burst: Int
    let perHour: Int
    let maxAddresses: Int
    private let clock: any EaselClock
    private let buckets = Locked<[String: Bucket]>([:])

    /// `perHour` 0 turns the limit off.
    init(burst: Int, perHour: Int, maxAddresses: Int = 10_000, clock: any EaselClock) {
        self.burst = max(1, burst)
        self.perHour = perHour
        self.maxAddresses = max(1, maxAddresses)
        self.clock = clock
    }

    private var refillPerMs: Double { Double(perHour) / 3_600_000 }

    /// Takes a token for `address`: nil when allowed, else the whole seconds until one is free.
    func take(_ address: String) -> Int? {
        guard perHour > 0 else { return nil }
        let now = clock.nowMillis()
        return buckets.withLock { buckets in
            var bucket = buckets[address] ?? Bucket(tokens: Double(burst), updated: now)
            bucket.tokens = refilled(bucket, now: now)
            bucket.updated = now
            let allowed = bucket.tokens >= 1
            if allowed { bucket.tokens -= 1 }
            if buckets[address] == nil && buckets.count >= maxAddresses { forget(in: &buckets, now: now) }
            buckets[address] = bucket
            return allowed ? nil : max(1, Int(((1 - bucket.tokens) / refillPerMs / 1000).rounded(.up)))
        }
    }

    /// Addresses remembered now (for tests of the bound).
    var count: Int { buckets.withLock { $0.count } }

    private func refilled(_ bucket: Bucket, now: Int64) -> Double {
        min(Double(burst), bucket.tokens + Double(max(0, now - bucket.updated)) * refillPerMs)
    }

    /// Makes room: drops every full bucket, and if that frees nothing, the least recently seen quarter
    /// (a quarter at once keeps the sort rare under a flood of new addresses).
    private func forget(in buckets: inout [String: Bucket], now: Int64) {
        buckets = buckets.filter { refilled($0.value, now: now) < Double(burst) }
        guard buckets.count >= maxAddresses else { return }
        let oldest = buckets.sorted { $0.value.updated < $1.value.updated }.prefix(max(1, maxAddresses / 4))
        for (address, _) in oldest { buckets[address] = nil }
    }

    /// The key a connection's peer is limited under. IPv6 clients are grouped by their /64, which one
    /// subscriber usually holds whole; IPv4-mapped IPv6 addresses count as the IPv4 address.
    static func key(for address: SocketAddress?) -> String {
        switch address {
        case .v4?:
            return address?.ipAddress ?? "unknown"
        case .v6(let v6)?:
            let bytes = withUnsafeBytes(of: v6.address.sin6_addr) { Array($0) }
            if bytes[0..<10].allSatisfy({ $0 == 0 }) && bytes[10] == 0xff && bytes[11] == 0xff {
                return bytes[12...].map(String.init).joined(separator: ".")
            }
            let groups = stride(from: 0, to: 8, by: 2).map { String(UInt16(bytes[$0]) << 8 | UInt16(bytes[$0 + 1]), radix: 16) }
            return groups.joined(separator: ":") + "::/64"
        case .unixDomainSocket?, nil:
            return "local"
        }
    }
}
