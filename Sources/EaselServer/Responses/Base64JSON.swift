import EaselCore
import Foundation
import NIOCore

/// JSON objects that carry images as base64, written without passing megabytes of base64 through a
/// string and a JSON escaper: the small fields are serialised, the encoded image bytes are spliced in.
enum Base64JSON {
    /// `object` plus `"<key>": "<base64 of data>"`, as UTF-8 bytes appended to `buffer`.
    static func write(_ object: [String: JSONValue], base64Key: String, data: Data, into buffer: inout ByteBuffer) {
        var head = JSONValue.object(object).serialized()
        head.removeLast()  // the closing brace; the image goes last
        buffer.writeBytes(head)
        buffer.writeString(head.count > 1 ? ",\"" : "\"")
        buffer.writeString(base64Key)
        buffer.writeString("\":\"")
        buffer.writeBytes(data.base64EncodedData())
        buffer.writeString("\"}")
    }

    /// An `ImagesResponse`: `meta` fields plus `data: [{b64_json}…]` (or `[{url}…]` when `urls` is given).
    static func imagesResponse(_ meta: [String: JSONValue], images: [Data], urls: [String]?) -> ByteBuffer {
        var buffer = ByteBuffer()
        buffer.reserveCapacity(images.reduce(512) { $0 + $1.count * 4 / 3 + 64 })
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
                write([:], base64Key: "b64_json", data: image, into: &buffer)
            }
        }
        buffer.writeString("]}")
        return buffer
    }

    /// A server-sent event whose data is `object` plus a base64 image field.
    static func event(_ name: String, _ object: [String: JSONValue], base64Key: String, data: Data) -> ByteBuffer {
        var buffer = ByteBuffer()
        buffer.reserveCapacity(data.count * 4 / 3 + 512)
        buffer.writeString("event: \(name)\ndata: ")
        write(object, base64Key: base64Key, data: data, into: &buffer)
        buffer.writeString("\n\n")
        return buffer
    }
}
