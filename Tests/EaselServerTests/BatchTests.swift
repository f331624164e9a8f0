import EaselCore
import EaselProviders
import EaselServer
import EaselTesting
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Testing

@Suite("Batches")
struct BatchTests {
    static func waitFinished(_ client: some TestClientProtocol, _ id: String) async throws -> JSONValue {
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline {
            let batch = try await client.get("/api/batches/\(id)").json
            if batch["status"] == "finished" { return batch }
            try await Task.sleep(for: .milliseconds(200))
        }
        return try await client.get("/api/batches/\(id)").json
    }

    @Test func twentyFourDraftsEndToEndWithTheirZip() async throws {
        try await AppHarness.run(workers: 4) { client, _ in
            let spec: JSONValue = [
                "template": "product-hero",
                "rows": [["product": "a {red|green|blue} mug"], ["product": "a bottle"], ["product": "a lamp"], ["product": "春季营销海报"]],
                "sizes": ["1:1", "16:9"],
                "variables": ["setting": "on a {desk|shelf}"],
                "size": "64x64",
            ]
            // A dry run lists the items and the cost, and changes nothing.
            var dry = spec
            if case .object(var fields) = dry {
                fields["dry_run"] = true
                dry = .object(fields)
            }
            let planned = try await client.post("/api/batches", json: dry).json
            #expect(planned["count"] == 24)
            #expect(planned["items"]?.arrayValue?.first?["prompt"]?.stringValue?.hasPrefix("a red mug, on a desk") == true)
            #expect(try await client.get("/api/batches").json["data"]?.arrayValue?.isEmpty == true)

            let created = try await client.post("/api/batches", json: spec)
            #expect(created.status == .accepted)
            let id = try #require(try created.json["id"]?.stringValue)
            let done = try await Self.waitFinished(client, id)
            #expect(done["counts"]?["succeeded"] == 24)
            #expect(done["items"]?.arrayValue?.count == 24)
            let first = try #require(done["items"]?.arrayValue?.first)
            #expect(first["variables"]?["product"] == "a {red|green|blue} mug")

            // The zip: 24 images and both manifests, each file whole.
            let zip = try await client.get("/api/batches/\(id)/export.zip")
            #expect(zip.status == .ok)
            #expect(zip.headers[.contentType] == "application/zip")
            let entries = try ZipReader.entries(Data(buffer: zip.body))
            #expect(entries.count == 26)
            let images = entries.filter { $0.name.hasSuffix(".png") }
            #expect(images.count == 24)
            #expect(images.allSatisfy { ImageFormat.sniff($0.data) == .png })
            let csv = try #require(entries.first { $0.name == "manifest.csv" })
            let table = try CSVTable(bytes: Array(csv.data), maxRows: 100)
            #expect(table.header == ["index", "row", "variables", "prompt", "model", "size", "status", "asset_ids", "files", "cost_usd"])
            #expect(table.rows.count == 24)
            let listed: Set<String> = Set(table.rows.flatMap { row in row[8].split(separator: " ").map { String($0) } })
            let names: Set<String> = Set(images.map { $0.name })
            #expect(listed == names)
            let manifest = try JSONDecoder().decode(JSONValue.self, from: try #require(entries.first { $0.name == "manifest.json" }).data)
            #expect(manifest["items"]?.arrayValue?.count == 24)
            // The assets know their batch.
            let asset = try #require(first["asset_ids"]?.arrayValue?.first?.stringValue)
            #expect(try await client.get("/api/assets/\(asset)").json["batch_id"]?.stringValue == id)
            // The event stream ends with the finished batch.
            let events = try SSE.parse(try await client.get("/api/batches/\(id)/events").text)
            #expect(events.last?.event == "finished")
        }
    }

    @Test func everyBadBatchIsRefusedWholeNamingWhereItIsWrong() async throws {
        try await AppHarness.run(workers: 0) { client, runtime in
            let user = try await runtime.accounts.createUser(name: "maker", role: .user, plan: "registered", password: nil)
            let maker = (client as! AuthorizedClient).with(key: try await runtime.accounts.createKey(userID: user.id, name: nil).key)
            let cases: [(JSONValue, String, Int)] = [
                (["template": "product-hero", "rows": [["product": .string(String(repeating: "{a|b|c|d|e}", count: 4))]]], "rows", 400),
                (["template": "product-hero", "rows": [["product": "a {mug|"]]], "rows[0].brief.subject", 400),
                (["template": "product-hero", "rows": [["product": "x"], ["setting": "y"]]], "rows[1].product", 400),
                (["template": "product-hero", "csv": "product,colour\nmug,red\n"], "csv.header", 400),
                (["template": "product-hero", "csv": "product\nmug\nbottle,extra\n"], "csv.rows[3]", 400),
                (["template": "product-hero", "rows": [["product": "x"]], "models": ["no-such-model"]], "models[0]", 404),
                (["rows": [["product": "x"]]], "template", 400),
                (["template": "product-hero", "rows": [["product": "x"]], "variants": ["mode": "shuffled"]], "variants.mode", 400),
            ]
            for (body, param, status) in cases {
                let response = try await maker.post("/api/batches", json: body)
                #expect(Int(response.status.code) == status, "\(body)")
                #expect(try response.errorObject["param"]?.stringValue == param, "\(body)")
            }
            // A CSV upload that is not UTF-8, through multipart.
            var form = EditFixtures.Form()
            form.field("spec", #"{"template": "product-hero"}"#)
            form.file("rows", Data([0x70, 0x72, 0x6F, 0x64, 0x75, 0x63, 0x74, 0x0A, 0xE9, 0x0A]), filename: "rows.csv", type: "text/csv")
            let latin1 = try await maker.post("/api/batches", form: form)
            #expect(try latin1.errorObject["code"] == "invalid_encoding")
            // A 100,000-row CSV is refused with a clear 400, and nothing was queued.
            let huge = "product\n" + String(repeating: "mug\n", count: 100_000)
            let tooBig = try await maker.post("/api/batches", json: ["template": "product-hero", "csv": .string(huge)])
            #expect(tooBig.status == .badRequest)
            #expect(try tooBig.errorObject["code"] == "batch_too_large")
            #expect(try await runtime.jobStore.countsByStatus().isEmpty)
        }
    }

    @Test func aBatchIsReservedWholeAndEachItemSettlesOrIsRefundedOnce() async throws {
        let provider = ScriptedProvider([
            .fail(ScriptedProvider.permanent("no", code: "bad_output")), .fail(ScriptedProvider.permanent("no", code: "bad_output")),
        ])
        var configured = try AccountsTests.policy()
        configured.plans["metered"]?.maxBatchItems = 100
        let policy = configured
        try await AppHarness.run(workers: 1, routes: AccountsTests.routes(provider), configure: .with { $0.policy = policy }) { client, runtime in
            let (user, key) = try await AccountsTests.user(runtime, "buyer", plan: "metered", usd: "1.00")
            let buyer = (client as! AuthorizedClient).with(key: key)
            let rows: (Int) -> JSONValue = { count in .array((0..<count).map { .object(["subject": .string("item \($0)")]) }) }
            // 30 items at $0.04 do not fit in $1.00: refused whole, nothing reserved or queued.
            let refused = try await buyer.post(
                "/api/batches",
                json: ["brief": ["subject": "{subject}"], "rows": rows(30), "model": "priced", "size": "64x64"]
            )
            #expect(refused.status == .tooManyRequests)
            #expect(try refused.errorObject["code"] == "insufficient_quota")
            #expect(try await runtime.userStore.user(id: user.id)?.balanceMicros == 1_000_000)
            #expect(try await runtime.jobStore.countsByStatus().isEmpty)
            // 20 fit: $0.80 reserved at once; two items fail and are refunded; 18 settle.
            let created = try await buyer.post(
                "/api/batches",
                json: ["brief": ["subject": "{subject}"], "rows": rows(20), "model": "priced", "size": "64x64"]
            )
            #expect(created.status == .accepted)
            let id = try #require(try created.json["id"]?.stringValue)
            let done = try await Self.waitFinished(buyer, id)
            #expect(done["counts"]?["succeeded"] == 18 && done["counts"]?["failed"] == 2)
            #expect(try await eventually { try await runtime.userStore.user(id: user.id)?.activeJobs == 0 })
            #expect(try await runtime.userStore.user(id: user.id)?.balanceMicros == 1_000_000 - 18 * 40_000)
            #expect(done["cost_usd"] == "0.720000")
            // The batch's ledger rows sum to what its succeeded items cost.
            let ledger = try await runtime.ledgerStore.ledger(userID: user.id, limit: 1000).filter { $0.jobID != nil }
            #expect(ledger.reduce(0) { $0 + $1.amountMicros } == -720_000)
            // Retry runs the failed two again (the provider now succeeds), each reserved and settled once.
            let retried = try await buyer.post("/api/batches/\(id)/retry", json: [:])
            #expect(retried.status == .accepted)
            let again = try await Self.waitFinished(buyer, id)
            #expect(again["counts"]?["succeeded"] == 20)
            #expect(try await eventually { try await runtime.userStore.user(id: user.id)?.balanceMicros == 1_000_000 - 20 * 40_000 })
            #expect(try await buyer.post("/api/batches/\(id)/retry", json: [:]).status == .conflict)
        }
    }

    @Test func cancellingABatchRefundsWhatHasNotRun() async throws {
        var configured = try AccountsTests.policy()
        configured.plans["metered"]?.maxBatchItems = 100
        let policy = configured
        // No workers: nothing runs, so every item is cancelled and refunded.
        try await AppHarness.run(workers: 0, routes: AccountsTests.routes(), configure: .with { $0.policy = policy }) { client, runtime in
            let (user, key) = try await AccountsTests.user(runtime, "canceller", plan: "metered", usd: "1.00")
            let buyer = (client as! AuthorizedClient).with(key: key)
            let created = try await buyer.post(
                "/api/batches",
                json: ["brief": ["subject": "a {red|blue|green} cup"], "model": "priced", "size": "64x64"]
            )
            let id = try #require(try created.json["id"]?.stringValue)
            #expect(try await runtime.userStore.user(id: user.id)?.balanceMicros == 1_000_000 - 3 * 40_000)
            let cancelled = try await buyer.execute(uri: "/api/batches/\(id)", method: .delete, headers: [:], body: nil).json
            #expect(cancelled["counts"]?["cancelled"] == 3)
            #expect(try await runtime.userStore.user(id: user.id)?.balanceMicros == 1_000_000)
            // Someone else's batch is not found.
            let (_, otherKey) = try await AccountsTests.user(runtime, "nosy", plan: "metered")
            #expect(try await buyer.with(key: otherKey).get("/api/batches/\(id)").status == .notFound)
        }
    }
}

@Suite("Request cache")
struct RequestCacheTests {
    @Test func anIdenticalRequestReusesTheImageForNothingWhenAsked() async throws {
        try await AppHarness.run { client, runtime in
            let body: JSONValue = ["prompt": "a cached fox", "size": "64x64", "seed": 7]
            let reuse: HTTPFields = [HTTPField.Name("Easel-Cache")!: "reuse"]
            let first = try await client.post("/v1/images/generations", json: body, headers: reuse)
            #expect(first.headers[HTTPField.Name("x-easel-cache")!] == "miss")
            let second = try await client.post("/v1/images/generations", json: body, headers: reuse)
            #expect(second.status == .ok)
            #expect(second.headers[HTTPField.Name("x-easel-cache")!] == "hit")
            #expect(second.headers[HTTPField.Name("x-easel-cost-usd")!] == "0.000000")
            let firstJob = try #require(first.headers[HTTPField.Name("x-easel-job-id")!])
            let secondJob = try #require(second.headers[HTTPField.Name("x-easel-job-id")!])
            #expect(firstJob != secondJob)
            let hit = try await client.get("/api/jobs/\(secondJob)").json
            #expect(hit["cached_from"]?.stringValue == firstJob)
            #expect(hit["asset_ids"] == (try await client.get("/api/jobs/\(firstJob)").json["asset_ids"]))
            #expect(try second.json["data"]?.arrayValue?.first?["b64_json"] == (try first.json["data"]?.arrayValue?.first?["b64_json"]))
            // Without the header, or with another seed, a new image is made.
            #expect(try await client.post("/v1/images/generations", json: body).headers[HTTPField.Name("x-easel-cache")!] == nil)
            let reseeded = try await client.post(
                "/v1/images/generations",
                json: ["prompt": "a cached fox", "size": "64x64", "seed": 8],
                headers: reuse
            )
            #expect(reseeded.headers[HTTPField.Name("x-easel-cache")!] == "miss")
            // The hit is in the ledger at zero cost, visibly.
            let tester = try #require(try await runtime.userStore.user(name: "tester"))
            let rows = try await runtime.ledgerStore.ledger(userID: tester.id, limit: 100)
            #expect(rows.contains { $0.jobID == secondJob && $0.kind == .cacheHit && $0.amountMicros == 0 })

            // Never another user's image, and never a hidden one.
            let other = try await runtime.accounts.createUser(name: "other", role: .user, plan: "unlimited", password: nil)
            let otherClient = (client as! AuthorizedClient).with(key: try await runtime.accounts.createKey(userID: other.id, name: nil).key)
            #expect(
                try await otherClient.post("/v1/images/generations", json: body, headers: reuse).headers[HTTPField.Name("x-easel-cache")!] == "miss"
            )
            let asset = try #require(try await client.get("/api/jobs/\(firstJob)").json["asset_ids"]?.arrayValue?.first?.stringValue)
            #expect(try await client.post("/api/admin/assets/\(asset)/hide", json: [:]).status == .ok)
            let afterHide = try await client.post("/v1/images/generations", json: body, headers: reuse)
            #expect(afterHide.headers[HTTPField.Name("x-easel-cache")!] == "miss")
        }
    }

    @Test func identicalRequestsInFlightJoinOneJob() async throws {
        // The first call waits for the latch, so the second request surely arrives while it runs.
        let latch = ScriptedProvider.Latch()
        let provider = ScriptedProvider([.wait(latch)])
        try await AppHarness.run(workers: 2, routes: AccountsTests.routes(provider)) { _, runtime in
            let request = ImageRequest(
                prompt: "one slow picture",
                model: "priced",
                size: .fixed(.init(width: 64, height: 64)),
                resolvedSize: .init(width: 64, height: 64)
            )
            var submission = JobService.Submission(payload: JobPayload(request: request), userID: "u", rawRequest: "same")
            submission.cache = true
            let first = try await runtime.jobService.submit(submission, delivery: .none)
            #expect(first.cache == .miss && !first.job.status.isTerminal)
            // The second arrives while the first runs: it joins it.
            let second = try await runtime.jobService.submit(submission, delivery: .none)
            #expect(second.cache == .joined)
            #expect(second.job.id == first.job.id)
            latch.open()
            #expect(try await eventually { try await runtime.jobStore.job(id: first.job.id)?.status == .succeeded })
            // A third, after it finished, is answered from it.
            let third = try await runtime.jobService.submit(submission, delivery: .none)
            #expect(third.cache == .hit && third.job.result?.cachedFrom == first.job.id)
            #expect(provider.callCount == 1)
        }
    }
}
