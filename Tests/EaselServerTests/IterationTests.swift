import EaselCore
import EaselServer
import EaselTesting
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Testing

@Suite("Iteration: lineage, sessions, variations, promotion, upscaling, aspect sets")
struct IterationTests {
    /// Generates one draft image and returns its asset id.
    func generated(_ client: any TestClientProtocol, prompt: String = "teal bottle on a desk", size: String = "256x192") async throws -> String {
        let created = try await client.post("/api/jobs", json: ["prompt": .string(prompt), "size": .string(size), "model": "easel-draft"])
        let job = try await client.finishedJob(try #require(try created.json["id"]?.stringValue))
        #expect(job["status"] == "succeeded")
        return try #require(job["asset_ids"]?.arrayValue?.first?.stringValue)
    }

    func finishedAsset(_ client: any TestClientProtocol, _ response: TestResponse) async throws -> String {
        #expect(response.status == .accepted, "\(response.text)")
        let job = try await client.finishedJob(try #require(try response.json["id"]?.stringValue))
        #expect(job["status"] == "succeeded", "\(job)")
        return try #require(job["asset_ids"]?.arrayValue?.first?.stringValue)
    }

    @Test func lineageAfterThreeRevisions() async throws {
        try await AppHarness.run { client, _ in
            let root = try await generated(client)
            var chain = [root]
            for step in 1...3 {
                let response = try await client.post("/api/assets/\(chain.last!)/edits", json: ["prompt": .string("revision \(step)")])
                chain.append(try await finishedAsset(client, response))
            }
            let lineage = try await client.get("/api/assets/\(chain[3])/lineage").json
            #expect(lineage["root"]?["id"]?.stringValue == root)
            #expect(lineage["ancestors"]?.arrayValue?.compactMap { $0["id"]?.stringValue } == Array(chain[0..<3]))
            #expect(lineage["children"]?.arrayValue?.isEmpty == true)
            // The tree nests each revision under the one before.
            var node = lineage["tree"]
            var path: [String] = []
            while let current = node, let id = current["id"]?.stringValue {
                path.append(id)
                node = current["children"]?.arrayValue?.first
            }
            #expect(path == chain)
            let middle = try await client.get("/api/assets/\(chain[1])/lineage").json
            #expect(middle["children"]?.arrayValue?.compactMap { $0["id"]?.stringValue } == [chain[2]])
            #expect(try await client.get("/api/assets/img_00000000000000000000000000/lineage").status == .notFound)
        }
    }

    @Test func sessionOfThreeTurnsEditsTheLatestImageEachTime() async throws {
        try await AppHarness.run { client, _ in
            let base = try await generated(client)
            let created = try await client.post("/api/sessions", json: ["asset_id": .string(base), "title": "bottle"])
            #expect(created.status == .created)
            let sessionID = try #require(try created.json["id"]?.stringValue)
            #expect(try created.json["model"] == "easel-draft")
            var outputs: [String] = []
            for (index, prompt) in ["warmer light", "add a red cap", "darker background"].enumerated() {
                let turn = try await client.post("/api/sessions/\(sessionID)/turns", json: ["prompt": .string(prompt)])
                #expect(turn.status == .accepted, "\(turn.text)")
                #expect(try turn.json["turn"] == .int(index + 1))
                #expect(try turn.json["input_asset_id"]?.stringValue == (outputs.last ?? base))
                let job = try await client.finishedJob(try #require(try turn.json["job_id"]?.stringValue))
                outputs.append(try #require(job["asset_ids"]?.arrayValue?.first?.stringValue))
            }
            let session = try await client.get("/api/sessions/\(sessionID)").json
            let turns = session["turns"]?.arrayValue ?? []
            #expect(turns.count == 3)
            #expect(turns.map { $0["prompt"]?.stringValue } == ["warmer light", "add a red cap", "darker background"])
            #expect(turns.compactMap { $0["input_asset_id"]?.stringValue } == [base] + outputs.prefix(2))
            #expect(turns.allSatisfy { $0["status"] == "succeeded" })
            #expect(session["latest_asset_id"]?.stringValue == outputs.last)
            #expect(try await client.get("/api/sessions/ses_00000000000000000000000000").status == .notFound)
            #expect(try await client.post("/api/sessions/\(sessionID)/turns", json: [:]).status == .badRequest)
        }
    }

    @Test func aTurnWaitsForThePreviousOne() async throws {
        try await AppHarness.run(workers: 0) { client, _ in
            let session = try await client.post("/api/sessions", json: ["model": "easel-draft"]).json
            let id = try #require(session["id"]?.stringValue)
            // No image yet: the first turn generates from its prompt.
            let first = try await client.post("/api/sessions/\(id)/turns", json: ["prompt": "a bottle", "size": "64x64"])
            #expect(first.status == .accepted)
            #expect(try first.json["input_asset_id"] == .null)
            let second = try await client.post("/api/sessions/\(id)/turns", json: ["prompt": "make it red"])
            #expect(second.status == .conflict)
            #expect(try second.errorObject["code"] == "turn_in_progress")
        }
    }

    @Test func variationsKeepTheBriefWithNewSeeds() async throws {
        try await AppHarness.run { client, _ in
            let source = try await generated(client, prompt: "green mountains at dawn")
            let response = try await client.post("/api/assets/\(source)/variations", json: ["n": 2])
            #expect(response.status == .accepted)
            let job = try await client.finishedJob(try #require(try response.json["id"]?.stringValue))
            let sourceAsset = try await client.get("/api/assets/\(source)").json
            let sourceJob = try await client.get("/api/jobs/\(try #require(sourceAsset["job_id"]?.stringValue))").json
            #expect(job["prompt"] == sourceJob["prompt"])
            #expect(job["params"]?["resolved_size"] == "256x192")
            #expect(job["params"]?["n"] == 2)
            #expect(job["params"]?["seed"] != sourceJob["params"]?["seed"])
            let outputs = job["asset_ids"]?.arrayValue?.compactMap(\.stringValue) ?? []
            #expect(outputs.count == 2)
            for id in outputs { #expect(try await client.get("/api/assets/\(id)").json["parent_asset_id"]?.stringValue == source) }
            #expect(try await client.post("/api/assets/\(source)/variations", json: ["n": 11]).status == .badRequest)
        }
    }

    @Test func promoteRerunsThePreviewAtHighQualityAndLargerSize() async throws {
        try await AppHarness.run { client, _ in
            let preview = try await generated(client, size: "256x192")
            let response = try await client.post("/api/assets/\(preview)/promote", json: ["size": "1024x768"])
            let final = try await finishedAsset(client, response)
            let asset = try await client.get("/api/assets/\(final)").json
            #expect(asset["width"] == 1024 && asset["height"] == 768)
            #expect(asset["parent_asset_id"]?.stringValue == preview)
            let job = try await client.get("/api/jobs/\(try #require(asset["job_id"]?.stringValue))").json
            #expect(job["params"]?["quality"] == "high")
            let bad = try await client.post("/api/assets/\(preview)/promote", json: ["size": "1000x1000"])
            #expect(bad.status == .badRequest)
            #expect(try bad.errorObject["param"] == "size")
        }
    }

    @Test func upscaleDoublesTheDimensions() async throws {
        try await AppHarness.run { client, _ in
            let source = try await generated(client, size: "256x192")
            let up = try await finishedAsset(client, try await client.post("/api/assets/\(source)/upscale", json: ["factor": 2]))
            let asset = try await client.get("/api/assets/\(up)").json
            #expect(asset["width"] == 512 && asset["height"] == 384)
            #expect(asset["parent_asset_id"]?.stringValue == source)
            #expect(asset["draft"] == true, "an upscaled draft is still a draft")
            let file = try await client.get("/files/\(up)")
            let header = try #require(ImageHeader.read(Array(buffer: file.body)))
            #expect(header.width == 512 && header.height == 384)
            let bad = try await client.post("/api/assets/\(source)/upscale", json: ["factor": 3])
            #expect(bad.status == .badRequest)
            #expect(try bad.errorObject["param"] == "factor")
        }
    }

    @Test func aspectSetMakesOneJobPerAspectAtValidSizes() async throws {
        try await AppHarness.run { client, _ in
            let response = try await client.post(
                "/api/jobs",
                json: [
                    "prompt": "summer sale banner", "model": "easel-draft", "aspects": ["1:1", "2:3", "3:2", "16:9", "9:16"],
                ]
            )
            #expect(response.status == .accepted, "\(response.text)")
            let group = try response.json
            let sizes = group["aspects"]?.arrayValue?.compactMap { $0["size"]?.stringValue } ?? []
            #expect(sizes == ["1024x1024", "832x1248", "1248x832", "1360x768", "768x1360"])
            let jobs = group["jobs"]?.arrayValue ?? []
            #expect(jobs.count == 5)
            #expect(Set(jobs.compactMap { $0["group_id"]?.stringValue }).count == 1)
            for job in jobs {
                let done = try await client.finishedJob(try #require(job["id"]?.stringValue))
                #expect(done["status"] == "succeeded")
            }
            let bad = try await client.post("/api/jobs", json: ["prompt": "x", "aspects": ["1:1", "wide"]])
            #expect(bad.status == .badRequest)
            #expect(try bad.errorObject["param"] == "aspects[1]")
        }
    }
}
