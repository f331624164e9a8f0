import EaselCore

/// The JSON shapes of users, keys, usage and moderation events.
extension Representations {
    static func plan(_ plan: Plan) -> JSONValue {
        .object([
            "name": .string(plan.name),
            "images_per_day": plan.imagesPerDay.map { .int($0) } ?? .null,
            "images_per_minute": plan.imagesPerMinute.map { .int($0) } ?? .null,
            "max_n": .int(plan.maxN),
            "max_pixels": plan.maxPixels.map { .int($0) } ?? .null,
            "models": plan.models.map { .array($0.map(JSONValue.string)) } ?? .null,
            "qualities": plan.qualities.map { .array($0.map(JSONValue.string)) } ?? .null,
            "sizes": plan.sizes.map { .array($0.map(JSONValue.string)) } ?? .null,
            "concurrent_jobs": plan.concurrentJobs.map { .int($0) } ?? .null,
            "budget_usd": plan.budgetMicros.map { .string(Money.usd($0)) } ?? .null,
            "budget_period": .string(plan.budgetPeriod.rawValue),
        ])
    }

    static func user(_ user: EaselUser, plan: Plan) -> JSONValue {
        .object([
            "object": "user",
            "id": .string(user.id),
            "name": .string(user.name),
            "role": .string(user.role.rawValue),
            "balance_usd": .string(Money.usd(user.balanceMicros)),
            "active_jobs": .int(user.activeJobs),
            "disabled": .bool(user.disabled),
            "plan": Representations.plan(plan),
            "created_at": .int(user.createdAt.unixSeconds),
        ])
    }

    /// A key as listed: never the key itself, only its prefix. `secret` is given once, when it is made.
    static func key(_ key: APIKeyRecord, secret: String? = nil) -> JSONValue {
        var object: [String: JSONValue] = [
            "object": "api_key", "id": .string(key.id), "prefix": .string(key.prefix), "name": .optional(key.name),
            "created_at": .int(key.createdAt.unixSeconds), "revoked_at": .optional(key.revokedAt.map(\.unixSeconds)),
        ]
        if let secret { object["key"] = .string(secret) }
        return .object(object)
    }

    static func event(_ event: ModerationEvent) -> JSONValue {
        .object([
            "object": "moderation_event", "id": .string(event.id), "kind": .string(event.kind.rawValue), "category": .optional(event.category),
            "user_id": .optional(event.userID), "asset_id": .optional(event.assetID), "job_id": .optional(event.jobID),
            "detail": .optional(event.detail), "status": .string(event.status.rawValue), "created_at": .int(event.createdAt.unixSeconds),
        ])
    }

    /// Spending per day and model; `everyone` adds the user of each row.
    static func usage(_ usage: BillingService.Usage, everyone: Bool) -> JSONValue {
        .object([
            "object": "usage",
            "from": .string(usage.fromDay),
            "total_cost_usd": .string(Money.usd(usage.totalCostMicros)),
            // What economy jobs saved against the standard price.
            "total_saved_usd": .string(Money.usd(usage.totalSavedMicros)),
            "total_images": .int(usage.totalImages),
            "has_more": .bool(usage.hasMore),
            "data": .array(
                usage.rows.map { row in
                    var object: [String: JSONValue] = [
                        "day": .string(row.day), "model": .string(row.model), "images": .int(row.images), "jobs": .int(row.jobs),
                        "cost_usd": .string(Money.usd(row.costMicros)), "saved_usd": .string(Money.usd(row.savedMicros)),
                    ]
                    if everyone { object["user_id"] = .string(row.userID) }
                    return .object(object)
                }
            ),
        ])
    }
}
