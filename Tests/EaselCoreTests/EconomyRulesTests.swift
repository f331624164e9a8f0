import EaselCore
import Testing

/// The pure rules under economy batches: the service tier's name, the batch price, the poll pause and the
/// streaming line splitter that reads provider output files.
@Suite("Economy rules")
struct EconomyRulesTests {
    @Test func serviceTierNamesAndRefusals() throws {
        #expect(try ServiceTier.read([:]) == .standard)
        #expect(try ServiceTier.read(["service_tier": .null]) == .standard)
        #expect(try ServiceTier.read(["service_tier": "auto"]) == .standard)
        #expect(try ServiceTier.read(["service_tier": "default"]) == .standard)
        #expect(try ServiceTier.read(["service_tier": "economy"]) == .economy)
        #expect(throws: EaselError.self) { try ServiceTier.read(["service_tier": "flex"]) }
        do {
            _ = try ServiceTier.read(["service_tier": 3])
            Issue.record("a number was taken as a tier")
        } catch {
            #expect(error.param == "service_tier")
        }
    }

    @Test func aBatchPriceIsAShareOfTheTableRoundedUp() {
        let price = ModelPrice.flat(40_001)
        #expect(price.scaled(percent: 100) == price)
        #expect(price.scaled(percent: 50) == .flat(20_001))
        #expect(ModelPrice.flat(3).scaled(percent: 50) == .flat(2))
        #expect(EconomyRoute.upstream(provider: "openai", pricePercent: 50).pricePercent == 50)
        #expect(EconomyRoute.local(reason: "no Batch API").pricePercent == 100)
    }

    @Test func pollPausesDoubleUpToTheirCap() {
        let pauses = (0..<8).map { UpstreamBatch.pollDelay(polls: $0, minMs: 30_000, maxMs: 600_000) }
        #expect(pauses == [30_000, 60_000, 120_000, 240_000, 480_000, 600_000, 600_000, 600_000])
        #expect(UpstreamBatch.pollDelay(polls: 10_000, minMs: 50, maxMs: 200) == 200)
        // A cap below the minimum is the minimum.
        #expect(UpstreamBatch.pollDelay(polls: 3, minMs: 500, maxMs: 100) == 500)
    }

    @Test func linesSplitTheSameWhereverTheChunksBreak() throws {
        let text = Array("{\"a\":1}\r\n\n{\"b\":\"two\"}\n{\"c\":3}".utf8)
        let expected = [Array("{\"a\":1}".utf8), Array("{\"b\":\"two\"}".utf8), Array("{\"c\":3}".utf8)]
        for cut in 0...text.count {
            for second in cut...text.count {
                var splitter = LineSplitter(maxLineBytes: 64)
                var lines = try splitter.feed(text[..<cut])
                lines += try splitter.feed(text[cut..<second])
                lines += try splitter.feed(text[second...])
                if let last = splitter.finish() { lines.append(last) }
                #expect(lines == expected, "cut at \(cut) and \(second)")
            }
        }
        // A collection without contiguous storage splits the same.
        var splitter = LineSplitter(maxLineBytes: 64)
        var lines = try splitter.feed(text.lazy.map { $0 })
        if let last = splitter.finish() { lines.append(last) }
        #expect(lines == expected)
    }

    @Test func aLineLongerThanTheLimitIsRefusedBeforeItIsHeld() throws {
        var splitter = LineSplitter(maxLineBytes: 8)
        #expect(try splitter.feed(Array("short\n".utf8)) == [Array("short".utf8)])
        _ = try splitter.feed(Array("12345".utf8))
        #expect(throws: LineSplitter.LineTooLong.self) { try splitter.feed(Array("6789".utf8)) }
        var fresh = LineSplitter(maxLineBytes: 8)
        #expect(throws: LineSplitter.LineTooLong.self) { try fresh.feed(Array("0123456789\n".utf8)) }
    }
}
