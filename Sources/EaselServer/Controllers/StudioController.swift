import Crypto
import EaselCore
import Foundation
import Hummingbird

/// Serves the studio: plain HTML, CSS and JavaScript modules embedded in the binary (no build step, no
/// CDN), each with its type and an ETag so browsers revalidate instead of downloading again. Every page of
/// the studio is its own URL that answers the same shell, so a page can be bookmarked and reloaded; the
/// shell's router then draws the page.
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

    /// The studio's pages (the paths its router knows); each answers the shell.
    static let pages = [
        "/", "/signin", "/create", "/images/{id}", "/compare", "/gallery", "/batches", "/batches/{id}", "/review",
        "/templates", "/templates/{id}", "/account", "/admin",
    ]

    /// The shell's assets, served under `/studio/`.
    static let assets: [String: [UInt8]] = [
        "studio.css": PackageResources.studio_css,
        "app.js": PackageResources.app_js,
        "api.js": PackageResources.api_js,
        "ui.js": PackageResources.ui_js,
        "brief-form.js": PackageResources.brief_form_js,
        "job-progress.js": PackageResources.job_progress_js,
        "mask-painter.js": PackageResources.mask_painter_js,
        "lineage-tree.js": PackageResources.lineage_tree_js,
        "page-signin.js": PackageResources.page_signin_js,
        "page-create.js": PackageResources.page_create_js,
        "page-image.js": PackageResources.page_image_js,
        "page-compare.js": PackageResources.page_compare_js,
        "page-gallery.js": PackageResources.page_gallery_js,
        "page-batches.js": PackageResources.page_batches_js,
        "page-review.js": PackageResources.page_review_js,
        "page-templates.js": PackageResources.page_templates_js,
        "page-account.js": PackageResources.page_account_js,
        "page-admin.js": PackageResources.page_admin_js,
        "collection-list.js": PackageResources.collection_list_js,
        "image-actions.js": PackageResources.image_actions_js,
        "secret-once.js": PackageResources.secret_once_js,
        "tpl-brand-kits.js": PackageResources.tpl_brand_kits_js,
        "tpl-fields.js": PackageResources.tpl_fields_js,
        "usage-chart.js": PackageResources.usage_chart_js,
        "conversation-panel.js": PackageResources.conversation_panel_js,
        "webhooks-card.js": PackageResources.webhooks_card_js,
    ]

    /// The icon browsers ask for on pages that name none (the share pages): a blue tile, as the studio's.
    static let icon = File(
        Array(##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><rect width="16" height="16" rx="3" fill="#2f5bd3"/></svg>"##.utf8),
        contentType: "image/svg+xml"
    )

    static let shell = File(PackageResources.index_html, contentType: contentType(of: "index.html"))
    static let files: [String: File] = assets.reduce(into: [:]) { $0[$1.key] = File($1.value, contentType: contentType(of: $1.key)) }

    /// When set, files are read from this directory on every request (EASEL_STUDIO_DIR, for editing the
    /// studio without rebuilding).
    let directory: String?

    func addRoutes(to router: some RouterMethods<EaselRequestContext>) {
        for page in Self.pages {
            router.get(RouterPath(page)) { request, _ -> Response in Self.serve(try load("index.html") ?? Self.shell, request: request) }
        }
        router.get("/favicon.ico") { request, _ -> Response in Self.serve(Self.icon, request: request) }
        router.get("/studio/{name}") { request, context -> Response in
            let name = try context.parameters.require("name")
            guard let file = try load(name) else { throw EaselError.notFound("studio file", id: name) }
            return Self.serve(file, request: request)
        }
    }

    private func load(_ name: String) throws -> File? {
        guard let directory else { return name == "index.html" ? Self.shell : Self.files[name] }
        // Any plain module name, so a new module can be tried before it is embedded.
        guard name == "index.html" || name.wholeMatch(of: /[a-z0-9-]+\.(js|css)/) != nil,
            let data = FileManager.default.contents(atPath: directory + "/" + name)
        else { return nil }
        return File([UInt8](data), contentType: Self.contentType(of: name))
    }

    static func contentType(of name: String) -> String {
        if name.hasSuffix(".html") { return "text/html; charset=utf-8" }
        if name.hasSuffix(".css") { return "text/css; charset=utf-8" }
        return "text/javascript; charset=utf-8"
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
