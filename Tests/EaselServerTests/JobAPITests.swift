import EaselCore
import EaselProviders
import EaselServer
import EaselTesting
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Testing

@Suite("Job API")
struct JobAPITests {
    @Test func queuedJobsShowTheirPositionAndCanBeCancelled() async throws {
        try await AppHarness.run(workers: 0) { client, _ in
            var ids: [String] = []
            for index in 0..<3 {
                let response = try await client.post("/api/jobs", json: ["prompt": .string("job \(index)"), "size": "64x64"])
                #expect(response.status == .accepted)
                let body = try response.json
                #expect(body["status"] == "queued")
                #expect(body["queue_position"] == .int(index + 1))
                ids.append(try #require(body["id"]?.stringValue))
            }
            let cancelled = try await client.execute(uri: "/api/jobs/\(ids[0])", method: .delete, headers: [:], body: nil)
            #expect(try cancelled.json["status"] == "cancelled")
            #expect(try await client.get("/api/jobs/\(ids[2])").json["queue_position"] == 2)
            let twice = try await client.execute(uri: "/api/jobs/\(ids[0])", method: .delete, headers: [:], body: nil)
            #expect(twice.status == .conflict)

            let page = try await client.get("/api/jobs?limit=2").json
            guard case .array(let items)? = page["data"] else {
                Issue.record("no list")
                return
            }
            #expect(items.map { $0["id"]?.stringValue } == [ids[2], ids[1]])
            #expect(page["has_more"] == true)
            let cursor = try #require(page["next_cursor"]?.stringValue)
            let rest = try await client.get("/api/jobs?limit=2&before=\(cursor)").json
            guard case .array(let restItems)? = rest["data"] else { return }
            #expect(restItems.map { $0["id"]?.stringValue } == [ids[0]])
            #expect(try await client.get("/api/jobs?status=cancelled").json["data"].map { if case .array(let a) = $0 { a.count } else { -1 } } == 1)
            #expect(try await client.get("/api/jobs?status=nope").status == .badRequest)
            #expect(try await client.get("/api/jobs?limit=1000").status == .badRequest)
        }
    }

    @Test func eventStreamTellsTheWholeStory() async throws {
        try await AppHarness.run { client, _ in
            let job = try await client.post("/api/jobs", json: ["prompt": "red mountains", "size": "96x96", "partial_images": 2]).json
            let id = try #require(job["id"]?.stringValue)
            let response = try await client.get("/api/jobs/\(id)/events")
            #expect(response.headers[.contentType] == "text/event-stream")
            let events = try SSE.parse(response.text)
            let names = events.compactMap(\.event)
            #expect(names.first == "state")
            #expect(names.last == "succeeded")
            #expect(names.filter { $0 == "succeeded" }.count == 1)
            // A client that connects late still learns the final state first, then the stream ends.
            let late = try SSE.parse(try await client.get("/api/jobs/\(id)/events").text)
            #expect(late.first?.data["status"] == "succeeded")
            #expect(late.compactMap(\.event).last == "succeeded")
        }
    }

    @Test func partialImagesReachTheEventStream() async throws {
        try await AppHarness.run(workers: 0) { client, runtime in
            let job = try await client.post("/api/jobs", json: ["prompt": "neon city", "size": "64x64", "partial_images": 3]).json
            let id = try #require(job["id"]?.stringValue)
            // Start the worker only once someone is listening, so every event is seen live.
            let listener = Task { try await client.get("/api/jobs/\(id)/events") }
            // Under a loaded machine the stream can take a while to subscribe: wait for it, not a fixed time.
            for _ in 0..<500 where !runtime.hub.watchedJobIDs.contains(id) { try await Task.sleep(for: .milliseconds(10)) }
            #expect(runtime.hub.watchedJobIDs.contains(id))
            let group = ServiceGroupRunner(services: runtime.workerServices(concurrency: 1))
            let response = try await listener.value
            await group.stop()
            let events = try SSE.parse(response.text)
            let partials = events.filter { $0.event == "partial" }
            #expect(partials.map { $0.data["partial_index"] } == [0, 1, 2])
            #expect(events.compactMap(\.event).last == "succeeded")
        }
    }

    @Test func retryableFailuresAreRetriedAndRecorded() async throws {
        let provider = ScriptedProvider([.fail(ScriptedProvider.retryable("overloaded 1")), .fail(ScriptedProvider.retryable("overloaded 2"))])
        try await AppHarness.run(routes: [.init(model: .gptImage15, providers: [provider])]) { client, _ in
            let response = try await client.post("/v1/images/generations", json: ["model": "gpt-image-1.5", "prompt": "p", "size": "1024x1024"])
            #expect(response.status == .ok)
            #expect(response.headers[HTTPField.Name("x-easel-draft")!] == nil)
            let id = try #require(response.headers[HTTPField.Name("x-easel-job-id")!])
            let job = try await client.get("/api/jobs/\(id)").json
            #expect(job["attempts"] == 3)
            #expect(job["status"] == "succeeded")
            guard case .array(let errors)? = job["attempt_errors"] else {
                Issue.record("no attempt errors")
                return
            }
            #expect(errors.map { $0["error"]?["message"] } == ["overloaded 1", "overloaded 2"])
            #expect(provider.callCount == 3)
        }
    }

    @Test func exhaustedRetriesFailWithTheProvidersError() async throws {
        let provider = ScriptedProvider(Array(repeating: .fail(ScriptedProvider.retryable("still down", status: 503)), count: 5))
        try await AppHarness.run(routes: [.init(model: .gptImage15, providers: [provider])]) { client, _ in
            let response = try await client.post("/v1/images/generations", json: ["model": "gpt-image-1.5", "prompt": "p"])
            #expect(response.status == .serviceUnavailable)
            #expect(try response.errorObject["message"] == "still down")
            let id = try #require(response.headers[HTTPField.Name("x-easel-job-id")!])
            let job = try await client.get("/api/jobs/\(id)").json
            #expect(job["status"] == "failed")
            #expect(job["attempts"] == 3)
            #expect(provider.callCount == 3)
        }
    }

    @Test func permanentErrorsAreNotRetried() async throws {
        let provider = ScriptedProvider([.fail(ScriptedProvider.permanent("blocked by the safety system"))])
        try await AppHarness.run(routes: [.init(model: .gptImage15, providers: [provider])]) { client, _ in
            let response = try await client.post("/v1/images/generations", json: ["model": "gpt-image-1.5", "prompt": "p"])
            #expect(response.status == .badRequest)
            #expect(try response.errorObject["code"] == "moderation_blocked")
            #expect(provider.callCount == 1)
        }
    }

    @Test func cancellingARunningJobStopsIt() async throws {
        let provider = ScriptedProvider([.hang])
        try await AppHarness.run(routes: [.init(model: .gptImage15, providers: [provider])]) { client, runtime in
            let job = try await client.post("/api/jobs", json: ["model": "gpt-image-1.5", "prompt": "slow"]).json
            let id = try #require(job["id"]?.stringValue)
            #expect(try await eventually { try await client.get("/api/jobs/\(id)").json["status"] == "running" })
            let cancelled = try await client.execute(uri: "/api/jobs/\(id)", method: .delete, headers: [:], body: nil)
            #expect(try cancelled.json["status"] == "cancelled")
            // The worker's task is stopped, and nothing overwrites the cancellation.
            #expect(try await eventually { runtime.running.count == 0 })
            try await Task.sleep(for: .milliseconds(100))
            #expect(try await client.get("/api/jobs/\(id)").json["status"] == "cancelled")
        }
    }

    @Test func badJobRequestsAreRejected() async throws {
        try await AppHarness.run(workers: 0) { client, runtime in
            let priority = try await client.post("/api/jobs", json: ["prompt": "p", "priority": 99])
            #expect(priority.status == .badRequest)
            #expect(try priority.errorObject["param"] == "priority")
            let size = try await client.post("/api/jobs", json: ["prompt": "p", "size": "65x64"])
            #expect(size.status == .badRequest)
            let counts = try await runtime.jobStore.countsByStatus()
            #expect(counts.isEmpty)
        }
    }
}
