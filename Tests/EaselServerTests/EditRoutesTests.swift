import EaselCore
import EaselFakeOpenAI
import EaselServer
import EaselTesting
import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing

/// Edits routed to OpenAI (the fake): stored inputs go upstream in the exact multipart form.
@Suite("Edit routes end to end")
struct EditRoutesTests {
    @Test func anEditWithSeveralImagesAndAMaskReachesTheProviderAsImageArrayParts() async throws {
        try await FakeHarness.with { harness in
            let providers = try harness.providersConfig()
            try await AppHarness.run(configure: .with { $0.providers = providers }) { client, _ in
                let picture = try EditFixtures.picture()
                var form = EditFixtures.Form(["prompt": "put them on a beach", "model": "gpt-image-1.5", "input_fidelity": "high"])
                form.file("image[]", picture, filename: "a.png")
                form.file("image[]", try EditFixtures.jpeg(picture), filename: "b.jpg", type: "image/jpeg")
                form.file("mask", try EditFixtures.mask(), filename: "m.png")
                let response = try await client.post("/v1/images/edits", form: form)
                #expect(response.status == .ok, "\(response.text)")
                #expect(response.headers[HTTPField.Name("x-easel-draft")!] == nil)
                let upstream = try #require(harness.state.requests.last)
                #expect(upstream.path.hasSuffix("/images/edits"))
                #expect(upstream.files.map(\.field) == ["image[]", "image[]", "mask"])
                #expect(upstream.files.map(\.sniffed) == [.png, .jpeg, .png])
                #expect(upstream.files.map(\.contentType) == ["image/png", "image/jpeg", "image/png"])
                #expect(upstream.files.allSatisfy { $0.filename != nil })
                let fields = Dictionary(upstream.fields, uniquingKeysWith: { a, _ in a })
                #expect(fields["prompt"] == "put them on a beach")
                #expect(fields["input_fidelity"] == "high")
                let job = try await client.get("/api/jobs/\(try #require(response.headers[HTTPField.Name("x-easel-job-id")!]))").json
                #expect(job["provider"] == "openai")
                #expect(job["usage"]?["input_tokens_details"]?["image_tokens"] != nil)

                // gpt-image-2 takes no input_fidelity: refused before anything is queued.
                var fidelity = EditFixtures.Form(["prompt": "x", "model": "gpt-image-2", "input_fidelity": "high"])
                fidelity.file("image", picture)
                let refused = try await client.post("/v1/images/edits", form: fidelity)
                #expect(refused.status == .badRequest)
                #expect(try refused.errorObject["param"] == "input_fidelity")
            }
        }
    }
}
