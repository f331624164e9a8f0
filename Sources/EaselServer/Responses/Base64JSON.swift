import EaselCore
import Foundation
import NIOCore

/// JSON objects that carry images as base64, written without passing megabytes of base64 through a
/// string and a JSON escaper: the small fields are serialised, the encoded image bytes are spliced in.
enum Base64JSON {
    /// `object` plus `"<key>": "<base64 of data>"`, as UTF-8 bytes appended to `buffer`. `base64`, when the
    /// provider sent the image that way, is written as it came rather than encoding `data` again.
    static func write(_ object: [String: JSONValue], base64Key: String, data: Data, base64: String? = nil, into buffer: inout ByteBuffer) {
        var head = JSONValue.object(object).serialized()
        head.removeLast()  // the closing brace; the image goes last
        buffer.writeBytes(head)
        buffer.writeString(head.count > 1 ? ",\"" : "\"")
        buffer.writeString(base64Key)
        buffer.writeString("\":\"")
        if let base64 {
            buffer.writeString(base64)
        } else {
            buffer.writeBytes(data.base64EncodedData())
        }
        buffer.writeString("\"}")
    }

    /// An `ImagesResponse`: `meta` fields plus `data: [{b64_json}…]` (or `[{url}…]` when `urls` is given).
    static func imagesResponse(_ meta: [String: JSONValue], images: [(data: Data, base64: String?)], urls: [String]?) -> ByteBuffer {
        var buffer = ByteBuffer()
        buffer.reserveCapacity(images.reduce(512) { $0 + $1.data.count * 4 / 3 + 64 })
        var head = JSONValue.object(meta).serialized()
        head.removeLast()
        buffer.writeBytes(head)
        buffer.writeString(meta.isEmpty ? "\"data\":[" : ",\"data\":[")
        if let urls {
            for (index, url) in urls.enumerated() {
                if index > 0 { buffer.writeString(",") }
                buffer.writeBytes(JSONValue.object(["url": .string(url)]).serialized())
            }
        } else {
            for (index, image) in images.enumerated() {
                if index > 0 { buffer.writeString(",") }
                write([:], base64Key: "b64_json", data: image.data, base64: image.base64, into: &buffer)
            }
        }
        buffer.writeString("]}")
        return buffer
    }

    /// A server-sent event whose data is `object` plus a base64 image field.
    static func event(_ name: String, _ object: [String: JSONValue], base64Key: String, data: Data, base64: String? = nil) -> ByteBuffer {
        var buffer = ByteBuffer()
        buffer.reserveCapacity(data.count * 4 / 3 + 512)
        buffer.writeString("event: \(name)\ndata: ")
        write(object, base64Key: base64Key, data: data, base64: base64, into: &buffer)
        buffer.writeString("\n\n")
        return buffer
    }
}
