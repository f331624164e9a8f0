import EaselCore
import EaselImaging
import Foundation
import NIOCore
import NIOPosix

/// The built-in offline provider (`easel-draft`). Rendering is CPU work, so it runs on its own small
/// thread pool (one thread per core) instead of blocking Swift's cooperative threads.
public final class DraftProvider: ImageProvider {
    public let name = "draft"
    private let renderer = DraftRenderer()
    private let editor = DraftEditor()
    /// Inputs decoding to more pixels than this are refused (the door checks headers first; this guards
    /// the decoder itself).
    public let maxInputPixels: Int
    private let pool: NIOThreadPool

    public init(threads: Int = System.coreCount, maxInputPixels: Int = 40_000_000) {
        self.maxInputPixels = maxInputPixels
        pool = NIOThreadPool(numberOfThreads: max(1, threads))
        pool.start()
    }

    deinit {
        pool.shutdownGracefully { _ in }
    }

    public func run(_ job: ProviderJob, onPartial: @escaping @Sendable (PartialImage) -> Void) async throws -> ProviderResult {
        let request = job.request
        let format = request.outputFormat
        if job.kind == .edit && job.inputs.isEmpty {
            throw ProviderError.editWithoutImage
        }
        var images: [ProviderImage] = []
        for index in 0..<request.n {
            try Task.checkCancellation()
            let options = DraftRenderer.Options(
                size: request.resolvedSize,
                format: format,
                compression: request.outputCompression,
                transparent: request.background == .transparent,
                partialImages: request.stream ? request.partialImages : 0
            )
            let seed = request.seed &+ UInt64(index)
            let renderer = self.renderer
            let editor = self.editor
            let (kind, input, mask, maxPixels) = (job.kind, job.inputs.first?.data, job.mask?.data, maxInputPixels)
            let output = try await pool.runIfActive {
                let partial: (Int, Data) -> Void = { partialIndex, data in
                    onPartial(PartialImage(imageIndex: index, partialIndex: partialIndex, data: data, format: format))
                }
                if kind == .edit, let input {
                    // The first image is the one edited (and the one a mask applies to), as at OpenAI.
                    return try editor.edit(
                        input: input,
                        mask: mask,
                        prompt: request.prompt,
                        seed: seed,
                        options: DraftEditor.Options(render: options, background: request.background, maxInputPixels: maxPixels),
                        onPartial: partial
                    )
                }
                return try renderer.render(prompt: request.prompt, seed: seed, options: options, onPartial: partial)
            }
            images.append(ProviderImage(data: output.data, format: format, size: output.size, raster: output.raster))
        }
        // Drafts use no model, so no tokens: usage is all zeros and the cost is nothing.
        return ProviderResult(images: images, usage: .zero, provider: name, isDraft: true)
    }
}
