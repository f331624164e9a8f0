import Crypto
import EaselCore
import Foundation
import Hummingbird

/// Serves the studio: plain HTML, CSS and JavaScript modules embedded in the binary (no build step, no
/// CDN), each with its type and an ETag so browsers revalidate instead of downloading again.
struct StudioController {
    struct File: Sendable {
        let bytes: [UInt8]
        let contentType: String
        let etag: String

        init(_ bytes: [UInt8], contentType: String) {
            self.bytes = bytes
            self.contentType = contentType
            self.etag = "\"\(hexString(SHA256.hash(data: bytes).prefix(12)))\""
        }
    }

    static let files: [String: File] = [
        "/": File(PackageResources.index_html, contentType: "text/html; charset=utf-8"),
        "/studio/studio.css": File(PackageResources.studio_css, contentType: "text/css; charset=utf-8"),
        "/studio/studio.js": File(PackageResources.studio_js, contentType: "text/javascript; charset=utf-8"),
    ]

    func addRoutes(to router: some RouterMethods<EaselRequestContext>) {
        for (path, file) in Self.files {
            router.get(RouterPath(path)) { request, _ -> Response in Self.serve(file, request: request) }
        }
    }

    static func serve(_ file: File, request: Request) -> Response {
        let headers: HTTPFields = [
            .contentType: file.contentType, .eTag: file.etag, .cacheControl: "no-cache", .xContentTypeOptions: "nosniff",
        ]
        if let match = request.headers[.ifNoneMatch],
            match.split(separator: ",").contains(where: { $0.trimmingCharacters(in: .whitespaces) == file.etag })
        {
            return Response(status: .notModified, headers: headers)
        }
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: file.bytes)))
    }
}
