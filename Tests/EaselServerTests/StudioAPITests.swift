import EaselCore
import EaselTesting
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Testing

/// What the studio asks of the API beyond the rest: an API key exchanged for the session cookie, a session
/// probe that answers a first visit without an error, a job's charged cost, and the admin page's plans,
/// reported images and queue health.
@Suite("The studio's API")
struct StudioAPITests {
    static func cookie(of response: TestResponse) throws -> String {
        let setCookie = try #require(response.headers[.setCookie])
        #expect(setCookie.contains("HttpOnly") && setCookie.contains("SameSite=Lax"))
        return try #require(setCookie.split(separator: ";").first.map(String.init))
    }

    @Test func aPastedKeyBecomesASessionAndTheKeyIsNotEchoed() async throws {
        try await AppHarness.run(workers: 0) { client, runtime in
            let user = try await runtime.accounts.createUser(name: "maker", role: .user, plan: "premium", password: nil)
            let key = try await runtime.accounts.createKey(userID: user.id, name: "studio").key

            let none = try await client.get("/api/auth/session", headers: [.authorization: "none"])
            #expect(none.status == .ok)
            #expect(try none.json["signed_in"] == false)
            #expect(try none.json["guests_allowed"] == true)

            let signIn = try await client.post("/api/auth/key", json: ["key": .string(" \(key)\n")], headers: [.authorization: "none"])
            #expect(signIn.status == .ok)
            #expect(try signIn.json["user"]?["name"] == "maker")
            #expect(!signIn.text.contains(key), "the key is not sent back")
            let cookie = try Self.cookie(of: signIn)

            let session = try await client.get("/api/auth/session", headers: [.authorization: "none", .cookie: cookie])
            #expect(try session.json["signed_in"] == true)
            #expect(try session.json["user"]?["name"] == "maker")
            let me = try await client.get("/api/me", headers: [.authorization: "none", .cookie: cookie])
            #expect(try me.json["plan"]?["name"] == "premium")
        }
    }

    @Test func aWrongKeyOrAnotherSiteIsRefused() async throws {
        try await AppHarness.run(workers: 0) { client, _ in
            for key in ["esk_not_a_real_key", "", "sk-openai-key"] {
                let response = try await client.post("/api/auth/key", json: ["key": .string(key)], headers: [.authorization: "none"])
                #expect(response.status == .unauthorized, "\(key)")
                #expect(response.headers[.setCookie] == nil)
                #expect(try response.errorObject["message"]?.stringValue?.contains("API key is not valid") == true)
            }
            let missing = try await client.post("/api/auth/key", json: [:], headers: [.authorization: "none"])
            #expect(missing.status == .badRequest)
            #expect(try missing.errorObject["param"] == "key")
            // A form on another site cannot sign a visitor in as someone else.
            for path in ["/api/auth/guest", "/api/auth/login", "/api/auth/key", "/api/auth/logout"] {
                let response = try await client.post(
                    path,
                    json: ["name": "x", "password": "y", "key": "z"],
                    headers: [.authorization: "none", .init("Sec-Fetch-Site")!: "cross-site"]
                )
                #expect(response.status == .forbidden, "\(path)")
                #expect(try response.errorObject["code"] == "cross_site_request")
            }
        }
    }

    @Test func adminsSeeQueueHealthAndEveryonesJobs() async throws {
        try await AppHarness.run(workers: 0) { client, runtime in
            let user = try await runtime.accounts.createUser(name: "maker", role: .user, plan: "premium", password: nil)
            let maker = (client as! AuthorizedClient).with(key: try await runtime.accounts.createKey(userID: user.id, name: nil).key)
            for prompt in ["a red kite", "a blue kite"] {
                #expect(
                    try await maker.post("/api/jobs", json: ["model": "easel-draft", "prompt": .string(prompt), "size": "64x64"]).status == .accepted
                )
            }
            #expect(try await client.post("/api/jobs", json: ["model": "easel-draft", "prompt": "mine", "size": "64x64"]).status == .accepted)

            let queue = try await client.get("/api/admin/queue")
            #expect(queue.status == .ok)
            #expect(try queue.json["counts"]?["queued"] == 3)
            #expect(try queue.json["counts"]?["running"] == 0)

            let jobs = try await client.get("/api/admin/jobs?limit=2")
            #expect(try jobs.json["data"]?.arrayValue?.count == 2)
            #expect(try jobs.json["has_more"] == true)
            let cursor = try #require(jobs.json["next_cursor"]?.stringValue)
            let rest = try await client.get("/api/admin/jobs?limit=2&before=\(cursor)")
            #expect(try rest.json["data"]?.arrayValue?.count == 1)
            let owners = Set(
                ((try jobs.json["data"]?.arrayValue ?? []) + (try rest.json["data"]?.arrayValue ?? [])).compactMap { $0["user_id"]?.stringValue }
            )
            #expect(owners.count == 2 && owners.contains(user.id))
            #expect(try await client.get("/api/admin/jobs?status=succeeded").json["data"]?.arrayValue?.isEmpty == true)
            let bad = try await client.get("/api/admin/jobs?status=done")
            #expect(bad.status == .badRequest)
            #expect(try bad.errorObject["param"] == "status")

            #expect(try await maker.get("/api/admin/queue").status == .forbidden)
            #expect(try await maker.get("/api/admin/jobs").status == .forbidden)
        }
    }

    @Test func aFinishedJobSaysWhatItWasCharged() async throws {
        let policy = try AccountsTests.policy()
        // The provider refuses the first image, then draws the rest.
        let provider = ScriptedProvider([.fail(ScriptedProvider.permanent("rejected"))])
        try await AppHarness.run(workers: 1, routes: AccountsTests.routes(provider), configure: .with { $0.policy = policy }) { client, runtime in
            let (_, key) = try await AccountsTests.user(runtime, "buyer", plan: "metered", usd: "1.00")
            let buyer = (client as! AuthorizedClient).with(key: key)
            func run() async throws -> JSONValue {
                let submitted = try await buyer.post("/api/jobs", json: ["model": "priced", "prompt": "a kite", "size": "64x64"])
                let id = try #require(try submitted.json["id"]?.stringValue)
                #expect(try await eventually { try await ["succeeded", "failed"].contains(buyer.get("/api/jobs/\(id)").json["status"]) })
                return try await buyer.get("/api/jobs/\(id)").json
            }
            let refused = try await run()
            #expect(refused["status"] == "failed")
            #expect(refused["cost_usd"] == .null, "refunded, so nothing charged")
            let drawn = try await run()
            #expect(drawn["status"] == "succeeded")
            // Settled just after the job ends.
            let id = try #require(drawn["id"]?.stringValue)
            #expect(try await eventually { try await buyer.get("/api/jobs/\(id)").json["cost_usd"] == "0.040000" })
        }
    }

    @Test func adminsSeeEveryPlanAndWhatWasReported() async throws {
        try await AppHarness.run(workers: 2) { client, runtime in
            let plans = try await client.get("/api/admin/plans")
            let names = try plans.json["data"]?.arrayValue?.compactMap { $0["name"]?.stringValue }
            #expect(names == ["guest", "premium", "registered", "unlimited"])
            #expect(try plans.json["data"]?.arrayValue?.first?["images_per_day"] == 3)

            let user = try await runtime.accounts.createUser(name: "maker", role: .user, plan: "premium", password: nil)
            let maker = (client as! AuthorizedClient).with(key: try await runtime.accounts.createKey(userID: user.id, name: nil).key)
            let job = try await maker.post("/api/jobs", json: ["model": "easel-draft", "prompt": "a red kite", "size": "64x64"])
            let id = try #require(try job.json["id"]?.stringValue)
            #expect(try await eventually { try await maker.get("/api/jobs/\(id)").json["status"] == "succeeded" })
            let asset = try #require(try await maker.get("/api/jobs/\(id)").json["asset_ids"]?.arrayValue?.first?.stringValue)
            #expect(try await maker.post("/api/assets/\(asset)/reports", json: ["reason": "off brand"]).status == .created)

            let reports = try await client.get("/api/admin/reports")
            let link = try #require(try reports.json["data"]?.arrayValue?.first?["signed_thumbnail_url"]?.stringValue)
            #expect(link.hasPrefix("/files/\(asset)/thumb?exp="))
            // The admin (not the owner) opens it without a key; the owner's own thumbnail route still refuses others.
            let thumbnail = try await client.get(link, headers: [.authorization: "none"])
            #expect(thumbnail.status == .ok)
            #expect(thumbnail.headers[.contentType] == "image/webp")
            #expect(try await maker.get("/api/admin/plans").status == .forbidden)
        }
    }

    @Test func adminsChangeRolesAndDisableUsersButNotThemselves() async throws {
        try await AppHarness.run(workers: 0) { client, runtime in
            let user = try await runtime.accounts.createUser(name: "maker", role: .user, plan: "premium", password: nil)
            let maker = (client as! AuthorizedClient).with(key: try await runtime.accounts.createKey(userID: user.id, name: nil).key)
            #expect(try await maker.get("/api/me").status == .ok)

            let disabled = try await client.patch("/api/admin/users/\(user.id)", json: ["disabled": true])
            #expect(try disabled.json["disabled"] == true)
            #expect(try await maker.get("/api/me").status == .unauthorized, "a disabled user's key stops at once")
            #expect(try await client.patch("/api/admin/users/\(user.id)", json: ["disabled": false]).status == .ok)
            #expect(try await maker.get("/api/me").status == .ok)

            let promoted = try await client.patch("/api/admin/users/\(user.id)", json: ["role": "admin", "plan": "unlimited"])
            #expect(try promoted.json["role"] == "admin" && promoted.json["plan"]?["name"] == "unlimited")
            #expect(try await maker.get("/api/admin/queue").status == .ok)

            let me = try #require(try await client.get("/api/me").json["id"]?.stringValue)
            for change: JSONValue in [["disabled": true], ["role": "user"]] {
                let refused = try await client.patch("/api/admin/users/\(me)", json: change)
                #expect(refused.status == .badRequest)
                #expect(try refused.errorObject["message"]?.stringValue?.contains("cannot change your own role") == true)
            }
            let bad = try await client.patch("/api/admin/users/\(user.id)", json: ["role": "owner"])
            #expect(try bad.errorObject["param"] == "role")
        }
    }
}
