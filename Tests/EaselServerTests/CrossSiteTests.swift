import EaselCore
import EaselTesting
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Testing

/// A studio session is a cookie the browser sends by itself: changes it authorizes must come from this
/// server's own pages.
@Suite("Cross-site requests with a studio session")
struct CrossSiteTests {
    @Test func aChangeFromAnotherSiteWithTheSessionCookieIsRefused() async throws {
        try await AppHarness.run(workers: 1) { client, _ in
            let signIn = try await client.post("/api/auth/guest", json: [:], headers: [.authorization: "none"])
            let setCookie = try #require(signIn.headers[.setCookie])
            let cookie = try #require(setCookie.split(separator: ";").first.map(String.init))
            func send(_ headers: HTTPFields, method: HTTPRequest.Method = .post) async throws -> TestResponse {
                var fields = headers
                fields[.authorization] = "none"
                fields[.cookie] = cookie
                fields[.contentType] = "application/json"
                let body = ByteBuffer(string: #"{"name":"board"}"#)
                return try await client.execute(
                    uri: method == .post ? "/api/collections" : "/api/me",
                    method: method,
                    headers: fields,
                    body: method == .post ? body : nil
                )
            }
            let crossSite = try await send([.init("Sec-Fetch-Site")!: "cross-site"])
            #expect(crossSite.status == .forbidden)
            #expect(try crossSite.errorObject["code"] == "cross_site_request")
            #expect(try await send([.init("Sec-Fetch-Site")!: "same-site"]).status == .forbidden)
            #expect(try await send([.origin: "https://evil.example"]).status == .forbidden)
            #expect(try await send([.origin: "null"]).status == .forbidden)
            // The studio's own pages, a proxy's forwarded host, and clients that are not browsers pass.
            #expect(try await send([.init("Sec-Fetch-Site")!: "same-origin"]).status == .created)
            #expect(try await send([.origin: "https://studio.example", .init("X-Forwarded-Host")!: "studio.example"]).status == .created)
            #expect(try await send([:]).status == .created)
            // Reading is not a change.
            #expect(try await send([.init("Sec-Fetch-Site")!: "cross-site"], method: .get).status == .ok)
            // An API key is never sent by a browser on its own: no check.
            let keyed = try await client.execute(
                uri: "/api/jobs",
                method: .post,
                headers: [.contentType: "application/json", .init("Sec-Fetch-Site")!: "cross-site"],
                body: ByteBuffer(string: #"{"prompt":"x","size":"64x64"}"#)
            )
            #expect(keyed.status == .accepted)
        }
    }
}
