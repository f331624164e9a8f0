import EaselCore
import Hummingbird
import Logging
import NIOCore

/// The context every request starts with: Hummingbird's core storage, Easel's request id, and the caller's
/// identity once a route group's `IdentityMiddleware` has resolved it.
public struct EaselRequestContext: RequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    /// Sent back as `x-request-id` and attached to every log line of the request.
    public var requestID: String = ""
    public var identity: Identity?
    /// The connection's peer. Headers such as X-Forwarded-For are never trusted for it: any client can set
    /// them, so a limit keyed on them would be no limit at all.
    public let remoteAddress: SocketAddress?

    public init(source: Source) {
        self.coreContext = .init(source: source)
        self.remoteAddress = source.channel.remoteAddress
    }

    /// JSON bodies are read with an explicit limit per route; this is the ceiling for anything else.
    public var maxUploadSize: Int { 4 * 1024 * 1024 }
}

/// Routes behind authentication: the identity is there, never optional. Made from the parent context only
/// when the caller is known; otherwise the request ends with 401 before any handler runs.
public struct AuthenticatedContext: ChildRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let requestID: String
    public let identity: Identity

    public init(context: EaselRequestContext) throws {
        guard let identity = context.identity else {
            throw EaselError.unauthorized(
                "You didn't provide an API key. Send 'Authorization: Bearer <key>' (create one with `easel keys create`), "
                    + "or log in to the studio."
            )
        }
        self.coreContext = context.coreContext
        self.requestID = context.requestID
        self.identity = identity
    }

    public var maxUploadSize: Int { 4 * 1024 * 1024 }
}

/// Admin routes: an authenticated caller with the admin role; anyone else gets 403.
public struct AdminContext: ChildRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let requestID: String
    public let identity: Identity

    public init(context: AuthenticatedContext) throws {
        guard context.identity.isAdmin else {
            throw EaselError.adminOnly("This route is for admins.")
        }
        self.coreContext = context.coreContext
        self.requestID = context.requestID
        self.identity = context.identity
    }

    public var maxUploadSize: Int { 4 * 1024 * 1024 }
}
