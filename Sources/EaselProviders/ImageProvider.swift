import EaselCore
import EaselImaging
import Foundation

/// One image a provider returned.
public struct ProviderImage: Sendable {
    public var data: Data
    public var format: ImageFormat
    public var size: PixelSize
    /// The decoded pixels when the provider already has them (the draft renderer), so a thumbnail
    /// costs no second decode.
    public var raster: RasterImage?

    public init(data: Data, format: ImageFormat, size: PixelSize, raster: RasterImage? = nil) {
        self.data = data
        self.format = format
        self.size = size
        self.raster = raster
    }
}

public struct ProviderResult: Sendable {
    public var images: [ProviderImage]
    public var usage: ImageUsage?
    /// Which provider served it (after routing and fallbacks).
    public var provider: String
    public var isDraft: Bool
    public var upstreamRequestID: String?

    public init(images: [ProviderImage], usage: ImageUsage?, provider: String, isDraft: Bool, upstreamRequestID: String? = nil) {
        self.images = images
        self.usage = usage
        self.provider = provider
        self.isDraft = isDraft
        self.upstreamRequestID = upstreamRequestID
    }
}

/// A partial image streamed while a picture is being made.
public struct PartialImage: Sendable {
    public var imageIndex: Int
    public var partialIndex: Int
    public var data: Data
    public var format: ImageFormat

    public init(imageIndex: Int, partialIndex: Int, data: Data, format: ImageFormat) {
        self.imageIndex = imageIndex
        self.partialIndex = partialIndex
        self.data = data
        self.format = format
    }
}

/// A failure, classified so the queue knows whether another attempt can help.
public struct ProviderError: Error, Sendable, CustomStringConvertible {
    public var error: JobError
    /// The provider asked for this pause before a retry (`retry-after`).
    public var retryAfterMs: Int64?

    public init(_ error: JobError, retryAfterMs: Int64? = nil) {
        self.error = error
        self.retryAfterMs = retryAfterMs
    }

    public var retryable: Bool { error.retryable }
    public var description: String { "\(error.provider ?? "provider"): \(error.status) \(error.code ?? "-") \(error.message)" }
}

/// What the worker hands a provider.
public struct ProviderJob: Sendable {
    public var id: String
    public var request: ImageRequest
    public var attempt: Int

    public init(id: String, request: ImageRequest, attempt: Int) {
        self.id = id
        self.request = request
        self.attempt = attempt
    }
}

/// Something that makes images. Providers never touch the database or the blob store: they take a
/// request and return bytes; the worker stores them.
public protocol ImageProvider: Sendable {
    var name: String { get }
    func generate(_ job: ProviderJob, onPartial: @escaping @Sendable (PartialImage) -> Void) async throws -> ProviderResult
}
