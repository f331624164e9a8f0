import EaselCore
import Foundation
import Hummingbird

/// What a share link opens, with no login: a small page with the image (or the collection's images), or the
/// same as JSON (`Accept: application/json`), and the images by position. Nothing else of the account shows:
/// no asset ids, no user name, the prompt only when the owner chose to show it.
struct SharePageController {
    let shares: ShareService

    func addRoutes(to router: some RouterMethods<EaselRequestContext>) {
        router.get("/s/{token}", use: page)
        router.get("/s/{token}/{n}", use: image)
    }

    /// A collection's link shows at most 500 images (`ShareService.open`).
    @Sendable func page(_ request: Request, context: EaselRequestContext) async throws -> Response {
        let token = try context.parameters.require("token")
        let opened = try await shares.open(token: token)
        let link = opened.link
        let images: [JSONValue] = opened.assets.enumerated().map { index, asset in
            var object: [String: JSONValue] = [
                "url": .string("/s/\(token)/\(index + 1)"), "width": .int(asset.width), "height": .int(asset.height),
                "format": .string(asset.format.rawValue), "draft": .bool(asset.isDraft), "alt_text": .optional(asset.altText),
            ]
            if link.showPrompt { object["prompt"] = .string(asset.prompt) }
            if link.allowDownload { object["download_url"] = .string("/s/\(token)/\(index + 1)?download=1") }
            return .object(object)
        }
        var headers: HTTPFields = [.cacheControl: "no-store", .init("Referrer-Policy")!: "no-referrer", .init("X-Robots-Tag")!: "noindex"]
        if request.headers[.accept]?.contains("application/json") == true {
            let body: JSONValue = .object([
                "object": "share", "kind": .string(link.assetID != nil ? "asset" : "collection"), "title": .optional(opened.collectionName),
                "allow_download": .bool(link.allowDownload), "expires_at": .int(link.expiresAt / 1000), "images": .array(images),
            ])
            return .json(body, headers: headers)
        }
        headers[.contentType] = "text/html; charset=utf-8"
        headers[.init("Content-Security-Policy")!] = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: Self.html(opened, images: images))))
    }

    @Sendable func image(_ request: Request, context: EaselRequestContext) async throws -> Response {
        let token = try context.parameters.require("token")
        let opened = try await shares.open(token: token)
        // A shared collection may be empty: then no number names an image.
        guard let number = Int(try context.parameters.require("n")), number >= 1, number <= opened.assets.count else {
            throw ShareService.notFound
        }
        let asset = opened.assets[number - 1]
        let download = request.uri.queryParameters["download"] != nil
        if download && !opened.link.allowDownload {
            throw EaselError(
                status: 403,
                type: "invalid_request_error",
                code: "download_not_allowed",
                param: nil,
                message: "The owner of this link did not allow downloads."
            )
        }
        let name = "image-\(number).\(asset.format.fileExtension)"
        let headers: HTTPFields = [
            .contentType: asset.format.mimeType,
            .cacheControl: "private, no-store",
            .contentDisposition: ContentDisposition.header(attachment: download, filename: name, fallback: name),
        ]
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: try await shares.data(of: asset))))
    }

    static func html(_ opened: ShareService.Opened, images: [JSONValue]) -> String {
        let title = opened.collectionName.map { Markup.escape($0) } ?? "Shared image"
        var figures = ""
        for image in images {
            let alt = Markup.escape(image["alt_text"]?.stringValue ?? "")
            figures += "<figure><img src=\"\(Markup.escape(image["url"]?.stringValue ?? ""))\" alt=\"\(alt)\">"
            var caption: [String] = []
            if let prompt = image["prompt"]?.stringValue { caption.append(Markup.escape(prompt)) }
            if image["draft"] == .bool(true) { caption.append("Draft (offline renderer)") }
            if let download = image["download_url"]?.stringValue { caption.append("<a href=\"\(Markup.escape(download))\">Download</a>") }
            if !caption.isEmpty { figures += "<figcaption>\(caption.joined(separator: " · "))</figcaption>" }
            figures += "</figure>"
        }
        let expires = UTCDay.string(millis: opened.link.expiresAt)
        return """
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
            <meta name="robots" content="noindex"><title>\(title)</title>
            <style>
            body{font:16px/1.5 system-ui,sans-serif;margin:0;padding:24px;background:#f6f6f4;color:#1d1d1b}
            @media (prefers-color-scheme:dark){body{background:#161615;color:#eee}a{color:#9cf}}
            main{max-width:1100px;margin:0 auto}h1{font-size:20px;margin:0 0 16px}
            .grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(280px,1fr));gap:16px}
            figure{margin:0}img{width:100%;height:auto;border-radius:6px;display:block}figcaption{font-size:14px;margin-top:6px}
            footer{margin-top:24px;font-size:13px;opacity:.7}
            </style></head>
            <body><main><h1>\(title)</h1><div class="grid">\(figures)</div>
            <footer>Shared with Easel · link open until \(expires)</footer></main></body></html>
            """
    }
}
