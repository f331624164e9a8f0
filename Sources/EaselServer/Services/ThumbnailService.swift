import EaselCore
import EaselImaging
import EaselStore
import Foundation
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle

/// Makes WebP thumbnails off the request path: from pixels a provider already decoded (drafts), in the
/// background after the job is answered; for anything else lazily, on the first request for it.
public final class ThumbnailService: Service, Sendable {
    struct Work: Sendable {
        let asset: AssetRecord
        let raster: RasterImage?
    }

    private let assets: any AssetStore
    private let blobs: any BlobStore
    private let logger: Logger
    private let pool: NIOThreadPool
    private let queue: AsyncStream<Work>
    private let input: AsyncStream<Work>.Continuation
    /// One making per asset at a time, shared by everyone who asks.
    private let inFlight = Locked<[String: Task<String, any Error>]>([:])

    public init(assets: any AssetStore, blobs: any BlobStore, logger: Logger) {
        self.assets = assets
        self.blobs = blobs
        self.logger = logger
        self.pool = NIOThreadPool(numberOfThreads: 1)
        pool.start()
        // Bounded: under a burst, older background work is dropped and made lazily later instead.
        (queue, input) = AsyncStream<Work>.makeStream(bufferingPolicy: .bufferingNewest(256))
    }

    deinit { pool.shutdownGracefully { _ in } }

    /// Queues a thumbnail for an asset just stored.
    public func enqueue(_ asset: AssetRecord, raster: RasterImage?) {
        input.yield(Work(asset: asset, raster: raster))
    }

    public func run() async throws {
        await withGracefulShutdownHandler {
            for await work in queue {
                do {
                    _ = try await thumbnailKey(for: work.asset, raster: work.raster)
                } catch {
                    logger.warning("thumbnail failed", metadata: ["asset": "\(work.asset.id)", "error": "\(error)"])
                }
            }
        } onGracefulShutdown: {
            self.input.finish()
        }
    }

    /// The blob key of the asset's thumbnail, making it now if there is none.
    public func thumbnailKey(for asset: AssetRecord, raster: RasterImage? = nil) async throws -> String {
        if let key = asset.thumbKey, try await blobs.exists(key: key) { return key }
        let task = inFlight.withLock { table -> Task<String, any Error> in
            if let running = table[asset.id] { return running }
            let made = Task { try await self.make(asset, raster: raster) }
            table[asset.id] = made
            return made
        }
        defer { inFlight.withLock { _ = $0.removeValue(forKey: asset.id) } }
        return try await task.value
    }

    private func make(_ asset: AssetRecord, raster: RasterImage?) async throws -> String {
        let source: Data? = raster == nil ? try await blobs.get(key: asset.blobKey) : nil
        if raster == nil && source == nil { throw EaselError.notFound("file", id: asset.id) }
        let webp = try await pool.runIfActive { () throws -> Data in
            if let raster { return try Thumbnailer.webp(from: raster) }
            return try Thumbnailer.webp(fromEncoded: source!)
        }
        let ref = try await blobs.put(webp, fileExtension: "webp")
        try await assets.setThumbnail(assetID: asset.id, thumbKey: ref.key)
        return ref.key
    }
}
