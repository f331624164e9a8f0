import EaselCore
import EaselMultipart
import Foundation
import Testing

/// What the fuzzers found, each pinned by the behaviour it broke (the inputs are also `crash-…` corpus files).
@Suite("Fuzz findings")
struct FuzzFindingsTests {
    func png(width: UInt32, height: UInt32) -> [UInt8] {
        func be32(_ value: UInt32) -> [UInt8] { [24, 16, 8, 0].map { UInt8(truncatingIfNeeded: value >> $0) } }
        return [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + be32(13) + Array("IHDR".utf8) + be32(width) + be32(height)
            + [8, 6, 0, 0, 0, 0, 0, 0, 0]
    }

    @Test func pngSidesBeyondTheFormatAreRefusedNotMultipliedIntoATrap() throws {
        #expect(ImageHeader.read(png(width: 0x7FFF_FFFF, height: 1))?.width == 0x7FFF_FFFF)
        #expect(ImageHeader.read(png(width: 0x8000_0000, height: 1)) == nil)
        // Both sides at 2^32 - 1 made the upload check's pixel count overflow: the server stopped.
        let error = #expect(throws: EaselError.self) { try EditInputRules().inspect(png(width: .max, height: .max), param: "image") }
        #expect(error?.code == "invalid_image")
    }

    @Test func lossyWebPWithAZeroSideIsRefused() {
        let header: [UInt8] = Array("RIFF".utf8) + [30, 0, 0, 0] + Array("WEBPVP8 ".utf8) + [14, 0, 0, 0, 0x70, 1, 0, 0x9D, 1, 0x2A]
        #expect(ImageHeader.read(header + [42, 0, 0, 0])?.width == nil)
        #expect(ImageHeader.read(header + [42, 0, 7, 0]) == ImageHeader(format: .webp, width: 42, height: 7, hasAlpha: false))
    }

    @Test func jsonWritesKeysInOneOrderWhateverTheirNormalisation() throws {
        // "e\u{301}" and "\u{e9}z" compare neither way with String's `<`: sorting with it wrote either order.
        let value = try JSONParser.parse(Array(#"{"\u00e9z":2,"e\u0301":1,"a":0}"#.utf8))
        #expect(value.serializedString == "{\"a\":0,\"e\u{301}\":1,\"\u{e9}z\":2}")
    }

    @Test func csvWritesWhatItReadsBack() throws {
        let rows = [["crlf\r\ninside"], ["a quote\"\u{301} with a mark"], [",\u{301}"], ["\u{FEFF}leading mark"]]
        for header in [["a"], ["\u{FEFF}name"]] {
            let written = CSVTable.write(header: header, rows: rows)
            let read = try CSVTable(bytes: Array(written.utf8), maxRows: 10)
            #expect(read.header == header)
            #expect(read.rows == rows)
        }
    }

    @Test func multipartRefusesANonASCIIHeaderNameInsteadOfTrapping() async throws {
        let body = Data("--b\r\nContent-Disposition: form-data; name=\"a\"\r\n\u{94}x: y\r\n\r\n1\r\n--b--\r\n".utf8)
        await #expect(throws: MultipartError.malformed("a part's header name is not ASCII")) {
            try await MultipartReader.read(body, boundary: "b")
        }
        // Non-ASCII header values (a filename) and bodies still pass.
        let upload = Data("--b\r\nContent-Disposition: form-data; name=\"f\"; filename=\"été.png\"\r\n\r\n\u{94}\r\n--b--\r\n".utf8)
        let parts = try await MultipartReader.read(upload, boundary: "b")
        #expect(parts.map(\.filename) == ["été.png"])
        #expect(parts.first?.text == "\u{94}")
    }

    @Test func multipartRefusesABodyCutOffInItsLastPart() async throws {
        let complete = "--b\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n--b\r\nContent-Disposition: form-data; name=\"f\"\r\n\r\nxyz"
        for cut in [complete, complete + "\r\n--b", complete + "\r\n--b\r", complete + "\r\n--b\r\n"] {
            await #expect(throws: MultipartError.malformed("the body ended before the closing boundary")) {
                try await MultipartReader.read(Data(cut.utf8), boundary: "b")
            }
        }
        let parts = try await MultipartReader.read(Data((complete + "\r\n--b--").utf8), boundary: "b")
        #expect(parts.map(\.name) == ["a", "f"])
    }

    @Test(.timeLimit(.minutes(1)))
    func variantCountsStayFastWithManyOptions() throws {
        let options = Array(repeating: "a", count: 1500).joined(separator: "|")
        // The count was a pass per k over every option: cubic, minutes for this.
        #expect(try Variants("{-$$\(options)}", param: "p").combinations == Int.max)
        #expect(try Variants("{2$$\(options)}", param: "p").combinations == 1500 * 1499 / 2)
        #expect(try Variants("{1500$$\(options)}", param: "p").combinations == 1)
        #expect(try Variants("{1-3$$a|b {c|d}|e}", param: "p").combinations == Variants("{1-3$$a|b {c|d}|e}", param: "p").all().count)
    }
}
