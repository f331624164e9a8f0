import Hummingbird

/// Serves the studio page.
struct StudioController {
    func addRoutes(to router: Router<EaselRequestContext>) {
        router.get("/") { _, _ -> Response in
            Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-cache"],
                     body: .init(byteBuffer: ByteBuffer(string: StudioPage.html)))
        }
    }
}
