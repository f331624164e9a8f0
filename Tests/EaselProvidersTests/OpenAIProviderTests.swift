import EaselCore
import EaselFakeOpenAI
import EaselImaging
import EaselProviders
import EaselTesting
import Foundation
import Testing

/// The OpenAI provider against the fake server: wire format, streaming, and every error mapping.
@Suite("OpenAI provider")
struct OpenAIProviderTests {
    func job(
        _ model: String = "gpt-image-2",
        kind: JobKind = .generate,
        configure: (inout ImageRequest) -> Void = { _ in },
        inputs: [ProviderInputImage] = [],
        mask: ProviderInputImage? = nil
    ) -> ProviderJob {
        let caps = ModelCapabilities.builtIn.first { $0.id == model }
        var request = ImageRequest(
            prompt: "a lighthouse",
            model: model,
            resolvedSize: caps?.sizes.defaultSize ?? .init(width: 1024, height: 1024),
            quality: "auto",
            resolvedQuality: "medium"
        )
        configure(&request)
        return ProviderJob(id: "job_x", kind: kind, request: request, inputs: inputs, mask: mask, attempt: 1, capabilities: caps)
    }

    static func input(_ width: Int, _ height: Int, _ format: ImageFormat = .png) throws -> ProviderInputImage {
        let data = try DraftRenderer().render(prompt: "input", seed: 1, options: .init(size: .init(width: width, height: height), format: format))
            .data
        return ProviderInputImage(data: data, format: format, width: width, height: height)
    }

    static func mask(_ width: Int, _ height: Int) throws -> ProviderInputImage {
        var pixels = [UInt8](repeating: 255, count: width * height * 4)
        for index in stride(from: 3, to: pixels.count / 2, by: 4) { pixels[index] = 0 }  // top half editable
        let raster = try RasterImage.fromPixels(pixels, width: width, height: height, bands: 4)
        return ProviderInputImage(data: try ImageEncoder.encode(raster, format: .png), format: .png, width: width, height: height)
    }

    @Test func generationSendsWhatTheSDKSendsAndNothingElse() async throws {
        try await FakeHarness.with { harness in
            let result = try await harness.provider().run(job()) { _ in }
            #expect(result.images.count == 1)
            #expect(result.images[0].size == PixelSize(width: 1024, height: 1024))
            #expect(result.images[0].format == .png)
            #expect(result.upstreamRequestID == "req_fake_1")
            #expect(result.usage?.outputTokens == 1767)
            let sent = try #require(harness.state.requests.last)
            #expect(sent.json == ["model": "gpt-image-2", "prompt": "a lighthouse"])
            #expect(sent.accept == "application/json")
            #expect(sent.contentType == "application/json")
            #expect(sent.hadAuthorization)

            _ = try await harness.provider().run(
                job("gpt-image-1.5") {
                    $0.n = 2
                    $0.size = .fixed(.init(width: 1536, height: 1024))
                    $0.quality = "high"
                    $0.outputFormat = .webp
                    $0.outputCompression = 60
                    $0.background = .opaque
                    $0.moderation = "low"
                    $0.user = "end-user-7"
                    $0.responseFormat = .url
                }
            ) { _ in }
            #expect(
                harness.state.requests.last?.json == [
                    "model": "gpt-image-1.5", "prompt": "a lighthouse", "n": 2, "size": "1536x1024", "quality": "high",
                    "output_format": "webp", "output_compression": 60, "background": "opaque", "moderation": "low", "user": "end-user-7",
                ]
            )
        }
    }

    @Test func routesMayRenameTheModel() async throws {
        try await FakeHarness.with { harness in
            var routed = job("house-model")
            routed.upstreamModel = "gpt-image-1.5"
            _ = try await harness.provider().run(routed) { _ in }
            #expect(harness.state.requests.last?.json?["model"] == "gpt-image-1.5")
        }
    }

    @Test func streamingHandsOverPartialsThenFinalImages() async throws {
        try await FakeHarness.with { harness in
            let partials = Locked<[(Int, Int)]>([])
            let result = try await harness.provider().run(
                job {
                    $0.stream = true
                    $0.partialImages = 2
                    $0.n = 2
                }
            ) { partial in
                partials.withLock { $0.append((partial.imageIndex, partial.partialIndex)) }
            }
            #expect(partials.current.map(\.0) == [0, 0, 1, 1])
            #expect(partials.current.map(\.1) == [0, 1, 0, 1])
            #expect(result.images.count == 2)
            // Usage from both completed events adds up: 2 × (1767 + 2 partials × 100).
            #expect(result.usage?.outputTokens == 2 * (1767 + 200))
            let sent = try #require(harness.state.requests.last?.json)
            #expect(sent["stream"] == true && sent["partial_images"] == 2)
        }
    }

    @Test func oneImageEditUsesTheScalarField() async throws {
        try await FakeHarness.with { harness in
            let image = try Self.input(64, 48)
            _ = try await harness.provider().run(job("gpt-image-1.5", kind: .edit, configure: { $0.inputFidelity = "high" }, inputs: [image])) { _ in
            }
            let sent = try #require(harness.state.requests.last)
            #expect(sent.path == "/v1/images/edits")
            #expect(sent.files.map(\.field) == ["image"])
            #expect(sent.files[0].filename == "image.png")
            #expect(sent.files[0].contentType == "image/png")
            #expect(sent.files[0].sniffed == .png)
            #expect(sent.fields.first { $0.0 == "input_fidelity" }?.1 == "high")
            #expect(sent.fields.map(\.0).starts(with: ["model", "prompt"]))
        }
    }

    @Test func severalImagesAndAMaskUseArrayFields() async throws {
        try await FakeHarness.with { harness in
            let images = [try Self.input(64, 64), try Self.input(32, 32, .jpeg), try Self.input(48, 48, .webp)]
            let result = try await harness.provider().run(
                job(
                    "gpt-image-2",
                    kind: .edit,
                    configure: {
                        $0.inputFidelity = "high"  // gpt-image-2 must never get it
                        $0.stream = true
                        $0.partialImages = 1
                    },
                    inputs: images,
                    mask: try Self.mask(64, 64)
                )
            ) { _ in }
            #expect(result.images.count == 1)
            let sent = try #require(harness.state.requests.last)
            #expect(sent.files.map(\.field) == ["image[]", "image[]", "image[]", "mask"])
            #expect(sent.files.map(\.contentType) == ["image/png", "image/jpeg", "image/webp", "image/png"])
            #expect(sent.files.map(\.filename) == ["image-1.png", "image-2.jpg", "image-3.webp", "mask.png"])
            #expect(!sent.fields.contains { $0.0 == "input_fidelity" })
            #expect(sent.fields.contains { $0 == ("stream", "true") })
            #expect(sent.fields.contains { $0 == ("partial_images", "1") })
        }
    }

    @Test(
        arguments: [
            (FakeFault.rateLimit(retryAfter: "7"), 429, "rate_limit_exceeded", true, Int64(7000)),
            (.rateLimit(retryAfterMs: "250"), 429, "rate_limit_exceeded", true, 250),
            (.rateLimit(retryAfter: "600"), 429, "rate_limit_exceeded", true, nil),
            (.serverError(status: 500), 500, nil, true, nil),
            (.serverError(status: 503), 503, nil, true, nil),
            (.moderationBlocked, 400, "moderation_blocked", false, nil),
            (.organizationVerification, 403, "organization_verification_required", false, nil),
            (.insufficientQuota, 402, "insufficient_quota", false, nil),
            (.billingHardLimit, 402, "billing_hard_limit_reached", false, nil),
            (.modelNotFound, 404, "model_not_found", false, nil),
            (.invalidAPIKey, 502, "provider_auth_failed", false, nil),
            (.withShouldRetry(status: 400, shouldRetry: true), 400, nil, true, nil),
            (.withShouldRetry(status: 503, shouldRetry: false), 503, nil, false, nil),
            (.truncatedStream, 502, "provider_unreachable", true, nil),
            // Broken after the status line: all worth another attempt, none stored as a picture.
            (.connectionReset, 502, "provider_unreachable", true, nil),
            (.truncatedBody, 502, "provider_unreachable", true, nil),
            (.malformedJSON, 502, "provider_unreachable", true, nil),
            (.undecodableImage, 502, "provider_unreachable", true, nil),
        ] as [(FakeFault, Int, String?, Bool, Int64?)]
    )
    func upstreamErrorsAreMapped(fault: FakeFault, status: Int, code: String?, retryable: Bool, retryAfterMs: Int64?) async throws {
        try await FakeHarness.with { harness in
            harness.state.inject([fault])
            let streaming = fault == .truncatedStream
            do {
                _ = try await harness.provider().run(
                    job {
                        $0.stream = streaming
                        $0.partialImages = streaming ? 1 : 0
                    }
                ) { _ in }
                Issue.record("expected a failure")
            } catch let failure as ProviderError {
                #expect(failure.error.status == status)
                #expect(failure.error.code == code)
                #expect(failure.retryable == retryable)
                #expect(failure.retryAfterMs == retryAfterMs)
                #expect(failure.error.provider == "openai")
                if ![.truncatedStream, .connectionReset, .truncatedBody, .malformedJSON, .undecodableImage].contains(fault) {
                    #expect(failure.error.upstreamRequestID == "req_fake_1")
                }
                #expect(!failure.error.message.contains("KEEPSECRET"))
                #expect(!failure.error.message.contains("5d1b"))
                switch fault {
                case .invalidAPIKey: #expect(failure.error.message.contains("route 'gpt-image-2'"))
                case .modelNotFound: #expect(failure.error.message.contains("Route 'gpt-image-2'"))
                case .organizationVerification: #expect(failure.error.message.contains("Verify Organization"))
                case .undecodableImage: #expect(failure.error.message.contains("png image that is cut short or corrupt"))
                case .moderationBlocked:
                    #expect(failure.error.easelError.extra["moderation_details"]?["categories"] == ["violence"])
                default: break
                }
            }
        }
    }

    @Test func unreachableAndSlowProvidersAreRetryable() async throws {
        try await FakeHarness.with { harness in
            let nowhere = OpenAIProvider(
                endpoint: OpenAIEndpoint(name: "gone", baseURL: "http://127.0.0.1:9/v1", apiKey: Secret("k")),
                client: harness.client,
                logger: TestSupport.logger
            )
            let start = ContinuousClock.now
            do {
                _ = try await nowhere.run(job()) { _ in }
                Issue.record("expected a failure")
            } catch let failure as ProviderError {
                #expect(failure.error.code == "provider_unreachable")
                #expect(failure.retryable)
            }
            // Refused connections fail at once rather than being retried until the deadline.
            #expect(ContinuousClock.now - start < .seconds(3))
            harness.state.inject([.slow(milliseconds: 3000)])
            do {
                _ = try await harness.provider(connectTimeout: .milliseconds(200), readTimeout: .milliseconds(300)).run(job()) { _ in }
                Issue.record("expected a timeout")
            } catch let failure as ProviderError {
                #expect(failure.error.code == "provider_unreachable")
                #expect(failure.retryable)
            }
        }
    }

    @Test func retryAfterHeadersAreReadLikeTheSDK() {
        #expect(OpenAIErrorMapper.retryAfterMs(retryAfterMs: "1500", retryAfter: "9") == 1500)
        #expect(OpenAIErrorMapper.retryAfterMs(retryAfterMs: nil, retryAfter: "2.5") == 2500)
        #expect(OpenAIErrorMapper.retryAfterMs(retryAfterMs: nil, retryAfter: "121") == nil)
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        #expect(OpenAIErrorMapper.retryAfterMs(retryAfterMs: nil, retryAfter: "Fri, 15 Jan 2027 08:00:30 GMT", now: now) == 30_000)
        #expect(OpenAIErrorMapper.retryAfterMs(retryAfterMs: "abc", retryAfter: nil) == nil)
    }

    @Test func secretsNeverPrint() {
        let secret = Secret("sk-live-abcdefghijklmnop")
        #expect("\(secret)" == "[redacted]")
        #expect(String(reflecting: secret) == "[redacted]")
        #expect(secret.scrub("key sk-live-abcdefghijklmnop here") == "key [redacted] here")
        #expect(!secret.scrub("Incorrect API key provided: sk-*********mnop.").contains("mnop"))
    }
}

extension FakeFault {
    static func rateLimit(retryAfterMs: String) -> FakeFault { .rateLimit(retryAfter: nil, retryAfterMs: retryAfterMs) }
}
