/// What one model accepts. Requests are validated against this before a job is created, so a job in the
/// queue always carries parameters its provider can serve.
public struct ModelCapabilities: Sendable, Hashable {
    public var id: String
    /// Sizes accepted besides `auto`.
    public var sizes: SizeRule
    public var qualities: [String]
    public var outputFormats: [ImageFormat]
    public var supportsTransparentBackground: Bool
    public var maxImages: Int
    public var maxPromptLength: Int
    public var supportsStreaming: Bool
    public var supportsEdits: Bool
    public var supportsMask: Bool
    public var supportsInputFidelity: Bool
    public var maxInputImages: Int
    /// True for Easel's offline renderer: its output is a labelled draft, never model output.
    public var isDraft: Bool
    /// Who serves it, as shown by `GET /v1/models` (`owned_by`).
    public var ownedBy: String
    /// Responses API turns on this route go upstream whole to the provider's `/v1/responses` (the route's
    /// `responses: forward`); otherwise Easel runs each turn itself through the Images API.
    public var forwardsResponses = false

    public init(
        id: String,
        sizes: SizeRule,
        qualities: [String] = ["low", "medium", "high", "auto"],
        outputFormats: [ImageFormat] = ImageFormat.allCases,
        supportsTransparentBackground: Bool = true,
        maxImages: Int = 10,
        maxPromptLength: Int = 32000,
        supportsStreaming: Bool = true,
        supportsEdits: Bool = true,
        supportsMask: Bool = true,
        supportsInputFidelity: Bool = true,
        maxInputImages: Int = 16,
        isDraft: Bool = false,
        ownedBy: String = "openai"
    ) {
        self.id = id
        self.sizes = sizes
        self.qualities = qualities
        self.outputFormats = outputFormats
        self.supportsTransparentBackground = supportsTransparentBackground
        self.maxImages = maxImages
        self.maxPromptLength = maxPromptLength
        self.supportsStreaming = supportsStreaming
        self.supportsEdits = supportsEdits
        self.supportsMask = supportsMask
        self.supportsInputFidelity = supportsInputFidelity
        self.maxInputImages = maxInputImages
        self.isDraft = isDraft
        self.ownedBy = ownedBy
    }

    /// `quality: auto` resolves to this.
    public var defaultQuality: String { qualities.contains("medium") ? "medium" : qualities.first ?? "auto" }
}

extension ModelCapabilities {
    public static let standardGPTImageSizes: [PixelSize] = [
        PixelSize(width: 1024, height: 1024), PixelSize(width: 1536, height: 1024), PixelSize(width: 1024, height: 1536),
    ]

    /// Easel's offline draft renderer: any size with edges multiple of 16 from 64 to 3840, a superset of
    /// gpt-image-2's rules so cheap previews can use every size a final render can.
    public static let easelDraft = ModelCapabilities(
        id: "easel-draft",
        sizes: .flexible(FlexibleSizeRule(multiple: 16, minEdge: 64, maxEdge: 3840)),
        isDraft: true,
        ownedBy: "easel"
    )

    /// gpt-image-2: flexible sizes (openai-images-api.md §3.3); no `input_fidelity`; transparency unsupported
    /// (the guide and SDK 2.40 say it errors; the spec calls it preview) so Easel refuses it up front.
    public static let gptImage2 = ModelCapabilities(
        id: "gpt-image-2",
        sizes: .flexible(
            FlexibleSizeRule(
                multiple: 16,
                minEdge: 16,
                maxEdge: 3840,
                maxAspectRatio: 3,
                minPixels: 655_360,
                maxPixels: 8_294_400
            )
        ),
        supportsTransparentBackground: false,
        supportsInputFidelity: false
    )

    public static let gptImage15 = ModelCapabilities(id: "gpt-image-1.5", sizes: .fixed(standardGPTImageSizes))
    public static let gptImage1Mini = ModelCapabilities(
        id: "gpt-image-1-mini",
        sizes: .fixed(standardGPTImageSizes),
        supportsInputFidelity: false
    )
    public static let chatGPTImageLatest = ModelCapabilities(
        id: "chatgpt-image-latest",
        sizes: .fixed(standardGPTImageSizes)
    )

    /// Every model Easel knows the rules of.
    public static let builtIn: [ModelCapabilities] = [easelDraft, gptImage2, gptImage15, gptImage1Mini, chatGPTImageLatest]
}
