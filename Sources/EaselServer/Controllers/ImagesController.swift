import EaselCore
import Foundation
import Hummingbird

/// The OpenAI-compatible door: `/v1/images/generations` and `/v1/models`. A request here is a job plus a
/// waiter; nothing is rendered inline, so the sync door, the async API and the studio share one queue.
struct ImagesController {
    let jobs: JobService
    let briefs: BriefService
    let catalog: ModelCatalog
    let door: ImageDoor
    let maxBodyBytes: Int

    func addRoutes(to router: some RouterMethods<AuthenticatedContext>) {
        router.post("/v1/images/generations", use: generate)
        router.post("/v1/images/variations") { _, _ -> Response in
            throw EaselError(
                status: 404,
                type: "invalid_request_error",
                code: "unsupported_endpoint",
                param: nil,
                message: "/v1/images/variations is retired (as at OpenAI). Use /v1/images/edits with a GPT image model."
            )
        }
        router.get("/v1/models", use: models)
        router.get("/v1/models/{model}", use: model)
    }

    @inline(never) @Sendable func generate(_ request: Request, context: AuthenticatedContext) async throws -> Response {
        let identity = context.identity
        let body = try await request.jsonObject(limit: maxBodyBytes)
        // `extra_body={"brief": …}` or `{"template": …, "variables": …}` from the unchanged SDK lands here.
        let submission = try await briefs.submission(
            body,
            identity: identity,
            idempotencyKey: request.headers[.idempotencyKey],
            cacheRequested: request.wantsCachedImage,
            allowsEconomy: false
        )
        let params = submission.payload.request
        return try await door.answer(params, isDraft: catalog.isDraft(params.model), kind: .generation, request: request) { delivery in
            try await jobs.submit(submission, delivery: delivery)
        }
    }

    /// Bounded by construction: the routed models of the config, a handful.
    @Sendable func models(_ request: Request, context: AuthenticatedContext) async throws -> JSONValue {
        .object(["object": "list", "data": .array(catalog.models.map(Representations.model))])
    }

    @Sendable func model(_ request: Request, context: AuthenticatedContext) async throws -> JSONValue {
        Representations.model(try catalog.require(try context.parameters.require("model")))
    }
}
