import EaselCore
import Hummingbird
import Logging

/// The request context for every route: Hummingbird's core storage plus Easel's request id.
public struct EaselRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// Sent back as `x-request-id` and attached to every log line of the request.
    public var requestID: String = ""
    /// Who is asking (set by the auth middleware).
    public var identity: Identity?

    public init(source: Source) {
        self.coreContext = .init(source: source)
    }

    /// JSON bodies are read with an explicit limit per route; this is the ceiling for anything else.
    public var maxUploadSize: Int { 4 * 1024 * 1024 }
}

extension EaselRequestContext {
    /// The caller's identity; the auth middleware guarantees one on every route that is not public.
    func requireIdentity() throws -> Identity {
        guard let identity else { throw EaselError.unauthorized("You didn't provide an API key. Send 'Authorization: Bearer <key>'.") }
        return identity
    }
}
