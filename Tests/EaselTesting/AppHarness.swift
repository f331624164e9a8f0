import EaselCore
import EaselProviders
import EaselServer
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore

/// Runs a test against the real application (routes, middleware, workers) on a fresh data directory.
public enum AppHarness {
    public static func run(
        workers: Int = 4,
        routes: [ProviderRouter.Route]? = nil,
        testing: TestingSetup = .router,
        configure: ConfigChange = .none,
        _ body: @Sendable (any TestClientProtocol, EaselRuntime) async throws -> Void
    ) async throws {
        let data = try TemporaryDirectory()
        let runtime = try await TestSupport.runtime(data: data, workers: workers, routes: routes, configure: configure.apply)
        let app = buildApplication(runtime: runtime, withWorkers: workers > 0)
        do {
            // Tests act as an admin on the unlimited plan unless they make users of their own.
            let tester = try await runtime.accounts.createUser(name: "tester", role: .admin, plan: "unlimited", password: nil)
            let key = try await runtime.accounts.createKey(userID: tester.id, name: "tests").key
            try await app.test(testing) { client in try await body(AuthorizedClient(base: client, key: key), runtime) }
        } catch {
            try? await runtime.close()
            throw error
        }
        try await runtime.close()
        _ = data
    }
}

extension AppHarness {
    /// Two live servers, each with its own runtime and workers, on one database (one data directory): two
    /// `easel serve` processes of one deployment. The body gets a client for each, as the same admin, and the
    /// first runtime.
    public static func runPair(
        workers: Int = 4,
        routes: [ProviderRouter.Route],
        configure: ConfigChange = .none,
        _ body: @Sendable (_ first: AuthorizedClient, _ second: AuthorizedClient, EaselRuntime) async throws -> Void
    ) async throws {
        let data = try TemporaryDirectory()
        let first = try await TestSupport.runtime(data: data, workers: workers, routes: routes, configure: configure.apply)
        let second: EaselRuntime
        do {
            second = try await TestSupport.runtime(data: data, workers: workers, routes: routes, configure: configure.apply)
        } catch {
            try? await first.close()
            throw error
        }
        do {
            let tester = try await first.accounts.createUser(name: "tester", role: .admin, plan: "unlimited", password: nil)
            let key = try await first.accounts.createKey(userID: tester.id, name: "tests").key
            try await buildApplication(runtime: first, withWorkers: workers > 0).test(.live) { a in
                try await buildApplication(runtime: second, withWorkers: workers > 0).test(.live) { b in
                    try await body(AuthorizedClient(base: a, key: key), AuthorizedClient(base: b, key: key), first)
                }
            }
        } catch {
            try? await first.close()
            try? await second.close()
            throw error
        }
        try await first.close()
        try await second.close()
        _ = data
    }
}

/// Settings a test changes on top of `TestSupport.config` (a value, so a call passes it beside its body).
public struct ConfigChange: Sendable {
    public let apply: @Sendable (inout EaselConfig) -> Void

    public static let none = ConfigChange { _ in }

    public static func with(_ apply: @escaping @Sendable (inout EaselConfig) -> Void) -> ConfigChange { ConfigChange(apply: apply) }
}

/// A test client that sends `Authorization: Bearer <key>` unless the request sets its own (or `none`).
public struct AuthorizedClient: TestClientProtocol {
    public let base: any TestClientProtocol
    public let key: String

    public init(base: any TestClientProtocol, key: String) {
        self.base = base
        self.key = key
    }

    public func executeRequest(uri: String, method: HTTPRequest.Method, headers: HTTPFields, body: ByteBuffer?) async throws -> TestResponse {
        var fields = headers
        if fields[.authorization] == nil { fields[.authorization] = "Bearer \(key)" }
        if fields[.authorization] == "none" { fields[.authorization] = nil }
        return try await base.executeRequest(uri: uri, method: method, headers: fields, body: body)
    }

    public var port: Int? { base.port }

    /// The same server as another key's holder.
    public func with(key: String) -> AuthorizedClient { AuthorizedClient(base: base, key: key) }
}

extension TestResponse {
    /// The body parsed as JSON.
    public var json: JSONValue {
        get throws { try JSONDecoder().decode(JSONValue.self, from: Data(buffer: body)) }
    }

    public var text: String { String(buffer: body) }

    /// The OpenAI error object of an error response.
    public var errorObject: [String: JSONValue] {
        get throws { try json["error"]?.objectValue ?? [:] }
    }
}

extension TestClientProtocol {
    /// POSTs a JSON value.
    public func post(_ uri: String, json: JSONValue, headers: HTTPFields = [:]) async throws -> TestResponse {
        var fields = headers
        fields[.contentType] = "application/json"
        return try await execute(uri: uri, method: .post, headers: fields, body: ByteBuffer(bytes: json.serialized()))
    }

    public func get(_ uri: String, headers: HTTPFields = [:]) async throws -> TestResponse {
        try await execute(uri: uri, method: .get, headers: headers, body: nil)
    }

    public func put(_ uri: String, json: JSONValue) async throws -> TestResponse {
        try await execute(uri: uri, method: .put, headers: [.contentType: "application/json"], body: ByteBuffer(bytes: json.serialized()))
    }

    public func patch(_ uri: String, json: JSONValue) async throws -> TestResponse {
        try await execute(uri: uri, method: .patch, headers: [.contentType: "application/json"], body: ByteBuffer(bytes: json.serialized()))
    }
}

/// One server-sent event.
public struct SSEEvent: Sendable {
    public var event: String?
    public var data: JSONValue
}

public enum SSE {
    public static func parse(_ text: String) throws -> [SSEEvent] {
        var events: [SSEEvent] = []
        for frame in text.components(separatedBy: "\n\n") where !frame.isEmpty {
            var name: String?
            var data = ""
            for line in frame.split(separator: "\n") {
                if line.hasPrefix("event: ") { name = String(line.dropFirst(7)) }
                if line.hasPrefix("data: ") { data += line.dropFirst(6) }
            }
            guard !data.isEmpty else { continue }
            events.append(SSEEvent(event: name, data: try JSONDecoder().decode(JSONValue.self, from: Data(data.utf8))))
        }
        return events
    }
}

/// Polls until `condition` holds or the time is up.
public func eventually(timeout: Duration = .seconds(10), _ condition: @Sendable () async throws -> Bool) async throws -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await condition() { return true }
        try await Task.sleep(for: .milliseconds(20))
    }
    return try await condition()
}
