import EaselCore
import EaselFakeOpenAI
import EaselProviders
import EaselTesting
import Foundation
import Testing

/// OpenAI's Files and Batch APIs against the fake: the request lines Easel writes, the calls it makes, and how
/// each kind of output line reads back.
@Suite("OpenAI Batch API client")
struct OpenAIBatchAPITests {
    static func job(_ id: String, prompt: String) -> ProviderJob {
        let request = ImageRequest(
            prompt: prompt,
            model: "gpt-image-2",
            resolvedSize: .init(width: 1024, height: 1024),
            quality: "low",
            resolvedQuality: "low"
        )
        return ProviderJob(id: id, request: request, attempt: 1, capabilities: ModelCapabilities.builtIn.first { $0.id == "gpt-image-2" })
    }

    final class Lines: Sendable {
        let all = Locked<[UpstreamBatchLine]>([])
    }

    static func waitFinal(_ api: OpenAIBatchAPI, _ id: String) async throws -> UpstreamBatchStatus {
        let deadline = ContinuousClock.now + .seconds(20)
        while true {
            let status = try await api.status(of: id)
            if status.isFinal || ContinuousClock.now > deadline { return status }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    @Test func aBatchIsWrittenSentPolledAndReadLineByLine() async throws {
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
            let api = OpenAIBatchAPI(provider: harness.provider(), settings: UpstreamBatchSettings())
            let jobs = [("job_a", "a mug"), ("job_b", "BLOCKME"), ("job_c", "BREAKME"), ("job_d", "LOSEME")].map { Self.job($0.0, prompt: $0.1) }

            // Each line is a request OpenAI's batch endpoint takes, named by the job.
            let line = try JSONParser.parse(api.requestLine(for: jobs[0]))
            #expect(line["custom_id"] == "job_a")
            #expect(line["method"] == "POST")
            #expect(line["url"] == "/v1/images/generations")
            #expect(line["body"]?["model"] == "gpt-image-2")
            #expect(line["body"]?["prompt"] == "a mug")

            let jsonl = jobs.flatMap { api.requestLine(for: $0) + [UInt8(ascii: "\n")] }
            let fileID = try await api.uploadInput(jsonl, filename: "easel-test.jsonl")
            let created = try await api.create(inputFileID: fileID, metadata: ["easel_batch": "ubt_1"])
            #expect(created.status == "validating")
            #expect(try await api.recent(limit: 5).first { $0.metadata["easel_batch"] == "ubt_1" }?.id == created.id)

            let done = try await Self.waitFinal(api, created.id)
            #expect(done.status == "completed")
            #expect(done.total == 4)
            let lines = Lines()
            for file in [done.outputFileID, done.errorFileID].compactMap({ $0 }) {
                try await api.readResults(fileID: file, route: "gpt-image-2", upstreamModel: "gpt-image-2") { line in
                    lines.all.withLock { $0.append(line) }
                }
            }
            var outcomes: [String: String] = [:]
            for line in lines.all.withLock({ $0 }) {
                switch line {
                case .succeeded(let id, let result):
                    #expect(result.images.first.map { ImageHeader.read($0.data)?.format } == .png)
                    #expect(result.provider == "openai")
                    #expect(result.usage?.outputTokens ?? 0 > 0)
                    outcomes[id] = "succeeded"
                case .failed(let id, let error):
                    #expect(error.error.retryable == false)
                    outcomes[id] = error.error.code
                case .malformed(let id, _, _):
                    // The cut-short line still names its job, so only that job fails.
                    outcomes[id ?? "?"] = "malformed"
                }
            }
            #expect(outcomes == ["job_a": "succeeded", "job_b": "moderation_blocked", "job_c": "malformed"])

            let before = harness.state.batches.fileCount
            try await api.deleteFile(fileID)
            #expect(harness.state.batches.fileCount == before - 1)
        }
    }

    @Test func cancelUnknownIdsAndARejectedKeyAreTheProvidersErrors() async throws {
        try await FakeHarness.with { harness in
            var slow = FakeBatchBehavior()
            slow.runMs = 60_000
            harness.state.batches.behavior = slow
            let api = OpenAIBatchAPI(provider: harness.provider(), settings: UpstreamBatchSettings())
            let fileID = try await api.uploadInput(api.requestLine(for: Self.job("job_a", prompt: "a lamp")), filename: "in.jsonl")
            let created = try await api.create(inputFileID: fileID, metadata: [:])
            #expect(["cancelling", "cancelled"].contains(try await api.cancel(created.id).status))
            #expect(try await Self.waitFinal(api, created.id).status == "cancelled")

            do {
                _ = try await api.status(of: "batch_nope")
                Issue.record("an unknown batch was found")
            } catch let error as ProviderError {
                #expect(error.error.status == 404)
                #expect(!error.error.retryable)
            }

            let wrong = OpenAIBatchAPI(provider: harness.provider(key: "sk-wrong-SECRET-0000"), settings: UpstreamBatchSettings())
            do {
                _ = try await wrong.uploadInput(Array("{}\n".utf8), filename: "in.jsonl")
                Issue.record("a wrong key was accepted")
            } catch let error as ProviderError {
                #expect(error.error.code == "provider_auth_failed")
                #expect(!error.error.retryable)
                #expect(!error.description.contains("SECRET") && !error.error.message.contains("SECRET"))
            }
        }
    }
}
