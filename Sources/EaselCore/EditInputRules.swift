/// What Easel knows of an edit's input file before decoding it (from its header).
public struct EditInputInfo: Sendable, Hashable {
    public var format: ImageFormat
    public var width: Int
    public var height: Int
    public var hasAlpha: Bool
    public var bytes: Int

    public init(format: ImageFormat, width: Int, height: Int, hasAlpha: Bool, bytes: Int) {
        self.format = format
        self.width = width
        self.height = height
        self.hasAlpha = hasAlpha
        self.bytes = bytes
    }

    public init(_ header: ImageHeader, bytes: Int) {
        self.init(format: header.format, width: header.width, height: header.height, hasAlpha: header.hasAlpha, bytes: bytes)
    }

    public var size: PixelSize { PixelSize(width: width, height: height) }
}

/// The rules every edit's inputs must meet (openai-images-api.md §4), each failing with its own `param`.
public struct EditInputRules: Sendable {
    /// OpenAI's per-file limit for GPT image models.
    public var maxFileBytes: Int
    /// Decoded pixels per input, at most: a small file can still decode to gigabytes (a decompression bomb).
    public var maxInputPixels: Int

    public init(maxFileBytes: Int = 50 * 1024 * 1024, maxInputPixels: Int = 40_000_000) {
        self.maxFileBytes = maxFileBytes
        self.maxInputPixels = maxInputPixels
    }

    /// Checks one file's bytes: a PNG, JPEG or WebP by its magic bytes (never by a declared type), within the
    /// size and pixel limits. `param` names the field (`image`, `image[]`, `mask`, `images[2]`).
    public func inspect(_ bytes: [UInt8], param: String) throws(EaselError) -> EditInputInfo {
        if bytes.count > maxFileBytes {
            throw .invalidRequest(
                "The file in '\(param)' is \(bytes.count) bytes; each image must be at most \(maxFileBytes / (1024 * 1024)) MB.",
                param: param,
                code: "file_too_large"
            )
        }
        guard let format = ImageFormat.sniff(bytes) else {
            throw .invalidRequest(
                "The file in '\(param)' is not a supported image. Supported types are PNG, JPEG and WebP (detected from the file's contents).",
                param: param,
                code: "unsupported_file_type"
            )
        }
        guard let header = ImageHeader.read(bytes) else {
            throw .invalidRequest(
                "The \(format.rawValue) file in '\(param)' is damaged: its header could not be read.",
                param: param,
                code: "invalid_image"
            )
        }
        if header.width * header.height > maxInputPixels {
            throw .invalidRequest(
                "The image in '\(param)' is \(header.width)x\(header.height) (\(header.width * header.height) pixels); "
                    + "inputs may have at most \(maxInputPixels) pixels.",
                param: param,
                code: "image_too_large"
            )
        }
        return EditInputInfo(header, bytes: bytes.count)
    }

    /// Checks the set: how many images the model takes, whether it takes a mask, and the mask's shape.
    public func check(images: [EditInputInfo], mask: EditInputInfo?, caps: ModelCapabilities, imageParam: String = "image") throws(EaselError) {
        guard caps.supportsEdits else {
            throw .invalidRequest(
                "The model '\(caps.id)' cannot edit images on this Easel server. See GET /v1/models for models with \"edits\": true.",
                param: "model",
                code: "unsupported_model"
            )
        }
        guard let first = images.first else {
            throw .invalidRequest(
                "An edit needs at least one image in 'image' (or 'image[]').",
                param: imageParam,
                code: "missing_required_parameter"
            )
        }
        if images.count > caps.maxInputImages {
            throw .invalidRequest(
                "Too many images: \(images.count). \(caps.id) takes at most \(caps.maxInputImages).",
                param: imageParam,
                code: "array_above_max_length"
            )
        }
        guard let mask else { return }
        guard caps.supportsMask else {
            throw .invalidRequest(
                "The model '\(caps.id)' does not take a mask on this Easel server; send the edit without 'mask' or pick a model that does.",
                param: "mask",
                code: "unsupported_parameter"
            )
        }
        guard mask.format == .png else {
            throw .invalidRequest("The mask must be a PNG with an alpha channel, not \(mask.format.rawValue).", param: "mask", code: "invalid_mask")
        }
        guard mask.hasAlpha else {
            throw .invalidRequest(
                "The mask must have an alpha channel: fully transparent pixels (alpha 0) mark where to edit.",
                param: "mask",
                code: "invalid_mask"
            )
        }
        guard mask.size == first.size else {
            throw .invalidRequest(
                "The mask is \(mask.size) but the first image is \(first.size); they must be the same size.",
                param: "mask",
                code: "invalid_mask"
            )
        }
    }
}

extension GenerationRequestParser {
    /// Parses the non-file fields of an edit (multipart text parts or the JSON form) for images already
    /// checked by `EditInputRules`. `size: auto` resolves against the first image, so an edit keeps its
    /// input's shape.
    public func parseEdit(_ fields: [String: JSONValue], firstImage: PixelSize, seed defaultSeed: UInt64) throws(EaselError) -> ImageRequest {
        var reader = FieldReader(fields: fields)
        let caps = try capabilities(fields)
        guard let prompt = try reader.string("prompt") else { throw .missing("prompt") }
        try Self.checkPrompt(prompt, caps: caps)
        var request = try Self.parseOutputOptions(&reader, caps: caps, prompt: prompt, defaultSeed: defaultSeed)
        if case .auto = request.size { request.resolvedSize = caps.sizes.size(matching: firstImage) }
        if let fidelity = try reader.string("input_fidelity") {
            guard caps.supportsInputFidelity else {
                throw .invalidRequest(
                    "\(caps.id) does not take 'input_fidelity'; leave it out.",
                    param: "input_fidelity",
                    code: "unsupported_parameter"
                )
            }
            guard fidelity == "high" || fidelity == "low" else {
                throw .invalidRequest("Invalid input_fidelity '\(fidelity)'. Supported values are: 'high' and 'low'.", param: "input_fidelity")
            }
            request.inputFidelity = fidelity
        }
        return request
    }

    /// The capabilities of the model a body names (or the default), for checks that come before parsing.
    public func capabilities(_ fields: [String: JSONValue]) throws(EaselError) -> ModelCapabilities {
        let modelID = try FieldReader(fields: fields).string("model") ?? defaultModel
        guard let caps = lookupModel(modelID) else { throw .modelNotFound(modelID) }
        return caps
    }
}
