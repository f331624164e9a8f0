import EaselCore
import EaselMultipart
import Foundation

/// Builds upstream request bodies exactly as the official SDK would: unset (default) fields left out,
/// never `response_format` or `style` for GPT image models, never `input_fidelity` where the model does
/// not take it.
public enum OpenAIRequestShaper {
    /// The fields both endpoints share, in SDK wire form (strings for multipart, typed for JSON).
    static func commonFields(_ job: ProviderJob) -> [(String, JSONValue)] {
        let request = job.request
        var fields: [(String, JSONValue)] = [("model", .string(job.upstreamModel)), ("prompt", .string(request.prompt))]
        if request.n != 1 { fields.append(("n", .int(request.n))) }
        if request.size != .auto { fields.append(("size", .string(request.size.description))) }
        if request.quality != "auto" { fields.append(("quality", .string(request.quality))) }
        if request.background != .auto { fields.append(("background", .string(request.background.rawValue))) }
        if request.outputFormat != .png { fields.append(("output_format", .string(request.outputFormat.rawValue))) }
        if let compression = request.outputCompression { fields.append(("output_compression", .int(compression))) }
        if request.stream {
            fields.append(("stream", .bool(true)))
            if request.partialImages > 0 { fields.append(("partial_images", .int(request.partialImages))) }
        }
        if let user = request.user, !user.isEmpty { fields.append(("user", .string(user))) }
        return fields
    }

    /// `POST /images/generations` JSON.
    public static func generationBody(_ job: ProviderJob) -> JSONValue {
        var fields = commonFields(job)
        if job.request.moderation != "auto" { fields.append(("moderation", .string(job.request.moderation))) }
        return .object(Dictionary(fields, uniquingKeysWith: { first, _ in first }))
    }

    /// `POST /images/edits` multipart: one image as `image`, several as `image[]` each (never a repeated
    /// `image`), every file with a filename and its real image type, then the mask.
    public static func editBody(_ job: ProviderJob) -> MultipartWriter {
        var writer = MultipartWriter()
        for (name, value) in commonFields(job) {
            switch value {
            case .string(let text): writer.addField(name, text)
            case .number(let number): writer.addField(name, String(Int(number)))
            case .bool(let flag): writer.addField(name, flag ? "true" : "false")
            default: break
            }
        }
        if let fidelity = job.request.inputFidelity, job.capabilities?.supportsInputFidelity ?? true {
            writer.addField("input_fidelity", fidelity)
        }
        let field = job.inputs.count == 1 ? "image" : "image[]"
        for (index, input) in job.inputs.enumerated() {
            let filename = job.inputs.count == 1 ? "image.\(input.format.fileExtension)" : "image-\(index + 1).\(input.format.fileExtension)"
            writer.addFile(field, filename: filename, contentType: input.format.mimeType, data: input.data)
        }
        if let mask = job.mask {
            writer.addFile("mask", filename: "mask.png", contentType: "image/png", data: mask.data)
        }
        return writer
    }
}
