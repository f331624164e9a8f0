import EaselCore
import EaselServer
import EaselTesting
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Testing

/// Two users: whatever one owns, the other gets 404 for, on every route that takes an id.
@Suite("Ownership (IDOR sweep)")
struct OwnershipTests {
    @Test func noRouteHandsOneUsersObjectsToAnother() async throws {
        try await AppHarness.run { client, runtime in
            let alice = try await runtime.accounts.createUser(name: "alice", role: .user, plan: "unlimited", password: nil)
            let bob = try await runtime.accounts.createUser(name: "bob", role: .user, plan: "unlimited", password: nil)
            let a = (client as! AuthorizedClient).with(key: try await runtime.accounts.createKey(userID: alice.id, name: nil).key)
            let b = (client as! AuthorizedClient).with(key: try await runtime.accounts.createKey(userID: bob.id, name: nil).key)

            // Alice's objects: a job, its image, an edit of it, a session, an aspect group, a key.
            let submitted = try await a.post("/api/jobs", json: ["prompt": "alice's", "size": "64x64"]).json["id"]?.stringValue
            let job = try await a.finishedJob(try #require(submitted))
            let jobID = try #require(job["id"]?.stringValue)
            let asset = try #require(job["asset_ids"]?.arrayValue?.first?.stringValue)
            let sessionID = try await a.post("/api/sessions", json: ["asset_id": .string(asset)]).json["id"]?.stringValue
            let session = try #require(sessionID)
            let groupID = try await a.post("/api/jobs", json: ["prompt": "set", "aspects": ["1:1", "16:9"]]).json["id"]?.stringValue
            let group = try #require(groupID)
            let keyID = try await a.post("/api/keys", json: [:]).json["id"]?.stringValue
            let key = try #require(keyID)
            let picture = try EditFixtures.picture(width: 64, height: 64)

            var checked = 0
            func expectNotFound(_ response: TestResponse, _ route: String) {
                checked += 1
                #expect(response.status == .notFound, "\(route) → \(response.status)")
                #expect(!response.text.contains("alice's"), "\(route) leaked the prompt")
            }
            expectNotFound(try await b.get("/api/jobs/\(jobID)"), "GET job")
            expectNotFound(try await b.execute(uri: "/api/jobs/\(jobID)", method: .delete, headers: [:], body: nil), "DELETE job")
            expectNotFound(try await b.get("/api/jobs/\(jobID)/events"), "job events")
            expectNotFound(try await b.get("/api/assets/\(asset)"), "GET asset")
            expectNotFound(try await b.get("/files/\(asset)"), "file")
            expectNotFound(try await b.get("/files/\(asset)/thumb"), "thumbnail")
            expectNotFound(try await b.get("/api/assets/\(asset)/lineage"), "lineage")
            expectNotFound(try await b.post("/api/assets/\(asset)/edits", json: ["prompt": "mine now"]), "asset edit")
            expectNotFound(try await b.post("/api/assets/\(asset)/variations", json: ["n": 1]), "variations")
            expectNotFound(try await b.post("/api/assets/\(asset)/promote", json: [:]), "promote")
            expectNotFound(try await b.post("/api/assets/\(asset)/upscale", json: ["factor": 2]), "upscale")
            expectNotFound(try await b.post("/api/assets/\(asset)/reports", json: ["reason": "x"]), "report")
            expectNotFound(try await b.post("/api/sessions", json: ["asset_id": .string(asset)]), "session from asset")
            expectNotFound(try await b.get("/api/sessions/\(session)"), "GET session")
            expectNotFound(try await b.post("/api/sessions/\(session)/turns", json: ["prompt": "x"]), "session turn")
            expectNotFound(try await b.get("/api/groups/\(group)"), "group")
            expectNotFound(try await b.post("/v1/images/edits", json: ["prompt": "x", "images": [["file_id": .string(asset)]]]), "edits by file_id")
            expectNotFound(
                try await b.post("/v1/images/edits", json: ["prompt": "x", "images": [["image_url": .string("/files/\(asset)")]]]),
                "edits by file URL"
            )
            var form = EditFixtures.Form(["prompt": "x", "model": "easel-draft"])
            form.file("image", picture)
            // A mask given as someone else's asset id is not found either.
            let bobsJobID = try await b.post("/api/jobs", json: ["prompt": "bob's", "size": "64x64"]).json["id"]?.stringValue
            let bobsJob = try await b.finishedJob(try #require(bobsJobID))
            let bobsAsset = try #require(bobsJob["asset_ids"]?.arrayValue?.first?.stringValue)
            let maskByID = try await b.post("/api/assets/\(bobsAsset)/edits", json: ["prompt": "x", "mask": .string(asset)])
            expectNotFound(maskByID, "mask by another user's asset")
            expectNotFound(try await b.execute(uri: "/api/keys/\(key)", method: .delete, headers: [:], body: nil), "revoke key")

            // Lists show only the caller's own.
            #expect(try await b.get("/api/jobs").json["data"]?.arrayValue?.contains { $0["id"]?.stringValue == jobID } == false)
            #expect(try await b.get("/api/assets").json["data"]?.arrayValue?.contains { $0["id"]?.stringValue == asset } == false)
            // Bob's one image is charged to Bob (recorded just after his job completes).
            #expect(try await eventually { try await b.get("/api/usage").json["total_images"] == 1 })
            // Admin routes are for admins only.
            for route in ["/api/admin/users", "/api/admin/usage", "/api/admin/reports", "/api/admin/moderation"] {
                #expect(try await b.get(route).status == .forbidden, "\(route)")
            }
            #expect(try await b.post("/api/admin/assets/\(asset)/hide", json: [:]).status == .forbidden)
            // And Alice still has everything.
            #expect(try await a.get("/files/\(asset)").status == .ok)
            #expect(try await a.get("/api/sessions/\(session)").status == .ok)
            #expect(checked >= 20)

            // An admin hides the image: it is gone from Alice's routes at once.
            #expect(try await client.post("/api/admin/assets/\(asset)/hide", json: [:]).status == .ok)
            #expect(try await a.get("/files/\(asset)").status == .notFound)
            #expect(try await a.get("/api/assets/\(asset)").status == .notFound)
        }
    }

    /// After an admin hides an image, its owner can do nothing with it: every route that takes its id answers
    /// 404 and makes no job, and lineage leaves it out.
    @Test func aHiddenAssetIsGoneFromEveryRoute() async throws {
        try await AppHarness.run { client, runtime in
            let alice = try await runtime.accounts.createUser(name: "alice", role: .user, plan: "unlimited", password: nil)
            let a = (client as! AuthorizedClient).with(key: try await runtime.accounts.createKey(userID: alice.id, name: nil).key)
            func image(_ prompt: String) async throws -> String {
                let id = try await a.post("/api/jobs", json: ["prompt": .string(prompt), "size": "64x64"]).json["id"]?.stringValue
                let job = try await a.finishedJob(try #require(id))
                return try #require(job["asset_ids"]?.arrayValue?.first?.stringValue)
            }
            let hidden = try await image("to be hidden")
            let kept = try await image("kept")
            // A child of the hidden image, and a session that starts from it.
            let editID = try await a.post("/api/assets/\(hidden)/edits", json: ["prompt": "warmer"]).json["id"]?.stringValue
            let editJob = try await a.finishedJob(try #require(editID))
            let child = try #require(editJob["asset_ids"]?.arrayValue?.first?.stringValue)
            let sessionID = try await a.post("/api/sessions", json: ["asset_id": .string(hidden)]).json["id"]?.stringValue
            let session = try #require(sessionID)
            #expect(try await a.get("/api/assets/\(kept)/lineage").status == .ok)

            // MUT
            #expect(try await client.post("/api/admin/assets/\(hidden)/hide", json: [:]).status == .ok)

            // validate
            let jobsBefore = try await a.get("/api/jobs?limit=100").json["data"]?.arrayValue?.count
            var checked = 0
            func expectNotFound(_ response: TestResponse, _ route: String) {
                checked += 1
                #expect(response.status == .notFound, "\(route) → \(response.status)")
                #expect(response.text.contains("\"error\""), "\(route) answers in the error envelope")
            }
            expectNotFound(try await a.get("/api/assets/\(hidden)"), "GET asset")
            expectNotFound(try await a.get("/files/\(hidden)"), "file")
            expectNotFound(try await a.get("/files/\(hidden)/thumb"), "thumbnail")
            expectNotFound(try await a.get("/api/assets/\(hidden)/lineage"), "lineage")
            expectNotFound(try await a.post("/api/assets/\(hidden)/edits", json: ["prompt": "again"]), "asset edit")
            expectNotFound(try await a.post("/api/assets/\(hidden)/variations", json: ["n": 1]), "variations")
            expectNotFound(try await a.post("/api/assets/\(hidden)/promote", json: [:]), "promote")
            expectNotFound(try await a.post("/api/assets/\(hidden)/upscale", json: ["factor": 2]), "upscale")
            expectNotFound(try await a.post("/api/assets/\(hidden)/reports", json: ["reason": "x"]), "report")
            expectNotFound(try await a.post("/api/sessions", json: ["asset_id": .string(hidden)]), "session from asset")
            expectNotFound(try await a.post("/api/sessions/\(session)/turns", json: ["prompt": "x"]), "turn on a hidden base")
            expectNotFound(try await a.post("/api/assets/\(kept)/edits", json: ["prompt": "x", "mask": .string(hidden)]), "mask by id")
            expectNotFound(
                try await a.post("/v1/images/edits", json: ["prompt": "x", "images": [["file_id": .string(hidden)]]]),
                "edits by file_id"
            )
            expectNotFound(
                try await a.post("/v1/images/edits", json: ["prompt": "x", "images": [["image_url": .string("/files/\(hidden)")]]]),
                "edits by file URL"
            )
            expectNotFound(
                try await a.post(
                    "/v1/images/edits",
                    json: [
                        "prompt": "x", "images": [["file_id": .string(kept)]], "mask": ["file_id": .string(hidden)],
                    ]
                ),
                "edits with a hidden mask"
            )
            #expect(checked == 15)
            // No route made a job from it.
            #expect(try await a.get("/api/jobs?limit=100").json["data"]?.arrayValue?.count == jobsBefore)

            // Lineage of the child no longer reaches the hidden parent; the kept image's lineage is untouched.
            let lineage = try await a.get("/api/assets/\(child)/lineage").json
            #expect(lineage["root"]?["id"]?.stringValue == child)
            #expect(lineage["ancestors"]?.arrayValue?.isEmpty == true)
            var ids: [String] = []
            func collect(_ node: JSONValue?) {
                guard let node, let id = node["id"]?.stringValue else { return }
                ids.append(id)
                for next in node["children"]?.arrayValue ?? [] { collect(next) }
            }
            collect(lineage["tree"])
            for entry in (lineage["ancestors"]?.arrayValue ?? []) + (lineage["children"]?.arrayValue ?? []) { collect(entry) }
            #expect(ids.contains(child) && !ids.contains(hidden))
            #expect(try await a.get("/api/assets/\(kept)/lineage").status == .ok)
            // The list leaves it out too.
            let listed = try await a.get("/api/assets?limit=100").json["data"]?.arrayValue?.compactMap { $0["id"]?.stringValue } ?? []
            #expect(listed.contains(kept) && !listed.contains(hidden))
        }
    }
}
