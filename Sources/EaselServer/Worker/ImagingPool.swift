import EaselCore
import EaselImaging
import Foundation
import NIOPosix

/// CPU-bound image work of the platform itself (upscaling), on its own threads so it never blocks Swift's
/// cooperative pool.
public final class ImagingPool: Sendable {
    private let pool: NIOThreadPool
    let maxInputPixels: Int

    init(threads: Int, maxInputPixels: Int) {
        pool = NIOThreadPool(numberOfThreads: max(1, threads))
        pool.start()
        self.maxInputPixels = maxInputPixels
    }

    deinit { pool.shutdownGracefully { _ in } }

    func upscale(_ data: Data, factor: Int, format: ImageFormat) async throws -> DraftRenderer.Output {
        do {
            return try await pool.runIfActive { try Upscaler().upscale(data, factor: factor, format: format) }
        } catch let error as ImagingError {
            throw EaselError.invalidRequest("Could not upscale the image: \(error).", param: "factor", code: "upscale_failed")
        }
    }
}
