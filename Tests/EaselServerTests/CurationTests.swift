import EaselCore
import EaselServer
import EaselStore
import EaselTesting
import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing

/// The gallery, collections, share links, exports and review, through HTTP on real SQLite.
@Suite("Curation: gallery, collections, shares, exports, review")
struct CurationTests {
    /// A user of their own and a client with their key.
    static func user(
        _ runtime: EaselRuntime,
        _ client: any TestClientProtocol,
        _ name: String,
        role: EaselUser.Role = .user
    ) async throws -> (
        EaselUser, AuthorizedClient
    ) {
        let user = try await runtime.accounts.createUser(name: name, role: role, plan: "unlimited", password: nil)
        return (user, (client as! AuthorizedClient).with(key: try await runtime.accounts.createKey(userID: user.id, name: nil).key))
    }

    /// A finished draft's asset id.
    static func image(_ client: AuthorizedClient, _ prompt: String, size: String = "64x64", extra: [String: JSONValue] = [:]) async throws -> String {
        var body: [String: JSONValue] = ["prompt": .string(prompt), "size": .string(size), "model": "easel-draft"]
        for (key, value) in extra { body[key] = value }
        let id = try #require(try await client.post("/api/jobs", json: .object(body)).json["id"]?.stringValue)
        let job = try await client.finishedJob(id)
        return try #require(job["asset_ids"]?.arrayValue?.first?.stringValue)
    }

    static func ids(_ response: TestResponse) throws -> [String] {
        try response.json["data"]?.arrayValue?.compactMap { $0["id"]?.stringValue } ?? []
    }

    @Test func searchAndFiltersFindTheRightImages() async throws {
        try await AppHarness.run(workers: 2) { client, runtime in
            let (_, a) = try await Self.user(runtime, client, "finder")
            let lighthouse = try await Self.image(a, "a lighthouse at dusk over the sea")
            let poster = try await Self.image(a, "春季营销活动海报，明亮鲜艳的色调", size: "96x64")
            let cafe = try await Self.image(a, "un café crème sur une table", extra: ["output_format": "webp"])
            let mug = try await Self.image(a, "a red mug on a desk")

            // Words, prefixes, other scripts, accents folded.
            #expect(try Self.ids(try await a.get("/api/assets?q=lighthouse")) == [lighthouse])
            #expect(try Self.ids(try await a.get("/api/assets?q=light")) == [lighthouse])
            #expect(try Self.ids(try await a.get("/api/assets?q=%E6%B5%B7%E6%8A%A5")) == [poster])  // 海报
            #expect(try Self.ids(try await a.get("/api/assets?q=cafe")) == [cafe])
            #expect(try Self.ids(try await a.get("/api/assets?q=red%20desk")) == [mug])
            #expect(try Self.ids(try await a.get("/api/assets?q=red%20sea")).isEmpty)
            // Quotes and operators are words, not syntax.
            #expect(try await a.get("/api/assets?q=%22NEAR(OR%20*").status == .ok)

            // Stars, ratings and tags, then filters on them.
            #expect(try await a.execute(uri: "/api/assets/\(mug)/favorite", method: .put, headers: [:], body: nil).json["favorite"] == true)
            #expect(try await a.put("/api/assets/\(mug)/rating", json: ["rating": 4]).json["rating"] == 4)
            #expect(try await a.put("/api/assets/\(mug)/rating", json: ["rating": 6]).status == .badRequest)
            let tagged = try await a.put("/api/assets/\(poster)/tags", json: ["tags": ["Spring", "campaign", "spring"]]).json
            #expect(tagged["tags"] == ["campaign", "spring"])
            #expect(
                try await a.patch("/api/assets/\(poster)/tags", json: ["add": ["wechat"], "remove": ["campaign"]]).json["tags"] == [
                    "spring", "wechat",
                ]
            )
            #expect(try Self.ids(try await a.get("/api/assets?q=wechat")) == [poster])
            #expect(try Self.ids(try await a.get("/api/assets?favorite=true")) == [mug])
            #expect(try Self.ids(try await a.get("/api/assets?rating=3")) == [mug])
            #expect(try Self.ids(try await a.get("/api/assets?tag=spring")) == [poster])
            #expect(try Self.ids(try await a.get("/api/assets?format=webp")) == [cafe])
            #expect(try Self.ids(try await a.get("/api/assets?aspect=3:2")) == [poster])
            #expect(try Self.ids(try await a.get("/api/assets?width=96&height=64")) == [poster])
            #expect(try Self.ids(try await a.get("/api/assets?draft=true&model=easel-draft")).count == 4)
            #expect(try Self.ids(try await a.get("/api/assets?review=unreviewed")).count == 4)
            #expect(try Self.ids(try await a.get("/api/assets?from=2000-01-01&to=2000-12-31")).isEmpty)
            // Order and cursor paging.
            #expect(try Self.ids(try await a.get("/api/assets")) == [mug, cafe, poster, lighthouse])
            #expect(try Self.ids(try await a.get("/api/assets?sort=oldest")) == [lighthouse, poster, cafe, mug])
            let first = try await a.get("/api/assets?limit=3").json
            let cursor = try #require(first["next_cursor"]?.stringValue)
            #expect(try Self.ids(try await a.get("/api/assets?limit=3&cursor=\(cursor)")) == [lighthouse])

            // Each bad value is a 400 naming its parameter.
            for (query, param) in [
                ("q=%20%2C", "q"), ("rating=9", "rating"), ("review=maybe", "review"), ("format=gif", "format"), ("aspect=wide", "aspect"),
                ("from=yesterday", "from"), ("sort=random", "sort"), ("cursor=abc", "cursor"), ("limit=0", "limit"), ("colour=red", "colour"),
            ] {
                let response = try await a.get("/api/assets?\(query)")
                #expect(response.status == .badRequest, "\(query)")
                #expect(try response.errorObject["param"]?.stringValue == param, "\(query)")
            }
        }
    }

    @Test func collectionsBulkActionsAndDeletion() async throws {
        try await AppHarness.run(workers: 2) { client, runtime in
            let (_, a) = try await Self.user(runtime, client, "curator")
            let (_, b) = try await Self.user(runtime, client, "other")
            let one = try await Self.image(a, "one boat", extra: ["seed": 7])
            let two = try await Self.image(a, "two boats")
            let same = try await Self.image(a, "one boat", extra: ["seed": 7])
            let foreign = try await Self.image(b, "bob's boat")

            let created = try await a.post("/api/collections", json: ["name": "Harbour picks", "asset_ids": .array([.string(one)])])
            #expect(created.status == .created)
            let collection = try #require(created.json["id"]?.stringValue)
            #expect(try created.json["count"] == 1)
            let added = try await a.post(
                "/api/collections/\(collection)/assets",
                json: ["ids": .array([.string(two), .string(foreign), .string(one)])]
            )
            #expect(try added.json["added"] == .array([.string(two)]))
            #expect(try Self.ids(try await a.get("/api/assets?collection=\(collection)")) == [two, one])
            #expect(try await a.patch("/api/collections/\(collection)", json: ["name": "Best boats"]).json["name"] == "Best boats")
            #expect(try await a.patch("/api/collections/\(collection)", json: ["name": ""]).status == .badRequest)

            // Bulk: one request, a result per id; another user's id is simply not found.
            let bulk = try await a.post(
                "/api/assets/bulk",
                json: ["ids": .array([.string(one), .string(two), .string(foreign)]), "action": "tag", "add": ["keep"]]
            ).json
            #expect(bulk["results"]?.arrayValue?.map { $0["result"]?.stringValue ?? "" } == ["ok", "ok", "not_found"])
            #expect(try Self.ids(try await a.get("/api/assets?tag=keep")).sorted() == [one, two].sorted())
            let starred = try await a.post("/api/assets/bulk", json: ["ids": .array([.string(one), .string(two)]), "action": "favorite"]).json
            #expect(starred["results"]?.arrayValue?.count == 2)
            #expect(try Self.ids(try await a.get("/api/assets?favorite=true")).count == 2)
            #expect(try await a.post("/api/assets/bulk", json: ["ids": [], "action": "favorite"]).status == .badRequest)
            #expect(try await a.post("/api/assets/bulk", json: ["ids": .array([.string(one)]), "action": "paint"]).status == .badRequest)
            #expect(try await b.get("/api/assets?tag=keep").json["data"]?.arrayValue?.isEmpty == true)

            // Deleting the collection leaves its images.
            #expect(try await a.execute(uri: "/api/collections/\(collection)", method: .delete, headers: [:], body: nil).status == .ok)
            #expect(try await a.get("/api/collections/\(collection)").status == .notFound)
            #expect(try await a.get("/api/assets/\(one)").status == .ok)

            // Deleting an image: gone from every list and route at once; its file stays while another image
            // shares it, and goes with the last.
            let blob = try #require(try await runtime.assets.anyAsset(id: one)?.blobKey)
            #expect(try await runtime.assets.anyAsset(id: same)?.blobKey == blob)
            #expect(try await a.execute(uri: "/api/assets/\(one)", method: .delete, headers: [:], body: nil).status == .ok)
            #expect(try await a.get("/api/assets/\(one)").status == .notFound)
            #expect(try await a.get("/files/\(one)").status == .notFound)
            #expect(try await a.get("/api/assets?q=boat").json["data"]?.arrayValue?.contains { $0["id"]?.stringValue == one } == false)
            #expect(try await a.get("/files/\(same)").status == .ok)
            #expect(try await a.post("/api/assets/bulk", json: ["ids": .array([.string(same)]), "action": "delete"]).status == .ok)
            #expect(try await runtime.assets.anyAsset(id: same) == nil)
            let path = URL(fileURLWithPath: runtime.config.dataDirectory).appendingPathComponent("blobs")
            let remaining = FileManager.default.enumerator(atPath: path.path)?.compactMap { $0 as? String } ?? []
            #expect(!remaining.contains { $0.hasSuffix(blob) || $0.contains(blob.split(separator: ".").first.map(String.init) ?? blob) })
        }
    }

    @Test func shareLinksOpenWithoutALoginAndShowNothingElse() async throws {
        try await AppHarness.run(workers: 2) { client, runtime in
            let (owner, a) = try await Self.user(runtime, client, "sharer-name")
            let secret = "a secret product codename lighthouse"
            let asset = try await Self.image(a, secret)
            let other = try await Self.image(a, "another private image")
            let anonymous = AuthorizedClient(base: (client as! AuthorizedClient).base, key: "unused")
            func open(_ path: String, json: Bool = false) async throws -> TestResponse {
                var headers: HTTPFields = [.authorization: "none"]
                if json { headers[.accept] = "application/json" }
                return try await anonymous.get(path, headers: headers)
            }

            let made = try await a.post("/api/assets/\(asset)/share", json: [:])
            #expect(made.status == .created)
            let token = try #require(made.json["token"]?.stringValue)
            #expect(token.count >= 36)
            let page = try await open("/s/\(token)")
            #expect(page.status == .ok)
            #expect(page.headers[.contentType]?.hasPrefix("text/html") == true)
            for leak in [secret, "lighthouse", owner.name, asset, other, owner.id] { #expect(!page.text.contains(leak), "page shows \(leak)") }
            let view = try await open("/s/\(token)", json: true).json
            #expect(view["images"]?.arrayValue?.count == 1)
            #expect(view["images"]?.arrayValue?.first?["prompt"] == nil)
            let image = try await open("/s/\(token)/1")
            #expect(image.status == .ok)
            #expect(image.headers[.contentType] == "image/png")
            #expect(try await open("/s/\(token)/1?download=1").status == .forbidden)
            #expect(try await open("/s/\(token)/2").status == .notFound)
            // Only the token's hash is stored; a guessed or altered token finds nothing.
            #expect(try await runtime.curationStore.share(tokenHash: token) == nil)
            #expect(try await open("/s/\(token.dropLast())\(token.hasSuffix("x") ? "y" : "x")").status == .notFound)

            // With the prompt shown and downloads allowed, both appear.
            let open2 = try await a.post("/api/assets/\(asset)/share", json: ["show_prompt": true, "allow_download": true, "expires_in": 3600]).json
            let token2 = try #require(open2["token"]?.stringValue)
            #expect(try await open("/s/\(token2)").text.contains("lighthouse"))
            #expect(try await open("/s/\(token2)/1?download=1").headers[.contentDisposition]?.hasPrefix("attachment") == true)

            // Revoked: gone at once. Expired: gone.
            let linkID = try #require(made.json["id"]?.stringValue)
            #expect(try await a.execute(uri: "/api/shares/\(linkID)", method: .delete, headers: [:], body: nil).json["revoked"] == true)
            #expect(try await open("/s/\(token)").status == .notFound)
            #expect(try await open("/s/\(token)/1").status == .notFound)
            var expired = ShareLink(
                id: "shr_01JZ0000000000000000000000",
                userID: owner.id,
                assetID: asset,
                collectionID: nil,
                allowDownload: true,
                showPrompt: true,
                expiresAt: 1000,
                createdAt: 0
            )
            expired.revokedAt = nil
            let expiredToken = "esh_" + String(repeating: "e", count: 32)
            try await runtime.curationStore.createShare(expired, tokenHash: Self.sha256(expiredToken))
            #expect(try await open("/s/\(expiredToken)").status == .notFound)

            // Hidden by an admin, or deleted: the link stops.
            #expect(try await client.post("/api/admin/assets/\(asset)/hide", json: [:]).status == .ok)
            #expect(try await open("/s/\(token2)").status == .notFound)
            #expect(try await a.post("/api/assets/\(asset)/share", json: [:]).status == .notFound)

            // A collection's link shows its images now, by position only.
            let collection = try #require(
                try await a.post("/api/collections", json: ["name": "Board", "asset_ids": .array([.string(other)])]).json["id"]?.stringValue
            )
            let boardToken = try #require(try await a.post("/api/collections/\(collection)/share", json: [:]).json["token"]?.stringValue)
            let board = try await open("/s/\(boardToken)", json: true).json
            #expect(board["kind"] == "collection")
            #expect(board["title"] == "Board")
            #expect(board["images"]?.arrayValue?.count == 1)
            #expect(!board.serializedString.contains(other))
            #expect(try await a.execute(uri: "/api/assets/\(other)", method: .delete, headers: [:], body: nil).status == .ok)
            #expect(try await open("/s/\(boardToken)", json: true).json["images"]?.arrayValue?.isEmpty == true)
            // Bad input.
            #expect(try await a.post("/api/assets/\(other)/share", json: [:]).status == .notFound)
            let collection2 = try #require(try await a.post("/api/collections", json: ["name": "B2"]).json["id"]?.stringValue)
            #expect(try await a.post("/api/collections/\(collection2)/share", json: ["expires_in": 5]).errorObject["param"] == "expires_in")
        }
    }

    static func sha256(_ text: String) -> String { ShareService.tokenHash(text) }

    @Test func exportsStreamAZipWithAManifestAndRefuseBadSelections() async throws {
        try await AppHarness.run(workers: 4, configure: .with { $0.exportMaxAssets = 200 }) { client, runtime in
            let (_, a) = try await Self.user(runtime, client, "exporter")
            let (_, b) = try await Self.user(runtime, client, "stranger")
            let rows: [JSONValue] = (1...200).map { .object(["subject": .string("mug \($0)")]) }
            let batch = try await a.post(
                "/api/batches",
                json: ["brief": ["subject": "{subject}"], "rows": .array(rows), "model": "easel-draft", "size": "64x64"]
            ).json
            let batchID = try #require(batch["id"]?.stringValue)
            let done = try await BatchTests.waitFinished(a, batchID)
            #expect(done["counts"]?["succeeded"] == 200)

            let zip = try await a.post("/api/exports", json: ["batch_id": .string(batchID)])
            #expect(zip.status == .ok)
            #expect(zip.headers[.contentType] == "application/zip")
            let entries = try ZipReader.entries(Data(buffer: zip.body))
            #expect(entries.filter { $0.name.hasSuffix(".png") }.count == 200)
            let csv = try #require(entries.first { $0.name == "manifest.csv" }).data
            let table = try CSVTable(bytes: Array(csv), maxRows: 1000)
            #expect(
                table.header == [
                    "id", "file", "prompt", "brief", "model", "width", "height", "template", "review_status", "alt_text", "cost_usd", "created_at",
                ]
            )
            #expect(table.rows.count == 200)
            #expect(table.rows.allSatisfy { $0[8] == "unreviewed" && $0[4] == "easel-draft" })
            #expect(entries.contains { $0.name == "manifest.json" })

            // A search and a selection export the same way.
            let search = try await a.post("/api/exports", json: ["query": ["q": "mug 199"]])
            #expect(try ZipReader.entries(Data(buffer: search.body)).filter { $0.name.hasSuffix(".png") }.count == 1)
            let first = try #require(done["items"]?.arrayValue?.first?["asset_ids"]?.arrayValue?.first?.stringValue)
            #expect(try await a.post("/api/exports", json: ["ids": .array([.string(first)])]).status == .ok)

            // Refusals: nothing selected, too much, someone else's, two selectors at once, a bad filter.
            #expect(try await a.post("/api/exports", json: ["query": ["q": "nothing-matches-this"]]).errorObject["code"] == "export_empty")
            // One image past the cap of 200.
            _ = try await Self.image(a, "one more")
            #expect(try await a.post("/api/exports", json: ["query": ["draft": true]]).errorObject["code"] == "export_too_large")
            #expect(try await b.post("/api/exports", json: ["ids": .array([.string(first)])]).status == .notFound)
            #expect(try await b.post("/api/exports", json: ["batch_id": .string(batchID)]).errorObject["code"] == "export_empty")
            #expect(try await a.post("/api/exports", json: ["ids": .array([.string(first)]), "batch_id": .string(batchID)]).status == .badRequest)
            #expect(try await a.post("/api/exports", json: ["query": ["rating": 9]]).errorObject["param"] == "query.rating")
        }
    }

    @Test func reviewApproveSaveAsTemplateAndGenerateFromIt() async throws {
        try await AppHarness.run(workers: 2) { client, runtime in
            let (_, a) = try await Self.user(runtime, client, "maker")
            let (_, b) = try await Self.user(runtime, client, "outsider")
            let (_, reviewer) = try await Self.user(runtime, client, "lead", role: .reviewer)
            let job = try await a.post(
                "/api/jobs",
                json: [
                    "model": "easel-draft", "size": "64x64",
                    "brief": ["subject": "a ceramic mug", "scene": "on an oak desk", "use_case": "product page", "headline": "Spring sale"],
                ]
            ).json
            let jobID = try #require(job["id"]?.stringValue)
            let asset = try #require(try await a.finishedJob(jobID)["asset_ids"]?.arrayValue?.first?.stringValue)

            let state = try await a.get("/api/assets/\(asset)/review").json
            #expect(state["status"] == "unreviewed")
            #expect(state["suggested_alt_text"] == "A ceramic mug, on an oak desk, for product page.")
            #expect(state["evidence"]?["requested_text"] == "Spring sale")
            #expect(state["checklist_keys"]?.arrayValue?.count == 7)

            #expect(try await a.post("/api/assets/\(asset)/review", json: ["status": "in_review"]).json["status"] == "in_review")
            #expect(try Self.ids(try await a.get("/api/reviews")) == [asset])
            // Approving needs alt text; a checklist key must be known; a failed key cannot approve.
            let noAlt = try await a.post("/api/assets/\(asset)/review", json: ["status": "approved"])
            #expect(noAlt.status == .badRequest)
            #expect(try noAlt.errorObject["code"] == "alt_text_required")
            let unknown = try await a.post(
                "/api/assets/\(asset)/review",
                json: ["status": "approved", "alt_text": "A mug", "checklist": [["key": "vibes", "result": "pass"]]]
            )
            #expect(try unknown.errorObject["code"] == "unknown_checklist_key")
            let failing = try await a.post(
                "/api/assets/\(asset)/review",
                json: ["status": "approved", "alt_text": "A mug", "checklist": [["key": "brand_fit", "result": "fail"]]]
            )
            #expect(try failing.errorObject["code"] == "checklist_failed")
            #expect(try await a.post("/api/assets/\(asset)/review", json: ["status": "unreviewed"]).status == .badRequest)

            // Someone else cannot review it (404); a reviewer can.
            #expect(try await b.get("/api/assets/\(asset)/review").status == .notFound)
            #expect(try await b.post("/api/assets/\(asset)/review", json: ["status": "rejected"]).status == .notFound)
            #expect(try Self.ids(try await reviewer.get("/api/reviews?status=in_review")) == [asset])
            let approved = try await reviewer.post(
                "/api/assets/\(asset)/review",
                json: [
                    "status": "approved", "alt_text": "A white ceramic mug on an oak desk.", "note": "good",
                    "checklist": [["key": "brand_fit", "result": "pass"], ["key": "text_accuracy", "result": "na", "note": "no text"]],
                ]
            ).json
            #expect(approved["status"] == "approved")
            #expect(approved["alt_source"] == "human")
            #expect(approved["history"]?.arrayValue?.count == 2)
            // A suggestion never replaces a person's alt text.
            let suggested = try await a.put("/api/assets/\(asset)/alt-text", json: ["suggest": true]).json
            #expect(suggested["alt_text"] == "A white ceramic mug on an oak desk.")
            // An approval can be withdrawn, and given again; every change is kept.
            #expect(try await a.post("/api/assets/\(asset)/review", json: ["status": "in_review", "note": "recheck"]).json["status"] == "in_review")
            #expect(try await a.post("/api/assets/\(asset)/save-as-template", json: [:]).errorObject["code"] == "not_approved")
            let again = try await a.post("/api/assets/\(asset)/review", json: ["status": "approved"]).json
            #expect(again["status"] == "approved")
            #expect(again["history"]?.arrayValue?.count == 4)

            // Saved as a template with the whole brief, the model and the image as its example; then used.
            let saved = try await a.post("/api/assets/\(asset)/save-as-template", json: ["name": "Mug hero"])
            #expect(saved.status == .created)
            let template = try saved.json
            #expect(template["brief"]?["subject"] == "a ceramic mug")
            #expect(template["brief"]?["headline"] == "Spring sale")
            #expect(template["defaults"]?["model"] == "easel-draft")
            #expect(template["example_asset"]?.stringValue == asset)
            let reference = try #require(template["reference"]?.stringValue)
            let fromTemplate = try await a.post("/api/jobs", json: ["template": .string(reference), "size": "64x64"]).json
            let made = try await a.finishedJob(try #require(fromTemplate["id"]?.stringValue))
            #expect(made["status"] == "succeeded")
            let newAsset = try #require(made["asset_ids"]?.arrayValue?.first?.stringValue)
            let newState = try await a.get("/api/assets/\(newAsset)/review").json
            #expect(newState["evidence"]?["repeatability"]?["template"]?.stringValue == reference)
            #expect(try await b.post("/api/assets/\(asset)/save-as-template", json: [:]).status == .notFound)

            // A batch goes to review whole.
            let batch = try #require(
                try await a.post(
                    "/api/batches",
                    json: ["brief": ["subject": "{s}"], "rows": [["s": "x"], ["s": "y"]], "model": "easel-draft", "size": "64x64"]
                ).json["id"]?.stringValue
            )
            _ = try await BatchTests.waitFinished(a, batch)
            #expect(try await a.post("/api/batches/\(batch)/review", json: [:]).json["sent"] == 2)
            #expect(try await b.post("/api/batches/\(batch)/review", json: [:]).status == .notFound)
            #expect(try Self.ids(try await a.get("/api/reviews?status=in_review")).count == 2)
        }
    }

    @Test func approvalRequiredGatesSharingAndExport() async throws {
        try await AppHarness.run(workers: 2) { client, runtime in
            let (_, a) = try await Self.user(runtime, client, "gated")
            let asset = try await Self.image(a, "gated image")
            let collection = try #require(
                try await a.post("/api/collections", json: ["name": "Client", "approval_required": true, "asset_ids": .array([.string(asset)])])
                    .json["id"]?.stringValue
            )
            #expect(try await a.post("/api/collections/\(collection)/share", json: [:]).errorObject["code"] == "approval_required")
            #expect(try await a.post("/api/exports", json: ["collection_id": .string(collection)]).errorObject["code"] == "approval_required")
            _ = try await a.post("/api/assets/\(asset)/review", json: ["status": "approved", "alt_text": "A gated image."])
            #expect(try await a.post("/api/collections/\(collection)/share", json: [:]).status == .created)
            #expect(try await a.post("/api/exports", json: ["collection_id": .string(collection)]).status == .ok)

            // A brand kit adds a required checklist key and asks for approval before sharing.
            let kit = try #require(
                try await a.post(
                    "/api/brand-kits",
                    json: ["name": "Legal first", "review": ["keys": ["legal"], "required": ["legal"], "approval_required": true]]
                ).json["id"]?.stringValue
            )
            let job = try await a.post(
                "/api/jobs",
                json: ["model": "easel-draft", "size": "64x64", "brief": ["subject": "a kit image"], "brand_kit": .string(kit)]
            ).json
            let jobID = try #require(job["id"]?.stringValue)
            let kitted = try #require(try await a.finishedJob(jobID)["asset_ids"]?.arrayValue?.first?.stringValue)
            let state = try await a.get("/api/assets/\(kitted)/review").json
            #expect(state["checklist_keys"]?.arrayValue?.count == 8)
            #expect(state["required_keys"] == ["legal"])
            #expect(try await a.post("/api/assets/\(kitted)/share", json: [:]).errorObject["code"] == "approval_required")
            let incomplete = try await a.post("/api/assets/\(kitted)/review", json: ["status": "approved", "alt_text": "A kit image."])
            #expect(try incomplete.errorObject["code"] == "checklist_incomplete")
            let approved = try await a.post(
                "/api/assets/\(kitted)/review",
                json: ["status": "approved", "alt_text": "A kit image.", "checklist": [["key": "legal", "result": "pass"]]]
            )
            #expect(try approved.json["status"] == "approved")
            #expect(try await a.post("/api/assets/\(kitted)/share", json: [:]).status == .created)
        }
    }

    /// Every new route, for another user's ids: 404 in the envelope, nothing confirmed.
    @Test func noCurationRouteTouchesAnotherUsersThings() async throws {
        try await AppHarness.run(workers: 2) { client, runtime in
            let (_, a) = try await Self.user(runtime, client, "alice")
            let (_, b) = try await Self.user(runtime, client, "bob")
            let asset = try await Self.image(a, "alice's picture")
            let collection = try #require(
                try await a.post("/api/collections", json: ["name": "alice's board", "asset_ids": .array([.string(asset)])]).json["id"]?.stringValue
            )
            let share = try #require(try await a.post("/api/assets/\(asset)/share", json: [:]).json["id"]?.stringValue)
            let routes: [(String, TestResponse)] = [
                ("favorite", try await b.execute(uri: "/api/assets/\(asset)/favorite", method: .put, headers: [:], body: nil)),
                ("unfavorite", try await b.execute(uri: "/api/assets/\(asset)/favorite", method: .delete, headers: [:], body: nil)),
                ("rating", try await b.put("/api/assets/\(asset)/rating", json: ["rating": 1])),
                ("tags", try await b.put("/api/assets/\(asset)/tags", json: ["tags": ["x"]])),
                ("alt text", try await b.put("/api/assets/\(asset)/alt-text", json: ["alt_text": "x"])),
                ("delete asset", try await b.execute(uri: "/api/assets/\(asset)", method: .delete, headers: [:], body: nil)),
                ("review", try await b.get("/api/assets/\(asset)/review")),
                ("share asset", try await b.post("/api/assets/\(asset)/share", json: [:])),
                ("collection", try await b.get("/api/collections/\(collection)")),
                ("rename collection", try await b.patch("/api/collections/\(collection)", json: ["name": "mine"])),
                ("add to collection", try await b.post("/api/collections/\(collection)/assets", json: ["ids": .array([.string(asset)])])),
                (
                    "remove from collection",
                    try await b.execute(uri: "/api/collections/\(collection)/assets/\(asset)", method: .delete, headers: [:], body: nil)
                ),
                ("share collection", try await b.post("/api/collections/\(collection)/share", json: [:])),
                ("delete collection", try await b.execute(uri: "/api/collections/\(collection)", method: .delete, headers: [:], body: nil)),
                ("revoke share", try await b.execute(uri: "/api/shares/\(share)", method: .delete, headers: [:], body: nil)),
                ("export", try await b.post("/api/exports", json: ["ids": .array([.string(asset)])])),
                ("export collection", try await b.post("/api/exports", json: ["collection_id": .string(collection)])),
            ]
            for (name, response) in routes {
                #expect(response.status == .notFound, "\(name) → \(response.status)")
                #expect(!response.text.contains("alice's"), "\(name) leaked")
            }
            #expect(try await b.get("/api/assets?collection=\(collection)").json["data"]?.arrayValue?.isEmpty == true)
            #expect(try await b.get("/api/collections").json["data"]?.arrayValue?.isEmpty == true)
            #expect(try await b.get("/api/shares").json["data"]?.arrayValue?.isEmpty == true)
            // Alice's things are all still there.
            #expect(try await a.get("/api/collections/\(collection)").json["count"] == 1)
            #expect(try await a.get("/api/assets/\(asset)").json["favorite"] == false)
        }
    }
}
