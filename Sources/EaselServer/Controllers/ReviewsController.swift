import EaselCore
import Foundation
import Hummingbird

/// Review: an asset's state, history, checklist and evidence; recording a decision; the review queue; a
/// batch sent to review; an approved image saved as a template.
struct ReviewsController {
    let reviews: ReviewService
    let links: FileLinks

    func addRoutes(to router: some RouterMethods<AuthenticatedContext>) {
        router.get("/api/assets/{id}/review", use: show)
        router.post("/api/assets/{id}/review", use: review)
        router.post("/api/assets/{id}/save-as-template", use: saveAsTemplate)
        router.get("/api/reviews", use: queue)
        router.post("/api/batches/{id}/review", use: sendBatch)
    }

    func represent(_ state: ReviewService.State) -> JSONValue {
        let asset = state.asset
        return .object([
            "object": "asset.review",
            "asset_id": .string(asset.id),
            "status": .string(asset.reviewStatus.rawValue),
            "alt_text": .optional(asset.altText),
            "alt_source": .optional(asset.altSource?.rawValue),
            "suggested_alt_text": .string(state.suggestedAltText),
            "checklist_keys": .array(state.policy.keys.map(JSONValue.string)),
            "required_keys": .array(state.policy.requiredKeys.map(JSONValue.string)),
            "approval_required": .bool(state.policy.approvalRequired),
            "evidence": state.evidence,
            "checklist": .array((state.events.last?.checklist ?? []).map(\.json)),
            "history": .array(
                state.events.map { event in
                    .object([
                        "id": .string(event.id), "status": .string(event.status.rawValue), "by": .string(event.actorID),
                        "checklist": .array(event.checklist.map(\.json)), "alt_text": .optional(event.altText), "note": .optional(event.note),
                        "at": .int(event.createdAt / 1000),
                    ])
                }
            ),
            "asset": Representations.asset(asset, links: links),
        ])
    }

    @Sendable func show(_ request: Request, context: AuthenticatedContext) async throws -> JSONValue {
        represent(try await reviews.state(try context.parameters.require("id"), identity: context.identity))
    }

    @Sendable func review(_ request: Request, context: AuthenticatedContext) async throws -> JSONValue {
        let body = try await request.jsonObject(limit: 256 * 1024)
        return represent(try await reviews.review(try context.parameters.require("id"), body: body, identity: context.identity))
    }

    @Sendable func saveAsTemplate(_ request: Request, context: AuthenticatedContext) async throws -> Response {
        let template = try await reviews.saveAsTemplate(
            try context.parameters.require("id"),
            body: try await request.optionalJSONObject(),
            identity: context.identity
        )
        return .json(template.json, status: .created, headers: [.location: "/api/templates/\(template.id)"])
    }

    /// `status` (default in_review), newest first, with the cursor of the gallery.
    @Sendable func queue(_ request: Request, context: AuthenticatedContext) async throws -> JSONValue {
        let query = request.uri.queryParameters
        let statusText = query["status"].map(String.init) ?? ReviewStatus.inReview.rawValue
        guard let status = ReviewStatus(rawValue: statusText) else {
            throw EaselError.invalidRequest(
                "Invalid status '\(statusText)'. Use \(ReviewStatus.allCases.map(\.rawValue).joined(separator: ", ")).",
                param: "status"
            )
        }
        let paging = try PageQuery(request, cursorPrefix: "img")
        let page = try await reviews.queue(status: status, identity: context.identity, after: paging.before, limit: paging.limit)
        return Representations.page(page.items.map { Representations.asset($0, links: links) }, hasMore: page.hasMore, lastID: page.items.last?.id)
    }

    @Sendable func sendBatch(_ request: Request, context: AuthenticatedContext) async throws -> JSONValue {
        let id = try context.parameters.require("id")
        let sent = try await reviews.sendBatch(id, identity: context.identity)
        return .object(["object": "batch.review", "batch_id": .string(id), "sent": .int(sent)])
    }
}
