import Hummingbird

/// `GET /openapi.json`: the OpenAPI 3.1 document of every `/api` and `/v1` route (public: clients and tools read
/// it before they hold a key). The same file is in the repository at Sources/EaselServer/OpenAPI/openapi.json,
/// and a test fails when the router serves a route the document lacks, or the document names one it does not.
struct OpenAPIController {
    static let document = ByteBuffer(bytes: PackageResources.openapi_json)

    func addRoutes(to router: some RouterMethods<EaselRequestContext>) {
        router.get("/openapi.json") { _, _ in
            Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: Self.document))
        }
    }
}
