import Foundation

/// Easel ids: a short type prefix and a 26-character, time-ordered, Crockford base-32 body (ULID layout),
/// e.g. `job_01JD3Z8Q4W5N6P7R8S9T0V1W2X`. Time order keeps FIFO cheap; the strict shape lets every route
/// reject path tricks like `../` before touching storage.
public enum EaselID {
    static let alphabet = Array("0123456789ABCDEFGHJKMNPQRSTVWXYZ".utf8)

    public static func make(prefix: String, millis: Int64, random: UInt64, random2: UInt16) -> String {
        var chars = [UInt8](repeating: 0, count: 26)
        var time = UInt64(max(0, millis))
        for index in stride(from: 9, through: 0, by: -1) {
            chars[index] = alphabet[Int(time & 31)]
            time >>= 5
        }
        // 80 bits of randomness: 64 + 16.
        var high = random
        var low = UInt64(random2)
        for index in stride(from: 25, through: 10, by: -1) {
            chars[index] = alphabet[Int(low & 31)]
            low = (low >> 5) | ((high & 31) << 11)
            high >>= 5
        }
        return prefix + "_" + String(decoding: chars, as: UTF8.self)
    }

    /// True when `id` has the given prefix and a well-formed body.
    public static func isValid(_ id: String, prefix: String) -> Bool {
        let utf8 = Array(id.utf8)
        let head = Array((prefix + "_").utf8)
        guard utf8.count == head.count + 26, utf8.starts(with: head) else { return false }
        return utf8[head.count...].allSatisfy { alphabet.contains($0) }
    }
}

/// Makes ids that sort by creation time, strictly increasing within one generator even inside one
/// millisecond, so jobs queued in one burst keep their order.
public final class IDGenerator: @unchecked Sendable {
    private let lock = NSLock()
    private var lastMillis: Int64 = 0
    private var lastRandom: UInt64 = 0
    private var lastRandom2: UInt16 = 0
    private var rng: SeededRandom

    public init(seed: UInt64) {
        self.rng = SeededRandom(seed: seed)
    }

    public func make(prefix: String, millis: Int64) -> String {
        lock.lock()
        defer { lock.unlock() }
        if millis <= lastMillis {
            // Same (or earlier) millisecond: increment the random part to stay monotonic.
            lastRandom2 &+= 1
            if lastRandom2 == 0 { lastRandom &+= 1 }
        } else {
            lastMillis = millis
            lastRandom = rng.next() >> 1  // leave headroom so increments never wrap
            lastRandom2 = UInt16(truncatingIfNeeded: rng.next())
        }
        return EaselID.make(prefix: prefix, millis: lastMillis, random: lastRandom, random2: lastRandom2)
    }
}
