import EaselCore
import Foundation
import Testing

@Suite("Core rules")
struct CoreRulesTests {
    @Test func pixelSizeParsing() {
        #expect(PixelSize.parse("1536x1024") == PixelSize(width: 1536, height: 1024))
        #expect(PixelSize.parse("1536X1024") == PixelSize(width: 1536, height: 1024))
        for bad in ["", "x", "1024", "1024x", "x1024", "10 24x10", "1024x1024x1", "0x64", "+64x64", "64x64 ", "9999999x1"] {
            #expect(PixelSize.parse(bad) == nil, "\(bad)")
        }
        #expect(SizeSpec.parse("auto") == .auto)
    }

    @Test func idsAreWellFormedOrderedAndValidated() {
        let generator = IDGenerator(seed: 5)
        let ids = (0..<1000).map { _ in generator.make(prefix: "job", millis: 1_767_225_600_000) }
        #expect(ids == ids.sorted())
        #expect(Set(ids).count == ids.count)
        #expect(ids.allSatisfy { EaselID.isValid($0, prefix: "job") })
        let later = generator.make(prefix: "job", millis: 1_767_225_600_001)
        #expect(later > ids.last!)
        for bad in [
            "job_../../etc/passwd", "img_01M7ZJWJ091HH3DTWQYKQGDCVX", "job_01M7ZJWJ091HH3DTWQYKQGDCV", "job_01M7ZJWJ091HH3DTWQYKQGDCVU", "../x",
        ] {
            #expect(!EaselID.isValid(bad, prefix: "job"), "\(bad)")
        }
    }

    @Test func retryBackoffGrowsWithJitterAndHonoursRetryAfter() {
        let policy = RetryPolicy(maxAttempts: 4, baseDelayMs: 1000, maxDelayMs: 10_000, jitter: 0.5)
        var rng = SeededRandom(seed: 3)
        for attempt in 1...3 {
            let base = Double(1000 << (attempt - 1))
            for _ in 0..<50 {
                let delay = Double(policy.delayMs(afterAttempt: attempt, using: &rng))
                #expect(delay >= base * 0.5 && delay <= base * 1.5)
            }
        }
        #expect(policy.delayMs(afterAttempt: 20, using: &rng) <= 10_000)
        #expect(policy.delayMs(afterAttempt: 1, retryAfterMs: 2500, using: &rng) == 2500)
        #expect(policy.delayMs(afterAttempt: 1, retryAfterMs: 999_999, using: &rng) == 10_000)
        #expect(policy.shouldRetry(attempt: 3) && !policy.shouldRetry(attempt: 4))
    }

    @Test func jobStateMachine() {
        #expect(JobStatus.queued.canMove(to: .running))
        #expect(JobStatus.retryWait.canMove(to: .running))
        #expect(JobStatus.running.canMove(to: .retryWait))
        #expect(!JobStatus.succeeded.canMove(to: .running))
        #expect(!JobStatus.cancelled.canMove(to: .queued))
        #expect(JobStatus.allCases.filter(\.isTerminal) == [.succeeded, .failed, .cancelled])
        #expect(JobStatus.retryWait.rawValue == "retry_wait")
    }

    @Test func errorEnvelopeAlwaysHasFourKeys() throws {
        let error = EaselError.invalidRequest("bad", param: nil, code: nil)
        guard case .object(let outer) = error.envelope, case .object(let inner)? = outer["error"] else {
            Issue.record("not an envelope")
            return
        }
        #expect(Set(inner.keys) == ["message", "type", "param", "code"])
        #expect(inner["param"] == .null && inner["code"] == .null)
    }

    @Test func jsonWriterEscapesAndRoundTrips() throws {
        let value: JSONValue = .object([
            "a": "quote \" backslash \\ newline \n tab \t bell \u{07} é 🎨", "n": 12, "x": 1.5, "list": .array([.null, true]),
        ])
        let text = value.serializedString
        #expect(try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8)) == value)
        #expect(text.hasPrefix("{\"a\":"))
    }

    @Test func usageSharesAddUp() {
        let usage = ImageUsage(inputTextTokens: 10, inputImageTokens: 5, outputTokens: 101)
        let parts = (0..<3).map { usage.share($0, of: 3) }
        #expect(parts.map(\.outputTokens).reduce(0, +) == 101)
        #expect(parts.map(\.inputTokens).reduce(0, +) == 15)
        #expect(usage.totalTokens == 116)
    }

    @Test func imageFormatSniffing() {
        #expect(ImageFormat.sniff([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0]) == .png)
        #expect(ImageFormat.sniff([0xFF, 0xD8, 0xFF, 0xE0]) == .jpeg)
        #expect(ImageFormat.sniff(Array("RIFF\0\0\0\0WEBPVP8 ".utf8)) == .webp)
        #expect(ImageFormat.sniff(Array("GIF89a".utf8)) == nil)
    }
}

@Suite("JSON parser")
struct JSONParserTests {
    @Test func parsesWhatFoundationParses() throws {
        let text = #"{"a": [1, -2.5, 3e2, true, false, null], "s": "q\"\\\/\b\f\n\r\t\u00e9\ud83c\udfa8", "o": {}, "e": []}"#
        let ours = try JSONParser.parse(Array(text.utf8))
        let theirs = try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
        #expect(ours == theirs)
        #expect(ours["s"]?.stringValue == "q\"\\/\u{08}\u{0C}\n\r\té🎨")
    }

    @Test(arguments: [
        "", "{", "{\"a\" 1}", "[1,]", "{\"a\":1,}", "01", "1.", "-", "\"abc", "tru", "{} x", "\"\u{01}\"",
        "\"\\x\"", "\"\\ud800\"", "[" + String(repeating: "[", count: 300),
    ])
    func rejectsInvalidJSON(text: String) {
        #expect(throws: JSONParser.Failure.self) { try JSONParser.parse(Array(text.utf8)) }
    }
}

@Suite("Stored JSON")
struct StoredJSONTests {
    @Test func payloadRoundTrips() throws {
        var request = ImageRequest(
            prompt: "quote \" and é",
            model: "gpt-image-2",
            n: 3,
            size: .auto,
            resolvedSize: PixelSize(width: 1024, height: 1024),
            quality: "high",
            resolvedQuality: "high",
            background: .opaque,
            outputFormat: .webp,
            outputCompression: 55,
            moderation: "low",
            stream: true,
            partialImages: 2,
            responseFormat: .url,
            user: "u-1",
            seed: UInt64.max - 7
        )
        let payload = JobPayload(request: request, inputAssetIDs: ["img_a", "img_b"], maskAssetID: "img_m", parentAssetID: "img_p", upscaleFactor: 2)
        let text = payload.json.serializedString
        #expect(try JobPayload(json: try JSONParser.parse(Array(text.utf8))) == payload)
        request.outputCompression = nil
        request.user = nil
        #expect(try ImageRequest(json: request.json) == request)
    }

    @Test func resultAndErrorRoundTrip() throws {
        let result = JobResult(
            assetIDs: ["img_1"],
            usage: ImageUsage(inputTextTokens: 3, inputImageTokens: 4, outputTokens: 5, outputImageTokens: 5, outputTextTokens: 0),
            provider: "openai",
            isDraft: false,
            upstreamRequestID: "req_x"
        )
        #expect(try JobResult(json: result.json) == result)
        let error = JobError(
            status: 429,
            type: "rate_limit",
            code: "rate_limit_exceeded",
            param: nil,
            message: "m",
            retryable: true,
            upstreamRequestID: "r",
            provider: "p"
        )
        #expect(try JobError(json: error.json) == error)
        #expect(throws: StoredJSONError.self) { try JobError(json: .object([:])) }
        #expect(StoredJSONError.missing("x").description == "stored JSON lacks 'x'")
    }
}

@Suite("Aspect sets")
struct AspectSizeTests {
    static let aspects = ["1:1", "2:3", "3:2", "16:9", "9:16"].compactMap(AspectRatio.parse)

    @Test func parsesAspectRatios() {
        #expect(AspectRatio.parse("16:9") == AspectRatio(width: 16, height: 9))
        for bad in ["16x9", "0:1", ":9", "16:", "1:2:3", "abc", "1000:1", "-1:2", "١:٢"] {
            #expect(AspectRatio.parse(bad) == nil, "\(bad)")
        }
    }

    @Test(arguments: ModelCapabilities.builtIn)
    func everyAspectMapsToAValidSizeOfItsShape(caps: ModelCapabilities) {
        for aspect in Self.aspects {
            let size = caps.sizes.size(for: aspect, targetPixels: 1024 * 1024)
            #expect(caps.sizes.violation(for: size) == nil, "\(caps.id) \(aspect) → \(size)")
            // Same orientation as asked.
            if aspect.width > aspect.height { #expect(size.width > size.height, "\(caps.id) \(aspect) → \(size)") }
            if aspect.width < aspect.height { #expect(size.width < size.height, "\(caps.id) \(aspect) → \(size)") }
            if aspect.width == aspect.height { #expect(size.width == size.height, "\(caps.id) \(aspect) → \(size)") }
        }
    }

    @Test func fixedListsPickTheNearestShape() {
        let rule = ModelCapabilities.gptImage15.sizes
        let pick = { (text: String) in rule.size(for: AspectRatio.parse(text)!, targetPixels: 1024 * 1024).description }
        #expect(pick("1:1") == "1024x1024")
        #expect(pick("2:3") == "1024x1536")
        #expect(pick("3:2") == "1536x1024")
        #expect(pick("16:9") == "1536x1024")
        #expect(pick("9:16") == "1024x1536")
    }

    @Test func flexibleRulesFollowTheRatioClosely() {
        let rule = ModelCapabilities.gptImage2.sizes
        let wide = rule.size(for: AspectRatio.parse("16:9")!, targetPixels: 1024 * 1024)
        #expect(wide == PixelSize(width: 1360, height: 768))
        #expect(abs(Double(wide.width) / Double(wide.height) - 16.0 / 9.0) < 0.02)
        // Extreme ratios are clamped to the rule's 3:1 limit.
        let banner = rule.size(for: AspectRatio(width: 8, height: 1)!, targetPixels: 1024 * 1024)
        #expect(rule.violation(for: banner) == nil)
        #expect(abs(Double(banner.width) / Double(banner.height) - 3) < 0.05)
        // A target above the pixel budget is brought within it.
        let huge = rule.size(for: AspectRatio.parse("1:1")!, targetPixels: 20_000_000)
        #expect(rule.violation(for: huge) == nil)
    }

    @Test func editsKeepTheInputSizeWhenAllowed() {
        #expect(ModelCapabilities.easelDraft.sizes.size(matching: PixelSize(width: 640, height: 480)) == PixelSize(width: 640, height: 480))
        #expect(ModelCapabilities.gptImage15.sizes.size(matching: PixelSize(width: 640, height: 480)) == PixelSize(width: 1536, height: 1024))
        let odd = ModelCapabilities.easelDraft.sizes.size(matching: PixelSize(width: 641, height: 479))
        #expect(ModelCapabilities.easelDraft.sizes.violation(for: odd) == nil)
    }
}

@Suite("Prices and money")
struct PriceTests {
    /// openai-images-api.md §10, per image, USD: 1024x1024 / 1024x1536 / 1536x1024.
    static let published: [(String, String, [String])] = [
        ("gpt-image-2", "low", ["0.006", "0.005", "0.005"]), ("gpt-image-2", "medium", ["0.053", "0.041", "0.041"]),
        ("gpt-image-2", "high", ["0.211", "0.165", "0.165"]),
        ("gpt-image-1.5", "low", ["0.009", "0.013", "0.013"]), ("gpt-image-1.5", "medium", ["0.034", "0.05", "0.05"]),
        ("gpt-image-1.5", "high", ["0.133", "0.2", "0.2"]),
        ("gpt-image-1-mini", "low", ["0.005", "0.006", "0.006"]), ("gpt-image-1-mini", "medium", ["0.011", "0.015", "0.015"]),
        ("gpt-image-1-mini", "high", ["0.036", "0.052", "0.052"]),
    ]

    @Test func everyModelSizeAndQualityMatchesThePublishedTable() throws {
        let sizes = [PixelSize(width: 1024, height: 1024), PixelSize(width: 1024, height: 1536), PixelSize(width: 1536, height: 1024)]
        for (model, quality, prices) in Self.published {
            let price = try #require(PriceTable.builtIn.price(for: model))
            for (size, expected) in zip(sizes, prices) {
                #expect(price.image(quality: quality, size: size) == Money.parseUSD(expected), "\(model) \(quality) \(size)")
            }
        }
        #expect(PriceTable.builtIn.price(for: "easel-draft")?.image(quality: "high", size: PixelSize(width: 3840, height: 2160)) == 0)
    }

    @Test func estimatesAndSettlementsAreIntegerMicroDollars() {
        var request = ImageRequest(
            prompt: String(repeating: "a", count: 400),
            model: "gpt-image-1.5",
            n: 2,
            size: .fixed(PixelSize(width: 1536, height: 1024)),
            resolvedSize: PixelSize(width: 1536, height: 1024),
            quality: "high",
            resolvedQuality: "high"
        )
        // 2 × $0.20 + 101 text tokens at $5/M.
        #expect(PriceTable.builtIn.estimate(request) == 400_000 + 505)
        request.stream = true
        request.partialImages = 2
        // + 4 partial images × 100 tokens at $32/M.
        #expect(PriceTable.builtIn.estimate(request) == 400_000 + 505 + 12_800)
        // Settled from usage: 50 text in ($5/M), 0 image in, 6,208 image out ($32/M) = 250 + 198,656.
        let usage = ImageUsage(inputTextTokens: 50, outputTokens: 6208)
        #expect(PriceTable.builtIn.actual(request, usage: usage, images: 1) == 250 + 198_656)
        #expect(Money.usd(198_906) == "0.198906")
        #expect(Money.parseUSD("0.04") == 40_000)
        #expect(Money.parseUSD("12") == 12_000_000)
        #expect(Money.parseUSD("1.2345678") == nil)
        #expect(Money.parseUSD("abc") == nil)
        #expect(Money.usd(-5) == "-0.000005")
    }

    @Test func utcDaysAreCalendarDays() {
        #expect(UTCDay.string(millis: 0) == "1970-01-01")
        #expect(UTCDay.string(millis: 1_795_305_599_000) == "2026-11-21")
        #expect(UTCDay.month(millis: 1_795_305_599_000) == "2026-11")
        #expect(UTCDay.string(millis: 951_782_400_000) == "2000-02-29")
    }
}

@Suite struct ImageIntegrityTests {
    /// A whole PNG: signature, IHDR, one IDAT, IEND, each chunk with its CRC.
    static func png(corruptData: Bool = false, end: Bool = true) -> [UInt8] {
        func be(_ v: UInt32) -> [UInt8] { [24, 16, 8, 0].map { UInt8(truncatingIfNeeded: v >> $0) } }
        func chunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
            let body = Array(type.utf8) + data
            return be(UInt32(data.count)) + body + be(CRC32.checksum(body))
        }
        var idat = chunk("IDAT", [0x78, 0x9C, 0x63, 0x60, 0, 0, 0, 2, 0, 1])
        if corruptData { idat[10] ^= 0xFF }
        return [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + chunk("IHDR", be(1) + be(1) + [8, 0, 0, 0, 0]) + idat
            + (end ? chunk("IEND", []) : [])
    }

    @Test func wholeFilesPassAndDamagedOnesFail() {
        #expect(ImageIntegrity.isComplete(Self.png(), format: .png))
        #expect(!ImageIntegrity.isComplete(Self.png(corruptData: true), format: .png))
        #expect(!ImageIntegrity.isComplete(Self.png(end: false), format: .png))
        #expect(!ImageIntegrity.isComplete(Array(Self.png().dropLast(3)), format: .png))
        #expect(ImageIntegrity.isComplete([0xFF, 0xD8, 0xFF, 0xE0, 1, 2, 0xFF, 0xD9], format: .jpeg))
        #expect(ImageIntegrity.isComplete([0xFF, 0xD8, 0xFF, 0xE0, 1, 2, 0xFF, 0xD9, 0, 0], format: .jpeg))
        #expect(!ImageIntegrity.isComplete([0xFF, 0xD8, 0xFF, 0xE0, 1, 2, 3, 4], format: .jpeg))
        let webp: [UInt8] = Array("RIFF".utf8) + [8, 0, 0, 0] + Array("WEBPVP8 ".utf8)
        #expect(ImageIntegrity.isComplete(webp, format: .webp))
        #expect(!ImageIntegrity.isComplete(Array(webp.dropLast(2)), format: .webp))
    }
}

@Suite struct CRC32Tests {
    /// The textbook bit-at-a-time CRC-32, to hold the table-driven one to.
    static func bitwise(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
        }
        return ~crc
    }

    @Test func knownValuesAndEveryLengthAndAlignmentMatchTheDefinition() {
        #expect(CRC32.checksum(Array("123456789".utf8)) == 0xCBF4_3926)
        #expect(CRC32.checksum([UInt8]()) == 0)
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<300).map { _ in UInt8.random(in: 0...255, using: &generator) }
        for start in 0..<9 {
            for end in stride(from: start, through: bytes.count, by: 7) {
                let slice = bytes[start..<end]
                #expect(CRC32.checksum(slice) == Self.bitwise(Array(slice)))
            }
        }
        // A running checksum continues from its seed, as a ZIP writer uses it.
        #expect(CRC32.checksum(bytes[100...], seed: CRC32.checksum(bytes[..<100])) == Self.bitwise(bytes))
    }
}

@Suite struct JSONStringScanTests {
    /// The parser skips eight plain bytes a step: an escape, a closing quote or a control character must be
    /// seen wherever it falls in a step.
    @Test func escapesQuotesAndControlsAreFoundAtEveryOffset() throws {
        for offset in 0..<20 {
            let plain = String(repeating: "a", count: offset)
            #expect(try JSONParser.parse(Array("\"\(plain)\\n\(plain)\"".utf8)) == .string("\(plain)\n\(plain)"))
            #expect(try JSONParser.parse(Array("[\"\(plain)\",\"é\(plain)\"]".utf8)) == .array([.string(plain), .string("é\(plain)")]))
            #expect(throws: JSONParser.Failure.self) { try JSONParser.parse(Array("\"\(plain)\u{01}\(plain)\"".utf8)) }
            #expect(throws: JSONParser.Failure.self) { try JSONParser.parse(Array("\"\(plain)".utf8)) }
        }
    }
}
