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
    /// The image in base64 as the provider sent it, kept so an answer in base64 need not encode it again.
    public var base64: String?

    public init(data: Data, format: ImageFormat, size: PixelSize, raster: RasterImage? = nil, base64: String? = nil) {
        self.data = data
        self.format = format
        self.size = size
        self.raster = raster
        self.base64 = base64
    }
}

public struct ProviderResult: Sendable {
    public var images: [ProviderImage]
    public var usage: ImageUsage?
    /// Which provider served it (after routing and fallbacks).
    public var provider: String
    public var isDraft: Bool
    public var upstreamRequestID: String?
    /// Errors of providers tried before this one in the same attempt (fallbacks).
    public var fallbackErrors: [JobError] = []
    /// The prompt as the provider rewrote it, when it says (the Responses API does).
    public var revisedPrompt: String?

    public init(images: [ProviderImage], usage: ImageUsage?, provider: String, isDraft: Bool, upstreamRequestID: String? = nil) {
        self.images = images
        self.usage = usage
        self.provider = provider
        self.isDraft = isDraft
        self.upstreamRequestID = upstreamRequestID
    }
}

/// A failure, classified so the queue knows whether another attempt can help.
public struct ProviderError: Error, Sendable, CustomStringConvertible {
    public var error: JobError
    /// The provider asked for this pause before a retry (`retry-after`).
    public var retryAfterMs: Int64?
    /// Errors of providers tried earlier in the same attempt (fallbacks), oldest first.
    public var fallbackErrors: [JobError] = []
    /// No provider was called (each was cooling down or at its limit), so the attempt cost nothing upstream.
    public var nothingSent = false

    public init(_ error: JobError, retryAfterMs: Int64? = nil) {
        self.error = error
        self.retryAfterMs = retryAfterMs
    }

    public var retryable: Bool { error.retryable }

    /// An edit job reached a provider without its input image (it cannot come back: fail, do not retry).
    public static let editWithoutImage = ProviderError(
        JobError(
            status: 400,
            type: "invalid_request_error",
            code: "missing_required_parameter",
            param: "image",
            message: "An edit needs at least one image.",
            retryable: false
        )
    )

    /// Whether another provider of the route may succeed where this one failed: provider-side trouble
    /// (outages, rate limits, a rejected key, a missing model, an empty account), never a bad request or a
    /// moderation block, which any provider would refuse too.
    public var allowsFallback: Bool {
        if error.retryable { return true }
        if [401, 403, 404].contains(error.status) { return true }
        return ["insufficient_quota", "billing_hard_limit_reached", "circuit_open", "provider_rate_limited"].contains(error.code ?? "")
    }
    public var description: String { "\(error.provider ?? "provider"): \(error.status) \(error.code ?? "-") \(error.message)" }
}

/// An input image of an edit, with the bytes the worker read from the asset store.
public struct ProviderInputImage: Sendable {
    public var data: Data
    public var format: ImageFormat
    public var width: Int
    public var height: Int

    public init(data: Data, format: ImageFormat, width: Int, height: Int) {
        self.data = data
        self.format = format
        self.width = width
        self.height = height
    }
}

/// What the worker hands a provider.
public struct ProviderJob: Sendable {
    public var id: String
    public var kind: JobKind
    public var request: ImageRequest
    /// Edits: the images to edit (the first one is the one a mask applies to), and the mask.
    public var inputs: [ProviderInputImage]
    public var mask: ProviderInputImage?
    public var attempt: Int
    /// The model name to send upstream (routes may map names); set by the router.
    public var upstreamModel: String
    /// The routed model's capabilities, for per-model request shaping.
    public var capabilities: ModelCapabilities?
    /// Set for a Responses API turn on a route that forwards it: the mainline model to send it to.
    public var responsesModel: String?

    public init(
        id: String,
        kind: JobKind = .generate,
        request: ImageRequest,
        inputs: [ProviderInputImage] = [],
        mask: ProviderInputImage? = nil,
        attempt: Int,
        upstreamModel: String? = nil,
        capabilities: ModelCapabilities? = nil
    ) {
        self.id = id
        self.kind = kind
        self.request = request
        self.inputs = inputs
        self.mask = mask
        self.attempt = attempt
        self.upstreamModel = upstreamModel ?? request.model
        self.capabilities = capabilities
    }
}

/// Something that makes images. Providers never touch the database or the blob store: they take a
/// request (and input bytes for edits) and return bytes; the worker stores them.
public protocol ImageProvider: Sendable {
    var name: String { get }
    func run(_ job: ProviderJob, onPartial: @escaping @Sendable (PartialImage) -> Void) async throws -> ProviderResult
}
