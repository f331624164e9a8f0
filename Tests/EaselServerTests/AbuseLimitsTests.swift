import EaselCore
import EaselProviders
import EaselTesting
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Testing

@testable import EaselServer

/// What keeps one client from wearing the server down: guest sessions rationed per address, a page cap on
/// every list, a size cap on every body, and timeouts for clients that send a request slowly.
@Suite("Abuse limits")
struct AbuseLimitsTests {
    static let noKey: HTTPFields = [.authorization: "none"]

    // MARK: Guest sessions per client address

    @Test func guestSessionsAreRationedPerClientAddress() async throws {
        try await AppHarness.run(workers: 0, testing: .live) { client, _ in
            // setup: the burst of 10 from 127.0.0.1
            for _ in 0..<10 {
                #expect(try await client.post("/api/auth/guest", json: [:], headers: Self.noKey).status == .ok)
            }
            // MUT
            let refused = try await client.post("/api/auth/guest", json: [:], headers: Self.noKey)
            // validate: 429 in the envelope, and when to come back (30 an hour: about two minutes)
            #expect(refused.status == .tooManyRequests)
            let error = try refused.errorObject
            #expect(error["type"] == "rate_limit_error")
            #expect(error["code"] == "rate_limit_exceeded")
            #expect(error["param"] == .null)
            #expect(refused.headers[.retryAfter].flatMap(Int.init).map { (1...120).contains($0) } == true)
            // Another address has a bucket of its own.
            let other = try RawConnection(port: try #require(client.port), from: "127.0.0.2")
            other.send("POST /api/auth/guest HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            #expect(try await other.wait(upTo: .seconds(10)) { $0.closed })
            #expect(other.text.hasPrefix("HTTP/1.1 200"))
            #expect(other.text.contains("easel_session="))
        }
    }

    @Test func theGuestLimiterRefillsKeepsAddressesApartAndStaysBounded() {
        // setup
        let clock = ManualClock()
        let limiter = AddressRateLimiter(burst: 2, perHour: 60, maxAddresses: 8, clock: clock)
        // MUT and validate: a burst of two, then one a minute
        #expect(limiter.take("198.51.100.1") == nil)
        #expect(limiter.take("198.51.100.1") == nil)
        #expect(limiter.take("198.51.100.1") == 60)
        #expect(limiter.take("198.51.100.2") == nil)
        clock.advance(byMillis: 30_000)
        #expect(limiter.take("198.51.100.1") == 30)
        clock.advance(byMillis: 30_000)
        #expect(limiter.take("198.51.100.1") == nil)
        // An attacker cycling addresses cannot grow it past its bound.
        for n in 0..<1000 { _ = limiter.take("203.0.113.\(n)") }
        #expect(limiter.count <= 8)
        // Off: no limit at all.
        let off = AddressRateLimiter(burst: 1, perHour: 0, clock: clock)
        #expect((0..<50).allSatisfy { _ in off.take("198.51.100.1") == nil })
    }

    @Test func clientAddressesAreKeyedByPeerWithIPv6ByItsSlash64() throws {
        #expect(AddressRateLimiter.key(for: try SocketAddress(ipAddress: "203.0.113.7", port: 1)) == "203.0.113.7")
        let one = AddressRateLimiter.key(for: try SocketAddress(ipAddress: "2001:db8:1:2:aaaa::1", port: 1))
        #expect(one == "2001:db8:1:2::/64")
        #expect(AddressRateLimiter.key(for: try SocketAddress(ipAddress: "2001:db8:1:2:bbbb::9", port: 2)) == one)
        #expect(AddressRateLimiter.key(for: try SocketAddress(ipAddress: "2001:db8:1:3::1", port: 1)) != one)
        #expect(AddressRateLimiter.key(for: try SocketAddress(ipAddress: "::ffff:203.0.113.7", port: 1)) == "203.0.113.7")
    }

    // MARK: Page caps

    @Test func listsRefuseAPageOverTheCapAndFormerlyWholeListsPage() async throws {
        try await AppHarness.run(workers: 0) { client, _ in
            for route in [
                "/api/jobs", "/api/keys", "/api/templates", "/api/brand-kits", "/api/collections", "/api/shares", "/api/webhooks",
                "/api/admin/users", "/api/admin/reports", "/api/admin/moderation",
            ] {
                let response = try await client.get(route + "?limit=101")
                #expect(response.status == .badRequest, "\(route)")
                #expect(try response.errorObject["param"] == "limit", "\(route)")
                #expect(try response.errorObject["type"] == "invalid_request_error", "\(route)")
            }
            // setup: the harness's own key, and three more
            for name in ["a", "b", "c"] {
                #expect(try await client.post("/api/keys", json: ["name": .string(name)]).status == .created)
            }
            // MUT: API keys, once listed whole, a page at a time
            let first = try await client.get("/api/keys?limit=2").json
            let cursor = try #require(first["next_cursor"]?.stringValue)
            let rest = try await client.get("/api/keys?limit=2&before=\(cursor)").json
            // validate: newest first, nothing twice, nothing lost
            #expect(first["has_more"] == true)
            #expect(rest["has_more"] == false)
            let names = [first, rest].flatMap { $0["data"]?.arrayValue ?? [] }.map { $0["name"]?.stringValue ?? "" }
            #expect(names == ["c", "b", "a", "tests"])
        }
    }

    // MARK: Body caps

    @Test func oversizedBodiesGet413InTheEnvelopeAndTheServerCarriesOn() async throws {
        try await AppHarness.run(
            workers: 0,
            testing: .live,
            configure: .with {
                $0.maxJSONBodyBytes = 64 * 1024
                $0.maxEditBodyBytes = 1024 * 1024
            }
        ) { client, _ in
            let big = String(repeating: "a", count: 100 * 1024)
            // A JSON route.
            let json = try await client.post("/v1/images/generations", json: ["prompt": .string(big)])
            #expect(json.status == .contentTooLarge)
            #expect(try json.errorObject["code"] == "request_too_large")
            #expect(try json.errorObject["type"] == "invalid_request_error")
            // A route whose body is optional refuses an oversized one too, rather than reading it as `{}`.
            let key = try await client.post("/api/keys", json: ["name": .string(big)])
            #expect(key.status == .contentTooLarge)
            #expect(try key.errorObject["code"] == "request_too_large")
            // A multipart edit over EASEL_MAX_EDIT_BODY_MB.
            var form = EditFixtures.Form(["model": "easel-draft", "prompt": "a bigger harbour"])
            form.file("image", Data(count: 2 * 1024 * 1024))
            let edit = try await client.post("/v1/images/edits", form: form)
            #expect(edit.status == .contentTooLarge)
            #expect(try edit.errorObject["code"] == "request_too_large")
            // The same connection still serves the next request.
            #expect(try await client.get("/healthz").status == .ok)
        }
    }

    // MARK: Slow clients

    static let quickTimeouts = ConfigChange.with {
        $0.headerTimeoutSeconds = 1
        $0.bodyTimeoutSeconds = 1
    }

    @Test func aClientTricklingItsHeadOrBodyIsCutOffWhileOthersAreServed() async throws {
        try await AppHarness.run(workers: 0, testing: .live, configure: Self.quickTimeouts) { client, _ in
            let port = try #require(client.port)
            // A head that never ends: one more header byte every 300 ms, which an idle timeout never catches.
            let head = try RawConnection(port: port)
            head.send("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ")
            async let normal = client.get("/healthz")
            #expect(try await head.trickle("abcdefghij", every: .milliseconds(300), upTo: .seconds(15)))
            #expect(!head.text.contains("200"))
            #expect(try await normal.status == .ok)
            // A whole head, then a body of 100 bytes trickled.
            let body = try RawConnection(port: port)
            body.send("POST /api/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{")
            #expect(try await body.trickle(" ", every: .milliseconds(300), upTo: .seconds(15)))
            #expect(try await client.get("/healthz").status == .ok)
        }
    }

    @Test func pausesBetweenRequestsAndLongResponsesAreNotTimed() async throws {
        let provider = ScriptedProvider([.delay(milliseconds: 2500)])
        try await AppHarness.run(routes: [.init(model: .easelDraft, providers: [provider])], testing: .live, configure: Self.quickTimeouts) {
            client,
            _ in
            // Keep-alive: the header clock starts with a request's first byte, so a silent gap longer than the
            // header timeout between two requests is fine.
            let connection = try RawConnection(port: try #require(client.port))
            func answered(_ count: Int) -> (RawConnection) -> Bool { { $0.text.components(separatedBy: "HTTP/1.1 200").count == count + 1 } }
            connection.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(try await connection.wait(upTo: .seconds(10), until: answered(1)))
            try await Task.sleep(for: .milliseconds(2500))
            connection.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(try await connection.wait(upTo: .seconds(10), until: answered(2)))
            #expect(!connection.closed)
            // An event stream open for longer than both timeouts runs to its end.
            let job = try await client.post("/api/jobs", json: ["prompt": "a slow lighthouse", "size": "64x64"]).json
            let id = try #require(job["id"]?.stringValue)
            let events = try SSE.parse(try await client.get("/api/jobs/\(id)/events").text)
            #expect(events.compactMap(\.event).last == "succeeded")
        }
    }
}
