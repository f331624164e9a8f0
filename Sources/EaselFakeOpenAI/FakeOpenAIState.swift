import EaselCore
import Foundation

/// A request the fake server received, as the wire carried it (the key itself is never kept).
public struct RecordedRequest: Sendable {
    public struct File: Sendable {
        public var field: String
        public var filename: String?
        public var contentType: String?
        public var bytes: Int
        public var sniffed: ImageFormat?
    }

    public var path: String
    public var contentType: String?
    public var accept: String?
    public var hadAuthorization: Bool
    public var headers: [String: String]
    /// Generations: the JSON body.
    public var json: JSONValue?
    /// Edits: text fields in order, then files in order.
    public var fields: [(String, String)]
    public var files: [File]
}

/// Everything the fake server remembers: accepted keys, latency, queued faults, and what it was sent.
public final class FakeOpenAIState: Sendable {
    private struct Storage {
        var faults: [FakeFault] = []
        var requests: [RecordedRequest] = []
        var served = 0
        var latencyMs = 0
        var chaos: Chaos?
        var played: [String: Int] = [:]
    }

    /// Faults at random on a share of image requests, from a seeded generator.
    struct Chaos {
        var rate: Double
        var mix: [FakeFault]
        var random: SeededRandom
    }

    /// Keys the server accepts; empty accepts any non-empty key.
    public let keys: Set<String>
    /// Files and batches (the Files and Batch APIs).
    public let batches = FakeBatchStore()
    private let storage = Locked(Storage())

    public init(keys: Set<String> = [], latencyMs: Int = 0) {
        self.keys = keys
        storage.withLock { $0.latencyMs = latencyMs }
    }

    /// Queues faults for the next requests, in order.
    public func inject(_ faults: [FakeFault]) {
        storage.withLock { $0.faults.append(contentsOf: faults) }
    }

    public func clearFaults() { storage.withLock { $0.faults.removeAll() } }

    public var latencyMs: Int {
        get { storage.withLock { $0.latencyMs } }
        set { storage.withLock { $0.latencyMs = newValue } }
    }

    /// Turns chaos mode on: each image request then fails with probability `rate`, with one of every kind of
    /// failure in equal shares (queued faults still come first). A rate of 0 turns it off.
    public func setChaos(rate: Double, seed: UInt64, hangMs: Int) {
        storage.withLock {
            $0.chaos = rate > 0 ? Chaos(rate: min(rate, 1), mix: FakeFault.chaosMix(hangMs: hangMs), random: SeededRandom(seed: seed)) : nil
        }
    }

    /// Faults played so far, by kind.
    public var playedFaults: [String: Int] { storage.withLock { $0.played } }

    /// The next queued fault or, for image requests in chaos mode, a random one.
    func nextFault(chaos: Bool) -> FakeFault? {
        storage.withLock { storage -> FakeFault? in
            var fault: FakeFault?
            if !storage.faults.isEmpty {
                fault = storage.faults.removeFirst()
            } else if chaos, var mode = storage.chaos {
                if mode.random.unit() < mode.rate { fault = mode.mix[Int(mode.random.next() % UInt64(mode.mix.count))] }
                storage.chaos = mode
            }
            if let fault { storage.played[fault.name, default: 0] += 1 }
            return fault
        }
    }

    func record(_ request: RecordedRequest) -> Int {
        storage.withLock { storage -> Int in
            storage.requests.append(request)
            if storage.requests.count > 1000 { storage.requests.removeFirst(storage.requests.count - 1000) }
            storage.served += 1
            return storage.served
        }
    }

    /// Requests received, oldest first (the last 1000).
    public var requests: [RecordedRequest] { storage.withLock { $0.requests } }
    public var requestCount: Int { storage.withLock { $0.served } }
    public func clearRequests() { storage.withLock { $0.requests.removeAll() } }
}
