/// A validated image-generation request, with every default resolved against the model's capabilities.
/// It is what a job stores and what a provider receives.
///
/// Stored in a copy-on-write box (like `JobRecord`): requests travel through many async frames, and a
/// 250-byte value inlined into each one made every waiting request's task larger.
@dynamicMemberLookup
public struct ImageRequest: Sendable, Hashable {
    public struct Fields: Sendable, Hashable {
        public var prompt: String
        public var model: String
        public var n: Int
        /// As asked (may be `auto`); `resolvedSize` is what gets rendered.
        public var size: SizeSpec
        public var resolvedSize: PixelSize
        public var quality: String
        public var resolvedQuality: String
        public var background: ImageBackground
        public var outputFormat: ImageFormat
        public var outputCompression: Int?
        public var moderation: String
        public var stream: Bool
        public var partialImages: Int
        public var responseFormat: ResponseFormat
        public var user: String?
        /// Seed for providers that take one (the draft renderer); recorded so a result can be reproduced.
        public var seed: UInt64
        /// Edits only: `high` or `low`, where the model lets it be chosen.
        public var inputFidelity: String?
    }

    @usableFromInline final class Box: @unchecked Sendable {
        // Written only through the subscript below, which copies the box first unless uniquely owned.
        @usableFromInline var fields: Fields
        @usableFromInline init(_ fields: Fields) { self.fields = fields }
    }

    @usableFromInline var box: Box

    // Inlinable so a field read compiles to a load in other modules, not a key path walk in the runtime.
    @inlinable public subscript<Value>(dynamicMember keyPath: WritableKeyPath<Fields, Value>) -> Value {
        get { box.fields[keyPath: keyPath] }
        set {
            if !isKnownUniquelyReferenced(&box) { box = Box(box.fields) }
            box.fields[keyPath: keyPath] = newValue
        }
    }

    public init(
        prompt: String,
        model: String,
        n: Int = 1,
        size: SizeSpec = .auto,
        resolvedSize: PixelSize,
        quality: String = "auto",
        resolvedQuality: String = "medium",
        background: ImageBackground = .auto,
        outputFormat: ImageFormat = .png,
        outputCompression: Int? = nil,
        moderation: String = "auto",
        stream: Bool = false,
        partialImages: Int = 0,
        responseFormat: ResponseFormat = .b64JSON,
        user: String? = nil,
        seed: UInt64 = 0,
        inputFidelity: String? = nil
    ) {
        box = Box(
            Fields(
                prompt: prompt,
                model: model,
                n: n,
                size: size,
                resolvedSize: resolvedSize,
                quality: quality,
                resolvedQuality: resolvedQuality,
                background: background,
                outputFormat: outputFormat,
                outputCompression: outputCompression,
                moderation: moderation,
                stream: stream,
                partialImages: partialImages,
                responseFormat: responseFormat,
                user: user,
                seed: seed,
                inputFidelity: inputFidelity
            )
        )
    }

    public static func == (lhs: ImageRequest, rhs: ImageRequest) -> Bool { lhs.box === rhs.box || lhs.box.fields == rhs.box.fields }
    public func hash(into hasher: inout Hasher) { box.fields.hash(into: &hasher) }

    /// `background` as delivered: `auto` becomes `opaque` unless transparency was asked for.
    public var resolvedBackground: ImageBackground { self.background == .transparent ? .transparent : .opaque }

    public var mimeType: String { self.outputFormat.mimeType }
}

/// The `background` of a request.
public enum ImageBackground: String, Sendable, Hashable, CaseIterable {
    case auto, opaque, transparent
}

/// How the synchronous door hands images back: inline base64 or a signed URL.
public enum ResponseFormat: String, Sendable, Hashable, CaseIterable {
    case b64JSON = "b64_json"
    case url
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

extension ImageRequest {
    /// The brief as request fields, so it can be re-run through the parser with some fields changed
    /// (variations, promotions, session turns) and be checked against the rules of the model it goes to.
    public var briefFields: [String: JSONValue] {
        var fields: [String: JSONValue] = [
            "prompt": .string(self.prompt),
            "model": .string(self.model),
            "n": .int(self.n),
            "size": .string(self.size.description),
            "quality": .string(self.quality),
            "background": .string(self.background.rawValue),
            "output_format": .string(self.outputFormat.rawValue),
            "moderation": .string(self.moderation),
            "seed": .number(Double(self.seed)),
        ]
        if let compression = self.outputCompression { fields["output_compression"] = .int(compression) }
        if let user = self.user { fields["user"] = .string(user) }
        if let fidelity = self.inputFidelity { fields["input_fidelity"] = .string(fidelity) }
        return fields
    }
}
