import EaselCore
import EaselImaging
import Foundation
import Testing

@Suite("Draft edits and upscaling")
struct DraftEditorTests {
    let size = PixelSize(width: 256, height: 192)
    let hole = (x: 64..<160, y: 32..<128)

    func input() throws -> Data {
        try DraftRenderer().render(prompt: "blue harbour with boats at noon", seed: 3, options: .init(size: size, format: .png)).data
    }

    /// A mask: transparent (edit here) inside `hole`, opaque or half-transparent (keep) elsewhere.
    func mask() throws -> Data {
        var pixels = [UInt8](repeating: 255, count: size.pixels * 4)
        for y in 0..<size.height {
            for x in 0..<size.width {
                let i = (y * size.width + x) * 4
                if hole.x.contains(x) && hole.y.contains(y) { pixels[i + 3] = 0 } else if x < 16 { pixels[i + 3] = 128 }
            }
        }
        return try ImageEncoder.encode(try RasterImage.fromPixels(pixels, width: size.width, height: size.height, bands: 4), format: .png)
    }

    func rgb(_ data: Data) throws -> [UInt8] {
        let pixels = try RasterImage.decode(data).pixels()
        #expect(pixels.count == size.pixels * 3)
        return pixels
    }

    @Test func maskedEditChangesOnlyTransparentPixels() throws {
        let source = try input()
        let output = try DraftEditor().edit(
            input: source,
            mask: try mask(),
            prompt: "a red lighthouse",
            seed: 9,
            options: .init(render: .init(size: size, format: .png))
        )
        #expect(output.size == size)
        let before = try rgb(source)
        let after = try rgb(output.data)
        var changedInside = 0
        var changedOutside = 0
        for y in 0..<size.height {
            for x in 0..<size.width {
                let i = (y * size.width + x) * 3
                let same = before[i] == after[i] && before[i + 1] == after[i + 1] && before[i + 2] == after[i + 2]
                if hole.x.contains(x) && hole.y.contains(y) {
                    if !same { changedInside += 1 }
                } else if !same {
                    changedOutside += 1
                }
            }
        }
        #expect(changedOutside == 0, "every pixel outside the mask's transparent area is identical")
        #expect(changedInside > (hole.x.count * hole.y.count) / 2, "the transparent area was re-rendered")
    }

    @Test func unmaskedEditRestylesButKeepsTheLayout() throws {
        let source = try input()
        let other = try DraftRenderer().render(prompt: "green forest at night", seed: 77, options: .init(size: size, format: .png)).data
        let output = try DraftEditor().edit(
            input: source,
            mask: nil,
            prompt: "warm orange sunset palette",
            seed: 1,
            options: .init(render: .init(size: size, format: .png))
        )
        let before = try rgb(source)
        let after = try rgb(output.data)
        let unrelated = try rgb(other)
        #expect(before != after)
        // Luminance structure follows the input far more than it follows an unrelated picture.
        let kept = Self.lumaCorrelation(before, after)
        let baseline = Self.lumaCorrelation(unrelated, after)
        #expect(kept > 0.6)
        #expect(kept > baseline + 0.3)
    }

    @Test func editOutputIsDeterministic() throws {
        let source = try input()
        let mask = try mask()
        let options = DraftEditor.Options(render: .init(size: size, format: .png))
        let a = try DraftEditor().edit(input: source, mask: mask, prompt: "a red lighthouse", seed: 9, options: options)
        let b = try DraftEditor().edit(input: source, mask: mask, prompt: "a red lighthouse", seed: 9, options: options)
        #expect(a.data == b.data)
    }

    @Test func upscaleDoublesTheDimensions() throws {
        let source = try input()
        let output = try Upscaler().upscale(source, factor: 2, format: .png)
        let info = try ImageHeader.decoding(output.data)
        #expect(info.width == size.width * 2 && info.height == size.height * 2)
        #expect(info.format == .png)
        #expect(Upscaler.violation(for: PixelSize(width: 3840, height: 3840), factor: 4) != nil)
        #expect(Upscaler.violation(for: PixelSize(width: 1024, height: 1024), factor: 4) == nil)
    }

    static func lumaCorrelation(_ a: [UInt8], _ b: [UInt8]) -> Double {
        func luma(_ p: [UInt8]) -> [Double] {
            stride(from: 0, to: p.count, by: 3).map { (i: Int) -> Double in
                let r = 0.2126 * Double(p[i])
                let g = 0.7152 * Double(p[i + 1])
                let b = 0.0722 * Double(p[i + 2])
                return r + g + b
            }
        }
        let x = luma(a)
        let y = luma(b)
        let mx = x.reduce(0, +) / Double(x.count)
        let my = y.reduce(0, +) / Double(y.count)
        var sxy = 0.0
        var sxx = 0.0
        var syy = 0.0
        for i in x.indices {
            sxy += (x[i] - mx) * (y[i] - my)
            sxx += (x[i] - mx) * (x[i] - mx)
            syy += (y[i] - my) * (y[i] - my)
        }
        return sxy / max(1e-9, (sxx * syy).squareRoot())
    }
}
