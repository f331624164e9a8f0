import EaselCore

/// What a client has left of a daily image limit (sent as `x-ratelimit-*-images`).
public struct RateLimitStatus: Sendable, Equatable {
    public var limit: Int
    public var remaining: Int
    public var resetSeconds: Int
}

/// Admission refused a job: a quota, a rate, concurrency or money. The error says why and when to come
/// back; the rate-limit status, when the plan has a daily limit, says what is left.
public struct AdmissionDenied: Error, Sendable {
    public var error: EaselError
    public var rateLimit: RateLimitStatus?
}

/// A job the caller waited for did not give them images: it failed, was cancelled, or is still running
/// when the wait ended. Carries the job's id so the client can follow it.
public struct JobOutcomeError: Error, Sendable {
    public var error: EaselError
    public var jobID: String
    public var rateLimit: RateLimitStatus?
    public var isDraft: Bool
}
