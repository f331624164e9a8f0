import CEaselSystem
import EaselCore
import EaselImaging
import EaselStore
import Foundation
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle

/// Makes WebP thumbnails off the request path. Every finished job's images are queued as the job completes (a
/// draft with its decoded pixels, so it is never decoded; anything else is read back from the store, so the queue
/// holds no file bytes), and the gallery rarely meets a cold thumbnail; whatever the queue dropped is made on
/// the first request for it. Each asset's thumbnail is made at most once however many ask at the same time.
/// One thread at a lowered priority does the work, so thumbnails never take CPU from request handling.
public final class ThumbnailService: Service, Sendable {
    struct Work: Sendable {
        let asset: AssetRecord
        let source: Source
    }

    /// What a thumbnail is made from: pixels already decoded, or the stored file.
    public enum Source: Sendable {
        case pixels(RasterImage)
        case stored
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
        pool.submit { _ in _ = easel_lower_thread_priority(10) }
        // Bounded (a draft's pixels are 4 MB at 1024²): under a burst, older background work is dropped and
        // made lazily later instead.
        (queue, input) = AsyncStream<Work>.makeStream(bufferingPolicy: .bufferingNewest(32))
    }

    deinit { pool.shutdownGracefully { _ in } }

    /// Queues a thumbnail for an asset just stored.
    public func enqueue(_ asset: AssetRecord, from source: Source) {
        input.yield(Work(asset: asset, source: source))
    }

    public func run() async throws {
        await withGracefulShutdownHandler {
            for await work in queue {
                do {
                    _ = try await thumbnailKey(for: work.asset, from: work.source)
                } catch {
                    logger.warning("thumbnail failed", metadata: ["asset": "\(work.asset.id)", "error": "\(error)"])
                }
            }
        } onGracefulShutdown: {
            self.input.finish()
        }
    }

    /// The blob key of the asset's thumbnail, making it now if there is none.
    public func thumbnailKey(for asset: AssetRecord, from source: Source = .stored) async throws -> String {
        if let key = asset.thumbKey, try await blobs.exists(key: key) { return key }
        let task = inFlight.withLock { table -> Task<String, any Error> in
            if let running = table[asset.id] { return running }
            let made = Task { try await self.make(asset, from: source) }
            table[asset.id] = made
            return made
        }
        defer { inFlight.withLock { _ = $0.removeValue(forKey: asset.id) } }
        return try await task.value
    }

    private func make(_ asset: AssetRecord, from source: Source) async throws -> String {
        let webp: Data
        switch source {
        case .pixels(let raster):
            webp = try await pool.runIfActive { try Thumbnailer.webp(from: raster) }
        case .stored:
            guard let data = try await blobs.get(key: asset.blobKey) else { throw EaselError.notFound("file", id: asset.id) }
            webp = try await pool.runIfActive { try Thumbnailer.webp(fromEncoded: data) }
        }
        let ref = try await blobs.put(webp, fileExtension: "webp")
        try await assets.setThumbnail(assetID: asset.id, thumbKey: ref.key)
        return ref.key
    }
}
