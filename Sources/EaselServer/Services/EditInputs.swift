import EaselCore
import EaselMultipart
import Foundation

/// The images of one edit request, checked and ready to store: uploaded bytes, or assets already stored.
struct EditInputs: Sendable {
    struct Item: Sendable {
        /// New bytes to store (an upload or a data URL); nil for an existing asset.
        var data: Data?
        var existing: AssetRecord?
        var info: EditInputInfo
        var param: String
    }

    var images: [Item] = []
    var mask: Item?
    /// Text fields (multipart) or the JSON body without its image fields.
    var fields: [String: JSONValue] = [:]
    /// The field the images came in (`image`, `image[]` or `images`), for error messages.
    var imageParam = "image"

    /// Reads a multipart/form-data edit: `image` or `image[]` (not both), optional `mask`, text fields.
    static func multipart(_ parts: [MultipartPart], rules: EditInputRules) throws(EaselError) -> EditInputs {
        var inputs = EditInputs()
        let names = Set(parts.filter(\.isFile).map(\.name))
        if names.contains("image") && names.contains("image[]") {
            throw .invalidRequest(
                "Send the images either as 'image' or as 'image[]', not both in one request.",
                param: "image",
                code: "invalid_parameter_combination"
            )
        }
        inputs.imageParam = names.contains("image[]") ? "image[]" : "image"
        for part in parts {
            switch part.name {
            case "image", "image[]":
                guard part.isFile else {
                    throw .invalidRequest(
                        "'\(part.name)' must be a file part (with a filename), not a text field.",
                        param: part.name,
                        code: "invalid_type"
                    )
                }
                // Repeated `image` parts are accepted too (as LiteLLM does), though OpenAI itself wants `image[]`.
                let info = try rules.inspect(Array(part.data), param: part.name)
                inputs.images.append(Item(data: part.data, existing: nil, info: info, param: part.name))
            case "mask":
                guard part.isFile else {
                    throw .invalidRequest("'mask' must be a file part (with a filename), not a text field.", param: "mask", code: "invalid_type")
                }
                guard inputs.mask == nil else {
                    throw .invalidRequest("Only one 'mask' may be sent.", param: "mask", code: "duplicate_parameter")
                }
                inputs.mask = Item(data: part.data, existing: nil, info: try rules.inspect(Array(part.data), param: "mask"), param: "mask")
            default:
                if part.isFile {
                    throw .invalidRequest(
                        "Unexpected file in '\(part.name)'. Files go in 'image', 'image[]' or 'mask'.",
                        param: part.name,
                        code: "unknown_parameter"
                    )
                }
                guard inputs.fields[part.name] == nil else {
                    throw .invalidRequest("'\(part.name)' was sent more than once.", param: part.name, code: "duplicate_parameter")
                }
                guard let text = String(validating: part.data, as: UTF8.self) else {
                    throw .invalidRequest("The field '\(part.name)' is not valid UTF-8.", param: part.name, code: "invalid_encoding")
                }
                inputs.fields[part.name] = .string(text)
            }
        }
        return inputs
    }

    /// A reference in the JSON form (`{"image_url": …}` or `{"file_id": …}`), or a bare string (an asset id,
    /// a data URL or an Easel file URL) as Easel's own API accepts.
    enum Reference: Sendable {
        case data(Data)
        case asset(String)
    }

    static func reference(_ value: JSONValue, param: String, isLocalURL: (URLComponents) -> Bool) throws(EaselError) -> Reference {
        switch value {
        case .string(let text):
            if EaselID.isValid(text, prefix: "img") { return .asset(text) }
            return try url(text, param: param, isLocalURL: isLocalURL)
        case .object(let object):
            let url = object["image_url"]
            let file = object["file_id"]
            switch (url, file) {
            case (.string(let text)?, nil):
                return try Self.url(text, param: "\(param).image_url", isLocalURL: isLocalURL)
            case (nil, .string(let id)?):
                guard EaselID.isValid(id, prefix: "img") else {
                    throw .invalidRequest("'\(param).file_id' must be an Easel asset id (img_…), not '\(id)'.", param: "\(param).file_id")
                }
                return .asset(id)
            case (nil, nil):
                throw .invalidRequest("'\(param)' needs 'image_url' or 'file_id'.", param: param, code: "missing_required_parameter")
            default:
                throw .invalidRequest("'\(param)' takes exactly one of 'image_url' (a string) or 'file_id' (a string).", param: param)
            }
        default:
            throw .invalidType(param, expected: "an object with 'image_url' or 'file_id'", got: value)
        }
    }

    /// A data URL, or a URL of a file this Easel serves (`…/files/img_…`). Remote URLs are refused: Easel
    /// does not fetch arbitrary addresses on a client's behalf.
    static func url(_ text: String, param: String, isLocalURL: (URLComponents) -> Bool) throws(EaselError) -> Reference {
        if text.hasPrefix("data:") {
            guard let comma = text.firstIndex(of: ","), text[..<comma].hasSuffix(";base64"),
                let data = Data(base64Encoded: String(text[text.index(after: comma)...]), options: .ignoreUnknownCharacters)
            else {
                throw .invalidRequest("'\(param)' is not a valid base64 data URL (data:image/png;base64,…).", param: param, code: "invalid_image_url")
            }
            return .data(data)
        }
        if let components = URLComponents(string: text), isLocalURL(components) {
            let segments = components.path.split(separator: "/")
            if segments.count == 2, segments[0] == "files", EaselID.isValid(String(segments[1]), prefix: "img") {
                return .asset(String(segments[1]))
            }
        }
        throw .invalidRequest(
            "'\(param)' must be a base64 data URL or the URL of a file on this Easel server (/files/img_…); Easel does not fetch other URLs.",
            param: param,
            code: "invalid_image_url"
        )
    }

    /// The JSON form's own fields: `images` (1 to 16 references) and an optional `mask`; the rest are the
    /// edit's text fields.
    struct JSONForm {
        var images: [JSONValue]
        var mask: JSONValue?
        var fields: [String: JSONValue]

        init(_ body: [String: JSONValue]) throws(EaselError) {
            var fields = body
            guard case .array(let list)? = fields.removeValue(forKey: "images") else {
                if fields["image"] != nil {
                    throw .invalidRequest(
                        "The JSON form takes 'images' (a list of {image_url} or {file_id}); 'image' is for multipart.",
                        param: "image",
                        code: "unknown_parameter"
                    )
                }
                throw .invalidRequest(
                    "'images' is required: a list of {\"image_url\": …} or {\"file_id\": …}.",
                    param: "images",
                    code: "missing_required_parameter"
                )
            }
            if list.count > 16 {
                throw .invalidRequest("Too many images: \(list.count). At most 16 may be sent.", param: "images", code: "array_above_max_length")
            }
            images = list
            if let mask = fields.removeValue(forKey: "mask"), mask != .null { self.mask = mask }
            self.fields = fields
        }
    }

    /// Whether a URL points at this Easel server (relative, or the host it is reached or published at).
    static func isLocalURL(_ url: URLComponents, requestHost: String?, publicBaseURL: String?) -> Bool {
        guard let host = url.host else { return url.scheme == nil }
        var known: Set<String> = ["127.0.0.1", "localhost", "::1"]
        if let requestHost { known.insert(String(requestHost.split(separator: ":").first ?? "").lowercased()) }
        if let publicBaseURL, let publicHost = URLComponents(string: publicBaseURL)?.host { known.insert(publicHost.lowercased()) }
        return known.contains(host.lowercased())
    }
}
