/// Webhooks: an account's endpoints, the events they hear, and each delivery's record. Deliveries are signed
/// as the Standard Webhooks specification says and carry ids and links, never image bytes or keys.
public enum WebhookEvent {
    /// What an endpoint may subscribe to.
    public static let all = [
        "job.succeeded", "job.failed", "job.cancelled", "batch.completed", "review.approved", "review.rejected",
        "review.changes_requested",
    ]
    /// Sent only by `POST /api/webhooks/{id}/test`.
    public static let test = "webhook.test"
}

public struct WebhookEndpoint: Sendable, Hashable {
    public var id: String
    public var userID: String
    public var url: String
    public var events: [String]
    public var description: String?
    public var createdAt: Int64
    public var disabledAt: Int64?
    public var disabledReason: String?
    public var consecutiveFailures: Int
    /// Made by a request's `webhook_url`: it hears only the jobs and batches that named it.
    public var adHoc: Bool

    public init(
        id: String,
        userID: String,
        url: String,
        events: [String],
        description: String?,
        createdAt: Int64,
        disabledAt: Int64? = nil,
        disabledReason: String? = nil,
        consecutiveFailures: Int = 0,
        adHoc: Bool = false
    ) {
        self.id = id
        self.userID = userID
        self.url = url
        self.events = events
        self.description = description
        self.createdAt = createdAt
        self.disabledAt = disabledAt
        self.disabledReason = disabledReason
        self.consecutiveFailures = consecutiveFailures
        self.adHoc = adHoc
    }

    /// The events as stored: `,a,b,` so one `LIKE '%,event,%'` matches on both engines.
    public static func storedEvents(_ events: [String]) -> String { "," + events.joined(separator: ",") + "," }
    public static func events(stored: String) -> [String] { stored.split(separator: ",").map(String.init) }
}

public struct WebhookDelivery: Sendable, Hashable {
    public enum Status: String, Sendable {
        case pending, delivered, failed
    }

    public var id: String
    public var endpointID: String
    public var userID: String
    public var event: String
    /// The job, batch or asset the event is about.
    public var subjectID: String
    public var status: Status
    public var attempts: Int
    public var nextAttemptAt: Int64?
    public var lastStatus: Int?
    public var lastError: String?
    public var lastLatencyMs: Int?
    public var deliveredAt: Int64?
    public var createdAt: Int64

    public init(
        id: String,
        endpointID: String,
        userID: String,
        event: String,
        subjectID: String,
        status: Status = .pending,
        attempts: Int = 0,
        nextAttemptAt: Int64?,
        lastStatus: Int? = nil,
        lastError: String? = nil,
        lastLatencyMs: Int? = nil,
        deliveredAt: Int64? = nil,
        createdAt: Int64
    ) {
        self.id = id
        self.endpointID = endpointID
        self.userID = userID
        self.event = event
        self.subjectID = subjectID
        self.status = status
        self.attempts = attempts
        self.nextAttemptAt = nextAttemptAt
        self.lastStatus = lastStatus
        self.lastError = lastError
        self.lastLatencyMs = lastLatencyMs
        self.deliveredAt = deliveredAt
        self.createdAt = createdAt
    }
}

/// When to try a failed delivery again: exponential from 5 s, at most an hour apart, ±20 % jitter, never
/// sooner than the receiver's `Retry-After`; after a day of trying, the delivery has failed.
public enum WebhookRetry {
    public static let giveUpAfterMs: Int64 = 24 * 3_600_000
    public static let maxDelayMs: Int64 = 3_600_000
    /// An endpoint whose deliveries fail this many times in a row is disabled.
    public static let disableAfterFailures = 15

    /// `attempt` counts from 1 (the attempt that just failed); `unit` in [0, 1) is the jitter's draw.
    public static func delayMs(attempt: Int, retryAfterSeconds: Int?, unit: Double, baseMs: Int64 = 5_000) -> Int64 {
        let exponential = Double(baseMs) * pow2(min(attempt - 1, 20))
        let jittered = Int64(min(exponential, Double(maxDelayMs)) * (0.8 + 0.4 * unit))
        let asked = Int64(retryAfterSeconds ?? 0) * 1000
        return min(max(jittered, asked), maxDelayMs)
    }

    static func pow2(_ exponent: Int) -> Double { Double(1 << exponent) }
}

/// Which addresses a webhook may reach: never loopback, private, link-local (the cloud metadata address
/// among them), carrier-grade NAT, unspecified or multicast ones, unless the operator's allow-list names them.
public struct WebhookAddressPolicy: Sendable {
    /// IPv4/IPv6 addresses or CIDR ranges (`127.0.0.1`, `10.0.0.0/8`) allowed anyway.
    public var allowed: [String]

    public init(allowed: [String] = []) {
        self.allowed = allowed
    }

    /// Why `address` (an IP in text) may not be reached; nil when it may.
    public func refusal(_ address: String) -> String? {
        guard let bytes = Self.bytes(address) else { return "'\(address)' is not an IP address" }
        if allowed.contains(where: { Self.matches(bytes, $0) }) { return nil }
        if let name = Self.forbiddenRange(bytes) { return "\(address) is a \(name) address" }
        return nil
    }

    static let forbidden: [(String, String)] = [
        ("0.0.0.0/8", "unspecified"), ("127.0.0.0/8", "loopback"), ("10.0.0.0/8", "private"), ("172.16.0.0/12", "private"),
        ("192.168.0.0/16", "private"), ("169.254.0.0/16", "link-local (cloud metadata)"), ("100.64.0.0/10", "carrier-grade NAT"),
        ("224.0.0.0/4", "multicast"), ("240.0.0.0/4", "reserved"), ("::/128", "unspecified"), ("::1/128", "loopback"),
        ("fc00::/7", "private"), ("fe80::/10", "link-local"), ("ff00::/8", "multicast"), ("::ffff:0:0/96", "IPv4-mapped"),
    ]

    static func forbiddenRange(_ bytes: [UInt8]) -> String? {
        forbidden.first { matches(bytes, $0.0) }?.1
    }

    /// Whether `bytes` lies in `entry` (an address or a CIDR range of the same family).
    static func matches(_ bytes: [UInt8], _ entry: String) -> Bool {
        let parts = entry.split(separator: "/", maxSplits: 1)
        guard let network = self.bytes(String(parts[0])), network.count == bytes.count else { return false }
        let prefix = parts.count == 2 ? Int(parts[1]) ?? -1 : network.count * 8
        guard (0...network.count * 8).contains(prefix) else { return false }
        for bit in 0..<prefix {
            let mask = UInt8(0x80) >> UInt8(bit % 8)
            if bytes[bit / 8] & mask != network[bit / 8] & mask { return false }
        }
        return true
    }

    /// The address's bytes: 4 for IPv4, 16 for IPv6 (with `::` and an IPv4 tail); nil when it is neither.
    public static func bytes(_ text: String) -> [UInt8]? {
        if !text.contains(":") {
            let parts = text.split(separator: ".", omittingEmptySubsequences: false)
            guard parts.count == 4 else { return nil }
            var out: [UInt8] = []
            for part in parts {
                guard !part.isEmpty, part.count <= 3, part.allSatisfy(\.isNumber), let value = UInt8(part) else { return nil }
                out.append(value)
            }
            return out
        }
        var text = Substring(text)
        if text.hasPrefix("[") && text.hasSuffix("]") { text = text.dropFirst().dropLast() }
        if let zone = text.firstIndex(of: "%") { text = text[..<zone] }
        var tail: [UInt8] = []
        if let last = text.split(separator: ":", omittingEmptySubsequences: false).last, last.contains(".") {
            guard let v4 = bytes(String(last)) else { return nil }
            tail = v4
            text = text.dropLast(last.count)
            if text.hasSuffix(":") && !text.hasSuffix("::") { text = text.dropLast() }
        }
        let halves = text.components(separatedBy: "::")
        guard halves.count <= 2 else { return nil }
        func groups(_ part: String) -> [UInt16]? {
            if part.isEmpty { return [] }
            var out: [UInt16] = []
            for group in part.split(separator: ":", omittingEmptySubsequences: false) {
                guard (1...4).contains(group.count), let value = UInt16(group, radix: 16) else { return nil }
                out.append(value)
            }
            return out
        }
        guard let head = groups(halves[0]) else { return nil }
        let rest = halves.count == 2 ? groups(halves[1]) : []
        guard let rest else { return nil }
        let needed = 8 - tail.count / 2
        var all = head
        if halves.count == 2 {
            guard head.count + rest.count < needed else { return nil }
            all += Array(repeating: 0, count: needed - head.count - rest.count) + rest
        }
        guard all.count == needed else { return nil }
        return all.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xff)] } + tail
    }
}
