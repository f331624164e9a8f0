/// A validated image-generation request, with every default resolved against the model's capabilities.
/// It is what a job stores and what a provider receives.
public struct ImageRequest: Sendable, Hashable, Codable {
    public var prompt: String
    public var model: String
    public var n: Int
    /// As asked (may be `auto`); `resolvedSize` is what gets rendered.
    public var size: SizeSpec
    public var resolvedSize: PixelSize
    public var quality: String
    public var resolvedQuality: String
    public var background: String
    public var outputFormat: String
    public var outputCompression: Int?
    public var moderation: String
    public var stream: Bool
    public var partialImages: Int
    public var responseFormat: String
    public var user: String?
    /// Seed for providers that take one (the draft renderer); recorded so a result can be reproduced.
    public var seed: UInt64
    /// Edits only: `high` or `low`, where the model lets it be chosen.
    public var inputFidelity: String?

    public init(
        prompt: String, model: String, n: Int = 1, size: SizeSpec = .auto, resolvedSize: PixelSize,
        quality: String = "auto", resolvedQuality: String = "medium", background: String = "auto",
        outputFormat: String = "png", outputCompression: Int? = nil, moderation: String = "auto",
        stream: Bool = false, partialImages: Int = 0, responseFormat: String = "b64_json", user: String? = nil,
        seed: UInt64 = 0, inputFidelity: String? = nil
    ) {
        self.prompt = prompt
        self.model = model
        self.n = n
        self.size = size
        self.resolvedSize = resolvedSize
        self.quality = quality
        self.resolvedQuality = resolvedQuality
        self.background = background
        self.outputFormat = outputFormat
        self.outputCompression = outputCompression
        self.moderation = moderation
        self.stream = stream
        self.partialImages = partialImages
        self.responseFormat = responseFormat
        self.user = user
        self.seed = seed
        self.inputFidelity = inputFidelity
    }

    /// `background` as delivered: `auto` becomes `opaque` unless transparency was asked for.
    public var resolvedBackground: String { background == "transparent" ? "transparent" : "opaque" }

    public var mimeType: String { ImageFormat(rawValue: outputFormat)?.mimeType ?? "application/octet-stream" }
}

public enum ImageFormat: String, Sendable, Codable, CaseIterable {
    case png, jpeg, webp

    public var mimeType: String {
        switch self {
        case .png: "image/png"
        case .jpeg: "image/jpeg"
        case .webp: "image/webp"
        }
    }

    public var fileExtension: String { self == .jpeg ? "jpg" : rawValue }

    /// Detects the format from the first bytes of a file, never trusting a declared type.
    public static func sniff(_ bytes: some Collection<UInt8>) -> ImageFormat? {
        let head = Array(bytes.prefix(12))
        if head.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) { return .png }
        if head.starts(with: [0xFF, 0xD8, 0xFF]) { return .jpeg }
        if head.count >= 12, head[0..<4] == [0x52, 0x49, 0x46, 0x46], head[8..<12] == [0x57, 0x45, 0x42, 0x50] {
            return .webp
        }
        return nil
    }
}
