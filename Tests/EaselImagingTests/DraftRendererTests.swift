import EaselCore
import EaselImaging
import Foundation
import Testing

@Suite("Draft renderer")
struct DraftRendererTests {
    let renderer = DraftRenderer()

    @Test func rendersPNGOfTheRequestedSize() throws {
        let output = try renderer.render(
            prompt: "a lighthouse at dusk, dark cinematic palette",
            seed: 7,
            options: .init(size: PixelSize(width: 320, height: 192), format: .png)
        )
        let info = try ImageHeader.decoding(output.data)
        #expect(info == ImageHeader(format: .png, width: 320, height: 192, hasAlpha: false))
        if let path = ProcessInfo.processInfo.environment["EASEL_DRAFT_SAMPLE"] {
            let big = try renderer.render(
                prompt: "a lighthouse at dusk, dark cinematic palette",
                seed: 7,
                options: .init(size: PixelSize(width: 1024, height: 1536), format: .png)
            )
            try big.data.write(to: URL(fileURLWithPath: path))
        }
    }

    @Test func isDeterministicForPromptSeedAndSize() throws {
        let options = DraftRenderer.Options(size: PixelSize(width: 128, height: 128), format: .png)
        let a = try renderer.render(prompt: "red mountains under a yellow sun", seed: 42, options: options)
        let b = try renderer.render(prompt: "red mountains under a yellow sun", seed: 42, options: options)
        let c = try renderer.render(prompt: "red mountains under a yellow sun", seed: 43, options: options)
        #expect(a.data == b.data)
        #expect(a.data != c.data)
    }

    @Test(arguments: [ImageFormat.png, .jpeg, .webp])
    func encodesEveryOutputFormat(format: ImageFormat) throws {
        let output = try renderer.render(
            prompt: "teal product bottle",
            seed: 1,
            options: .init(size: PixelSize(width: 64, height: 96), format: format, compression: format == .png ? nil : 60)
        )
        #expect(ImageFormat.sniff(output.data) == format)
        let info = try ImageHeader.decoding(output.data)
        #expect(info.width == 64 && info.height == 96)
    }

    @Test func transparentBackgroundKeepsAlpha() throws {
        let output = try renderer.render(
            prompt: "a blue circle",
            seed: 3,
            options: .init(size: PixelSize(width: 96, height: 96), format: .png, transparent: true)
        )
        let raster = try RasterImage.decode(output.data)
        #expect(raster.hasAlpha)
        let pixels = try raster.pixels()
        // Some pixel of the sky area is fully transparent.
        let alphas = stride(from: 3, to: pixels.count, by: 4).map { pixels[$0] }
        #expect(alphas.contains(0))
        #expect(alphas.contains(255))
    }

    @Test func compressionShrinksJPEG() throws {
        let size = PixelSize(width: 256, height: 256)
        let high = try renderer.render(prompt: "city skyline at night", seed: 5, options: .init(size: size, format: .jpeg, compression: 100))
        let low = try renderer.render(prompt: "city skyline at night", seed: 5, options: .init(size: size, format: .jpeg, compression: 10))
        #expect(low.data.count < high.data.count)
    }

    @Test func partialImagesGoFromCoarseToFine() throws {
        let recorder = Locked<[(Int, Data)]>([])
        let output = try renderer.render(
            prompt: "green forest by a lake",
            seed: 9,
            options: .init(size: PixelSize(width: 128, height: 128), format: .png, partialImages: 3)
        ) { index, data in recorder.withLock { $0.append((index, data)) } }
        let partials = recorder.current
        #expect(partials.map(\.0) == [0, 1, 2])
        // Coarser images carry less detail: their lossless size grows with each step.
        let sizes = partials.map(\.1.count) + [output.data.count]
        #expect(sizes == sizes.sorted())
        for (_, data) in partials {
            let info = try ImageHeader.decoding(data)
            #expect(info.width == 128 && info.height == 128)
        }
    }

    @Test func draftMarkIsDrawnInTheTopRightCorner() throws {
        // The mark's dark pill makes the top-right corner darker than the same area without it.
        let size = PixelSize(width: 256, height: 256)
        let output = try renderer.render(prompt: "white", seed: 1, options: .init(size: size, format: .png))
        let pixels = try RasterImage.decode(output.data).pixels()
        func luminance(x: Int, y: Int) -> Int {
            let i = (y * size.width + x) * 3
            return Int(pixels[i]) + Int(pixels[i + 1]) + Int(pixels[i + 2])
        }
        let corner = luminance(x: size.width - 12, y: 6)
        let sky = luminance(x: 10, y: 6)
        #expect(corner < sky - 150)
    }

    @Test func thumbnailFromPixelsIsSmallWebP() throws {
        let output = try renderer.render(prompt: "pink flowers", seed: 2, options: .init(size: PixelSize(width: 1024, height: 512), format: .png))
        let thumb = try Thumbnailer.webp(from: output.raster)
        let info = try ImageHeader.decoding(thumb)
        #expect(info.format == .webp)
        #expect(info.width == 256 && info.height == 128)
    }

    @Test func undecodableBytesAreReported() {
        #expect(throws: ImagingError.self) { try ImageHeader.decoding(Data("not an image".utf8)) }
        #expect(throws: ImagingError.self) { try RasterImage.decode(Data([0x89, 0x50, 0x4E, 0x47, 0, 0, 0])) }
    }
}
