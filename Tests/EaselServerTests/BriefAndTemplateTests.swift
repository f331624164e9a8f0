import EaselCore
import EaselServer
import EaselTesting
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Testing

@Suite("Briefs, templates and brand kits over HTTP")
struct BriefAndTemplateTests {
    @Test func aBriefCompilesWithLintAndAnEstimate() async throws {
        try await AppHarness.run(workers: 0) { client, _ in
            let response = try await client.post(
                "/api/briefs/compile",
                json: [
                    "model": "easel-draft", "n": 2,
                    "brief": [
                        "subject": "a ceramic mug", "style": "flat", "palette": "bright-vivid", "format": "horizontal-banner", "headline": "Sale",
                        "constraints": ["no_text": true],
                    ],
                ]
            )
            #expect(response.status == .ok)
            let body = try response.json
            #expect(body["prompt"]?.stringValue?.hasPrefix("a ceramic mug. Style: flat vector illustration") == true)
            let wide = ModelCapabilities.easelDraft.sizes.size(for: AspectRatio(width: 16, height: 9)!, targetPixels: 1024 * 1024)
            #expect(body["size"]?.stringValue == wide.description)
            #expect(wide.width > wide.height)
            #expect(body["warnings"]?.arrayValue?.first?["param"] == "brief.headline")
            #expect(body["estimate"]?["usd"] == "0.000000")
            #expect(body["n"] == 2)
            let presets = try await client.get("/api/briefs/presets").json
            #expect(presets["styles"]?.arrayValue?.count == BriefPresets.styles.count)
        }
    }

    @Test func everyBadBriefOrTemplateRequestNamesItsParam() async throws {
        try await AppHarness.run(workers: 0) { client, _ in
            let cases: [(JSONValue, Int, String)] = [
                (["brief": ["subject": "x", "format": "poster"]], 400, "brief.format"),
                (["brief": ["style": "flat"]], 400, "brief.subject"),
                (["template": "no-such-template"], 400, "template"),
                (["template": "product-hero"], 400, "variables.product"),
                (["template": "product-hero", "variables": ["product": "x", "colour": "red"]], 400, "variables.colour"),
                (["template": "product-hero", "variables": ["product": "x"], "brand_kit": "kit_01M8K2JPVJ0P2P6PE07CF18D84"], 400, "brand_kit"),
                (["template": "product-hero", "brief": ["subject": "x"]], 400, "brief"),
                (["variables": ["a": "b"]], 400, "variables"),
                (["brief": ["subject": "x"], "model": "no-such-model"], 404, "model"),
                (["brief": ["subject": "x"], "cache": "always"], 400, "cache"),
            ]
            for (body, status, param) in cases {
                for route in ["/api/briefs/compile", "/api/jobs", "/v1/images/generations"] {
                    let response = try await client.post(route, json: body)
                    #expect(Int(response.status.code) == status, "\(route) \(body)")
                    #expect(try response.errorObject["param"]?.stringValue == param, "\(route) \(body)")
                }
            }
        }
    }

    @Test func templatesVersionDiffAndRollBack() async throws {
        try await AppHarness.run(workers: 0) { client, runtime in
            let owner = client as! AuthorizedClient
            let created = try await owner.post(
                "/api/templates",
                json: ["name": "Launch", "brief": ["subject": "{product} on a {surface}", "palette": "pastel"], "defaults": ["n": 2]]
            )
            #expect(created.status == .created)
            let id = try #require(try created.json["id"]?.stringValue)
            #expect(try created.json["version"] == 1)
            #expect(try created.json["variables"]?.arrayValue?.compactMap { $0["name"]?.stringValue } == ["product", "surface"])

            // A change is a new version; a change made from a stale version is refused.
            let body: JSONValue = [
                "name": "Launch", "brief": ["subject": "{product} on a {surface}", "palette": "dark-cinematic"], "note": "darker",
            ]
            let changed = try await owner.execute(
                uri: "/api/templates/\(id)",
                method: .put,
                headers: [.contentType: "application/json", .ifMatch: "1"],
                body: ByteBuffer(bytes: body.serialized())
            )
            #expect(changed.status == .ok)
            #expect(try changed.json["version"] == 2)
            let stale = try await owner.execute(
                uri: "/api/templates/\(id)",
                method: .put,
                headers: [.contentType: "application/json", .ifMatch: "1"],
                body: ByteBuffer(bytes: body.serialized())
            )
            #expect(stale.status == .conflict)
            let versions = try await owner.get("/api/templates/\(id)/versions").json["data"]?.arrayValue ?? []
            #expect(versions.compactMap { $0["version"]?.intValue } == [1, 2])
            #expect(versions.last?["note"] == "darker")
            let diff = try await owner.get("/api/templates/\(id)/diff?from=1&to=2").json
            #expect(diff["changes"]?.arrayValue?.compactMap { $0["path"]?.stringValue } == ["brief.palette[0]", "defaults.n"])
            // Version 1 stays usable by its reference; rollback publishes it again as version 3.
            let pinned = try await owner.post(
                "/api/briefs/compile",
                json: ["template": .string("\(id)@1"), "variables": ["product": "a mug", "surface": "desk"]]
            )
            #expect(try pinned.json["prompt"]?.stringValue?.contains("pastel") == true)
            #expect(try pinned.json["origin"]?["template"]?.stringValue == "\(id)@1")
            let rolledBack = try await owner.post("/api/templates/\(id)/rollback", json: ["version": 1])
            #expect(try rolledBack.json["version"] == 3)
            #expect(try await owner.get("/api/templates/\(id)").json["brief"]?["palette"]?.arrayValue?.first == "pastel")

            // Another user sees nothing of it; built-ins are read-only; sharing is for admins.
            let other = try await runtime.accounts.createUser(name: "other", role: .user, plan: "unlimited", password: nil)
            let stranger = owner.with(key: try await runtime.accounts.createKey(userID: other.id, name: nil).key)
            #expect(try await stranger.get("/api/templates/\(id)").status == .notFound)
            #expect(
                try await stranger.post("/api/briefs/compile", json: ["template": .string(id), "variables": ["product": "x", "surface": "y"]]).status
                    == .badRequest
            )
            #expect(try await stranger.execute(uri: "/api/templates/\(id)", method: .delete, headers: [:], body: nil).status == .notFound)
            let listed = try await stranger.get("/api/templates").json["data"]?.arrayValue?.compactMap { $0["id"]?.stringValue } ?? []
            #expect(listed.starts(with: BuiltInTemplates.all.map(\.id)) && !listed.contains(id))
            let builtIn = try await owner.execute(
                uri: "/api/templates/blog-banner",
                method: .put,
                headers: [.contentType: "application/json"],
                body: ByteBuffer(bytes: body.serialized())
            )
            #expect(builtIn.status == .forbidden)
            #expect(try await stranger.post("/api/templates", json: ["name": "x", "brief": ["subject": "y"], "shared": true]).status == .forbidden)
            let shared = try await owner.post("/api/templates", json: ["name": "House style", "brief": ["subject": "{thing}"], "shared": true])
            let sharedID = try #require(try shared.json["id"]?.stringValue)
            #expect(try await stranger.get("/api/templates/\(sharedID)").status == .ok)

            #expect(try await owner.execute(uri: "/api/templates/\(id)", method: .delete, headers: [:], body: nil).status == .ok)
            #expect(try await owner.get("/api/templates/\(id)").status == .notFound)
            // Undeclared placeholders are refused when a template is made.
            let undeclared = try await owner.post("/api/templates", json: ["name": "x", "brief": ["subject": "{a}"], "variables": ["b"]])
            #expect(try undeclared.errorObject["param"] == "brief.subject")
        }
    }

    @Test func aBrandKitStylesTheBriefAndBansItsWords() async throws {
        try await AppHarness.run(workers: 0) { client, _ in
            let kit = try await client.post(
                "/api/brand-kits",
                json: [
                    "name": "Acme", "palette": "business-neutral", "colors": ["#0A7E8C"], "banned_words": ["cheap"],
                    "constraints": ["no_logos": true],
                ]
            )
            #expect(kit.status == .created)
            let id = try #require(try kit.json["id"]?.stringValue)
            let compiled = try await client.post("/api/briefs/compile", json: ["brief": ["subject": "a mug"], "brand_kit": .string(id)]).json
            #expect(compiled["prompt"]?.stringValue?.contains("brand colours #0A7E8C") == true)
            #expect(compiled["prompt"]?.stringValue?.contains("No logos") == true)
            let banned = try await client.post("/api/briefs/compile", json: ["brief": ["subject": "a cheap mug"], "brand_kit": .string(id)])
            #expect(try banned.errorObject["code"] == "banned_word")
            #expect(try banned.errorObject["param"] == "brief.subject")
            let bad = try await client.post("/api/brand-kits", json: ["name": "x", "colors": ["blue"]])
            #expect(try bad.errorObject["param"] == "colors[0]")
        }
    }

    @Test func aJobFromATemplateKeepsItsOriginOnTheAsset() async throws {
        try await AppHarness.run { client, _ in
            let response = try await client.post(
                "/v1/images/generations",
                json: ["template": "product-hero", "variables": ["product": "a teal bottle"], "size": "64x64"]
            )
            #expect(response.status == .ok)
            let jobID = try #require(response.headers[HTTPField.Name("x-easel-job-id")!])
            let job = try await client.get("/api/jobs/\(jobID)").json
            #expect(job["prompt"]?.stringValue?.hasPrefix("a teal bottle, on a clean studio set") == true)
            let assetID = try #require(job["asset_ids"]?.arrayValue?.first?.stringValue)
            let asset = try await client.get("/api/assets/\(assetID)").json
            #expect(asset["template"] == "product-hero@1")
            #expect(asset["variables"]?["product"] == "a teal bottle")
            #expect(asset["brief"]?["subject"] == "a teal bottle")
            // The job API takes the same, and a brief of the request's own.
            let queued = try await client.post("/api/jobs", json: ["brief": ["subject": "a red kite", "format": "1:1"], "size": "64x64"])
            #expect(queued.status == .accepted)
            #expect(try queued.json["prompt"] == "a red kite. Composition: 1:1 composition.")
            // A prompt beside a brief (the SDK always sends one) is extra words at its end.
            let withPrompt = try await client.post("/api/briefs/compile", json: ["brief": ["subject": "a red kite"], "prompt": "in a strong wind"])
            #expect(try withPrompt.json["prompt"] == "a red kite. in a strong wind.")
        }
    }
}

extension JSONValue {
    var intValue: Int? {
        if case .number(let value) = self { return Int(value) }
        return nil
    }
}
