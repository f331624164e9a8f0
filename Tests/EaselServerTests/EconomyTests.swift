import EaselCore
import EaselFakeOpenAI
import EaselServer
import EaselStore
import EaselTesting
import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing

/// Economy batches through the fake OpenAI's Files and Batch APIs: half price, every image stored, failures
/// refunded once, expiry, cancel and a restart while the provider works.
@Suite("Economy batches")
struct EconomyTests {
    /// OpenAI through the fake, its Batch API quick to collect and poll; `batch` adds settings.
    static func providers(_ harness: FakeHarness, batch: [String] = []) throws -> ProvidersConfig {
        let lines =
            ["    batch:", "      collect_seconds: 0.05", "      poll_seconds: 0.05", "      max_poll_seconds: 0.2"] + batch.map { "      " + $0 }
        return try harness.providersConfig(providerYAML: lines.joined(separator: "\n"))
    }

    /// Easel routed to the fake with its Batch API on (`batch`: more settings), and a metered user with $5.
    static func withSaver(
        _ harness: FakeHarness,
        batch: [String] = [],
        workers: Int = 4,
        _ body: @Sendable (AuthorizedClient, EaselRuntime, EaselUser) async throws -> Void
    ) async throws {
        let providers = try providers(harness, batch: batch)
        let policy = policy()
        try await AppHarness.run(
            workers: workers,
            configure: .with {
                $0.providers = providers
                $0.policy = policy
            }
        ) { client, runtime in
            let (user, key) = try await AccountsTests.user(runtime, "saver", plan: "metered", usd: "5.00")
            try await body((client as! AuthorizedClient).with(key: key), runtime, user)
        }
    }

    static func policy() -> PolicyConfig {
        var policy = PolicyConfig()
        policy.plans["metered"] = Plan(name: "metered", imagesPerDay: nil, maxN: 10)
        policy.plans["metered"]?.maxBatchItems = 100
        return policy
    }

    static func spec(_ subjects: [String], extra: [String: JSONValue] = [:]) -> JSONValue {
        var fields: [String: JSONValue] = [
            "brief": ["subject": "{subject}", "style": "photorealistic"], "rows": .array(subjects.map { .object(["subject": .string($0)]) }),
            "model": "gpt-image-2", "size": "1024x1024", "quality": "low", "service_tier": "economy",
        ]
        for (key, value) in extra { fields[key] = value }
        return .object(fields)
    }

    static func ledger(_ runtime: EaselRuntime, _ userID: String) async throws -> [LedgerEntry] {
        try await runtime.ledgerStore.ledger(userID: userID, limit: 1000)
    }

    /// The ledger once `finals` jobs are settled or refunded: money follows a job's end by a moment.
    static func ledger(_ runtime: EaselRuntime, _ userID: String, finals: Int) async throws -> [LedgerEntry] {
        let deadline = ContinuousClock.now + .seconds(15)
        while true {
            let entries = try await ledger(runtime, userID)
            if entries.filter({ $0.phase == .final }).count >= finals || ContinuousClock.now > deadline { return entries }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    @Test func twelveItemsRunInOneProviderBatchAtHalfPrice() async throws {
        try await FakeHarness.with { harness in
            try await Self.withSaver(harness) { saver, runtime, user in
                let subjects = (1...12).map { "catalogue scene \($0)" }

                // The dry run shows both prices and where the items go.
                let dry = try await saver.post("/api/batches", json: Self.spec(subjects, extra: ["dry_run": true])).json
                let estimate = try #require(dry["estimate"]?["micros"]?.intValue)
                let standard = try #require(dry["economy"]?["standard_estimate"]?["micros"]?.intValue)
                #expect(dry["service_tier"] == "economy")
                #expect(estimate * 2 >= standard && estimate * 2 <= standard + 24)
                #expect(dry["economy"]?["saving"]?["micros"]?.intValue == standard - estimate)
                #expect(dry["economy"]?["routes"]?.arrayValue?.first?["runs"] == "provider_batch")
                #expect(dry["economy"]?["routes"]?.arrayValue?.first?["price_percent"] == 50)

                let created = try await saver.post("/api/batches", json: Self.spec(subjects))
                #expect(created.status == .accepted)
                let id = try #require(try created.json["id"]?.stringValue)
                // The provider batch is read to its end (its jobs settled) before it is marked finished.
                _ = try await Self.waitUpstream(saver, id) { $0["phase"] == "finished" }
                let done = try await BatchTests.waitFinished(saver, id)
                #expect(done["counts"]?["succeeded"] == 12)
                #expect(harness.state.batches.batchCount == 1)
                let upstream = try #require(done["upstream_batches"]?.arrayValue)
                #expect(upstream.count == 1)
                #expect(upstream.first?["upstream_status"] == "completed")
                #expect(upstream.first?["phase"] == "finished")
                #expect(upstream.first?["request_counts"]?["completed"] == 12)
                // The input went up as one JSONL through the Files API, each line the synchronous body.
                let paths = harness.state.requests.map(\.path)
                #expect(paths.filter { $0 == "/v1/files" }.count == 1)
                #expect(paths.filter { $0 == "/v1/batches" }.count == 1)
                #expect(!paths.contains("/v1/images/generations"))
                // Files are deleted once read (just after the batch is marked finished, so a crash between the
                // two never loses results: wait for it).
                #expect(try await eventually { harness.state.batches.fileCount == 0 })

                // Every image stored, with its batch and brief, and the job says how it ran.
                let items = try #require(done["items"]?.arrayValue)
                var settled: Int64 = 0
                for item in items {
                    let jobID = try #require(item["job_id"]?.stringValue)
                    let job = try await saver.get("/api/jobs/\(jobID)").json
                    #expect(job["service_tier"] == "economy")
                    #expect(job["price_percent"] == 50)
                    #expect(job["provider"] == "openai")
                    #expect(job["upstream_request_id"]?.stringValue?.hasPrefix("req_fake_batch_") == true)
                    let asset = try #require(item["asset_ids"]?.arrayValue?.first?.stringValue)
                    let record = try await saver.get("/api/assets/\(asset)").json
                    #expect(record["batch_id"]?.stringValue == id)
                    #expect(record["brief"]?["subject"] == item["variables"]?["subject"])
                    #expect(try await saver.get("/files/\(asset)").status == .ok)
                }
                // Money: half the table price from each job's usage, settled once; the saving shows in usage.
                let prices = PriceTable.builtIn
                let entries = try await Self.ledger(runtime, user.id, finals: 12)
                for entry in entries where entry.kind == .settle {
                    let jobID = try #require(entry.jobID)
                    let job = try #require(try await runtime.jobStore.job(id: jobID))
                    let full = prices.actual(job.payload.request, usage: job.result?.usage, images: 1)
                    let half = prices.actual(job.payload.request, usage: job.result?.usage, images: 1, percent: 50)
                    #expect(entry.costMicros == half)
                    #expect(entry.savedMicros == full - half)
                    #expect(full >= 2 * half - 3 && full <= 2 * half)
                    settled += entry.costMicros
                }
                #expect(entries.filter { $0.kind == .settle }.count == 12)
                #expect(entries.filter { $0.kind == .refund }.isEmpty)
                #expect(done["cost_usd"]?.stringValue == Money.usd(settled))
                let balance = try await runtime.userStore.user(id: user.id)?.balanceMicros
                #expect(balance == 5_000_000 - settled)
                let usage = try await saver.get("/api/usage").json
                #expect(usage["total_cost_usd"]?.stringValue == Money.usd(settled))
                #expect((Money.parseUSD(usage["total_saved_usd"]?.stringValue ?? "") ?? 0) > 0)

                // The manifest and zip are those of any batch.
                let zip = try await saver.get("/api/batches/\(id)/export.zip")
                let entriesInZip = try ZipReader.entries(Data(buffer: zip.body))
                #expect(entriesInZip.filter { $0.name.hasSuffix(".png") }.count == 12)
                #expect(entriesInZip.contains { $0.name == "manifest.csv" })
            }
        }
    }

    @Test func failedMalformedAndMissingLinesEndOnlyTheirJobsRefundedOnce() async throws {
        try await FakeHarness.with { harness in
            var behavior = FakeBatchBehavior()
            behavior.lineFaults = [
                .init(
                    match: "BLOCKME",
                    kind: .error(status: 400, code: "moderation_blocked", message: "Your request was rejected by the safety system.")
                ),
                .init(match: "BREAKME", kind: .malformed),
                .init(match: "LOSEME", kind: .missing),
            ]
            harness.state.batches.behavior = behavior
            try await Self.withSaver(harness) { saver, runtime, user in
                let subjects = ["a fine mug", "BLOCKME please", "a fine lamp", "BREAKME now", "LOSEME here", "a fine chair"]
                let id = try #require(try await saver.post("/api/batches", json: Self.spec(subjects)).json["id"]?.stringValue)
                _ = try await Self.waitUpstream(saver, id) { $0["phase"] == "finished" }
                let done = try await BatchTests.waitFinished(saver, id)
                #expect(done["counts"]?["succeeded"] == 3)
                #expect(done["counts"]?["failed"] == 3)
                var codes: [String: String] = [:]
                for item in try #require(done["items"]?.arrayValue) where item["status"] == "failed" {
                    codes[item["variables"]?["subject"]?.stringValue ?? ""] = item["error"]?["code"]?.stringValue
                }
                #expect(
                    codes == ["BLOCKME please": "moderation_blocked", "BREAKME now": "bad_provider_output", "LOSEME here": "upstream_result_missing"]
                )
                let entries = try await Self.ledger(runtime, user.id, finals: 6)
                #expect(entries.filter { $0.kind == .refund }.count == 3)
                #expect(entries.filter { $0.kind == .settle }.count == 3)
                #expect(entries.filter { $0.kind == .reserve }.count == 6)
                let settled = entries.filter { $0.kind == .settle }.reduce(Int64(0)) { $0 + $1.costMicros }
                #expect(try await runtime.userStore.user(id: user.id)?.balanceMicros == 5_000_000 - settled)
                // Retrying the failed items sends them again, each still refunded or settled once.
                #expect(try await saver.post("/api/batches/\(id)/retry", json: [:]).status == .accepted)
                let deadline = ContinuousClock.now + .seconds(30)
                while ContinuousClock.now < deadline {
                    let sent = try await saver.get("/api/batches/\(id)").json["upstream_batches"]?.arrayValue ?? []
                    if sent.count == 2 && sent.allSatisfy({ $0["phase"] == "finished" }) { break }
                    try await Task.sleep(for: .milliseconds(20))
                }
                let after = try await Self.ledger(runtime, user.id, finals: 9)
                #expect(after.filter { $0.kind == .refund }.count == 6)
                #expect(harness.state.batches.batchCount == 2)
            }
        }
    }

    @Test func anExpiredBatchSendsItsUnrunJobsAgainOrFailsThemAsConfigured() async throws {
        try await FakeHarness.with { harness in
            var expiring = FakeBatchBehavior()
            expiring.expire = true
            expiring.expireFraction = 0.5
            harness.state.batches.behavior = expiring
            try await Self.withSaver(harness) { saver, runtime, user in
                let id = try #require(try await saver.post("/api/batches", json: Self.spec(["one", "two", "three", "four"])).json["id"]?.stringValue)
                // Once the first provider batch exists, later ones run normally.
                let deadline = ContinuousClock.now + .seconds(20)
                while harness.state.batches.batchCount == 0 && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
                harness.state.batches.behavior = FakeBatchBehavior()
                let done = try await BatchTests.waitFinished(saver, id)
                #expect(done["counts"]?["succeeded"] == 4)
                #expect(harness.state.batches.batchCount == 2)
                let statuses = try #require(done["upstream_batches"]?.arrayValue).compactMap { $0["upstream_status"]?.stringValue }
                #expect(statuses.sorted() == ["completed", "expired"])
                // Two jobs ran twice: their first attempt's error says why.
                let jobs = try await runtime.jobService.list(userID: user.id, status: nil, groupID: id, before: nil, limit: 10).items
                let again = jobs.filter { $0.attempts == 2 }
                #expect(again.count == 2)
                for job in again {
                    #expect(try await runtime.jobStore.attempts(jobID: job.id).first?.error.code == "batch_expired")
                }
                #expect(try await Self.ledger(runtime, user.id, finals: 4).filter { $0.kind == .settle }.count == 4)
            }
        }
        // With `on_unfinished: fail`, the unrun jobs fail with the provider's reason and are refunded.
        try await FakeHarness.with { harness in
            var expiring = FakeBatchBehavior()
            expiring.expire = true
            expiring.expireFraction = 0.5
            harness.state.batches.behavior = expiring
            try await Self.withSaver(harness, batch: ["on_unfinished: fail"]) { saver, runtime, user in
                let id = try #require(try await saver.post("/api/batches", json: Self.spec(["one", "two", "three", "four"])).json["id"]?.stringValue)
                let done = try await BatchTests.waitFinished(saver, id)
                #expect(done["counts"]?["succeeded"] == 2)
                #expect(done["counts"]?["failed"] == 2)
                let codes = try #require(done["items"]?.arrayValue).compactMap { $0["error"]?["code"]?.stringValue }
                #expect(codes == ["batch_expired", "batch_expired"])
                #expect(try await Self.ledger(runtime, user.id, finals: 4).filter { $0.kind == .refund }.count == 2)
                #expect(harness.state.batches.batchCount == 1)
            }
        }
    }

    @Test func cancellingTheBatchCancelsItUpstreamAndRefundsEveryItem() async throws {
        try await FakeHarness.with { harness in
            var slow = FakeBatchBehavior()
            slow.runMs = 60_000
            harness.state.batches.behavior = slow
            try await Self.withSaver(harness) { saver, runtime, user in
                let id = try #require(try await saver.post("/api/batches", json: Self.spec(["a", "b", "c"])).json["id"]?.stringValue)
                let sent = try await Self.waitUpstream(saver, id) { $0["phase"] == "submitted" }
                #expect(sent["upstream_id"]?.stringValue != nil)
                let cancelled = try await saver.execute(uri: "/api/batches/\(id)", method: .delete, headers: [:], body: nil).json
                #expect(cancelled["counts"]?["cancelled"] == 3)
                let finished = try await Self.waitUpstream(saver, id) { $0["phase"] == "finished" }
                #expect(finished["upstream_status"] == "cancelled")
                #expect(harness.state.batches.cancelledBatchIDs == [sent["upstream_id"]?.stringValue ?? ""])
                let entries = try await Self.ledger(runtime, user.id, finals: 3)
                #expect(entries.filter { $0.kind == .refund }.count == 3)
                #expect(try await runtime.userStore.user(id: user.id)?.balanceMicros == 5_000_000)
            }
        }
    }

    /// Polls the batch until its first provider batch matches.
    static func waitUpstream(_ client: some TestClientProtocol, _ id: String, _ done: (JSONValue) -> Bool) async throws -> JSONValue {
        // Reading a provider batch stores every image (decode, thumbnail, completion): on two cores busy with
        // the PostgreSQL run of every suite that has taken longer than 30 s.
        let deadline = ContinuousClock.now + .seconds(90)
        while ContinuousClock.now < deadline {
            if let first = try await client.get("/api/batches/\(id)").json["upstream_batches"]?.arrayValue?.first, done(first) { return first }
            try await Task.sleep(for: .milliseconds(20))
        }
        Issue.record("the provider batch of \(id) never got there")
        return .null
    }

    @Test func aRestartWhileTheProviderWorksResumesPollingWithoutSendingAgain() async throws {
        try await FakeHarness.with { harness in
            var slow = FakeBatchBehavior()
            slow.runMs = 1_500
            harness.state.batches.behavior = slow
            let providers = try Self.providers(harness)
            let policy = Self.policy()
            let data = try TemporaryDirectory()
            let configure: (inout EaselConfig) -> Void = {
                $0.providers = providers
                $0.policy = policy
            }
            // First life: submit over HTTP, and stop once the provider has the batch.
            let first = try await TestSupport.runtime(data: data, configure: configure)
            let (user, key) = try await AccountsTests.user(first, "saver", plan: "metered", usd: "5.00")
            let submitted = Locked("")
            try await buildApplication(runtime: first, withWorkers: true).test(.router) { client in
                let saver = AuthorizedClient(base: client, key: key)
                let batchID = try #require(try await saver.post("/api/batches", json: Self.spec(["x", "y", "z"])).json["id"]?.stringValue)
                submitted.withLock { $0 = batchID }
                let sent = try await Self.waitUpstream(saver, batchID) { $0["phase"] == "submitted" }
                #expect(sent["upstream_status"]?.stringValue != "completed")
            }
            try await first.close()
            #expect(harness.state.batches.batchCount == 1)

            // Second life on the same data: it polls the same provider batch and reads its results.
            let second = try await TestSupport.runtime(data: data, configure: configure)
            let id = submitted.withLock { $0 }
            try await buildApplication(runtime: second, withWorkers: true).test(.router) { client in
                let saver = AuthorizedClient(base: client, key: key)
                let done = try await BatchTests.waitFinished(saver, id)
                #expect(done["counts"]?["succeeded"] == 3)
            }
            #expect(harness.state.batches.batchCount == 1)
            #expect(harness.state.requests.filter { $0.path == "/v1/files" }.count == 1)
            let entries = try await second.ledgerStore.ledger(userID: user.id, limit: 100)
            #expect(entries.filter { $0.kind == .settle }.count == 3)
            try await second.close()
            _ = data
        }
    }

    @Test func whatAProviderBatchCannotTakeIsRefusedAtSubmission() async throws {
        try await FakeHarness.with { harness in
            try await Self.withSaver(harness, batch: ["models: [gpt-image-2]", "sizes: [1024x1024, 1536x1024, 1024x1536]"], workers: 0) {
                saver,
                runtime,
                _ in
                let cases: [(String, JSONValue, String)] = [
                    ("/api/batches", Self.spec(["x"], extra: ["model": "gpt-image-1.5"]), "model"),
                    ("/api/batches", Self.spec(["x"], extra: ["size": "2048x2048"]), "size"),
                    ("/api/batches", Self.spec(["x"], extra: ["service_tier": "cheapest"]), "service_tier"),
                    ("/api/jobs", ["prompt": "x", "model": "gpt-image-2", "service_tier": "economy", "partial_images": 2], "partial_images"),
                    ("/api/jobs", ["prompt": "x", "model": "gpt-image-2", "service_tier": "economy", "size": "1536x864"], "size"),
                    ("/api/jobs", ["prompt": "x", "model": "gpt-image-2", "service_tier": 5], "service_tier"),
                    ("/v1/images/generations", ["prompt": "x", "model": "gpt-image-2", "service_tier": "economy"], "service_tier"),
                ]
                for (path, body, param) in cases {
                    let response = try await saver.post(path, json: body)
                    #expect(response.status == .badRequest, "\(path) \(body)")
                    #expect(try response.errorObject["param"]?.stringValue == param, "\(path) \(body)")
                }
                #expect(try await runtime.jobStore.countsByStatus().isEmpty)

                // A single economy job through the job API waits for the provider batch at half the reservation.
                let job = try await saver.post(
                    "/api/jobs",
                    json: ["prompt": "one mug", "model": "gpt-image-2", "quality": "low", "service_tier": "economy"]
                )
                #expect(job.status == .accepted)
                #expect(try job.json["service_tier"] == "economy")
                #expect(try job.json["price_percent"] == 50)
                let jobID = try #require(try job.json["id"]?.stringValue)
                let stored = try #require(try await runtime.jobStore.job(id: jobID))
                #expect(stored.queue == "economy")
                // The compile route shows both prices.
                let compiled = try await saver.post(
                    "/api/briefs/compile",
                    json: ["brief": ["subject": "a mug"], "model": "gpt-image-2", "quality": "low", "service_tier": "economy"]
                ).json
                #expect(compiled["service_tier"] == "economy")
                #expect(compiled["economy"]?["standard_estimate"]?["micros"]?.intValue ?? 0 > compiled["estimate"]?["micros"]?.intValue ?? 0)
            }
        }
    }

    @Test func onARouteWithoutABatchAPIEconomyRunsHereLastAtTheNormalPrice() async throws {
        try await AppHarness.run(workers: 2) { client, runtime in
            let dry = try await client.post(
                "/api/batches",
                json: ["brief": ["subject": "{s}"], "rows": [["s": "a"], ["s": "b"]], "size": "64x64", "service_tier": "economy", "dry_run": true]
            ).json
            let route = try #require(dry["economy"]?["routes"]?.arrayValue?.first)
            #expect(route["runs"] == "here_low_priority")
            #expect(route["price_percent"] == 100)
            #expect(route["note"]?.stringValue?.contains("normal price") == true)
            let job = try await client.post("/api/jobs", json: ["prompt": "x", "size": "64x64", "service_tier": "economy"]).json
            #expect(job["priority"] == -10)
            #expect(job["service_tier"] == "economy")
            let id = try #require(job["id"]?.stringValue)
            let stored = try #require(try await runtime.jobStore.job(id: id))
            #expect(stored.queue == "default")
            let deadline = ContinuousClock.now + .seconds(20)
            var status = ""
            while status != "succeeded" && ContinuousClock.now < deadline {
                status = try await client.get("/api/jobs/\(id)").json["status"]?.stringValue ?? ""
                try await Task.sleep(for: .milliseconds(20))
            }
            #expect(status == "succeeded")
        }
    }
}
