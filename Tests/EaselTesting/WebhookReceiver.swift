import EaselCore
import Foundation
import HTTPTypes
import Hummingbird
import Logging

/// A webhook receiver on loopback: records every request (headers and body) and answers from a script
/// (then 200 once the script is used up).
public final class WebhookReceiver: Sendable {
    public struct Received: Sendable {
        public var path: String
        public var headers: [String: String]
        public var body: Data
        public var json: JSONValue? { try? JSONParser.parse(body) }
    }

    public struct Answer: Sendable {
        public var status: Int
        public var headers: [String: String]

        public init(_ status: Int, headers: [String: String] = [:]) {
            self.status = status
            self.headers = headers
        }
    }

    public let port: Int
    private let state: Locked<(received: [Received], script: [Answer])>
    private let task: Task<Void, any Error>

    public var url: String { "http://127.0.0.1:\(port)/hook" }
    public var received: [Received] { state.withLock { $0.received } }

    public static func start(script: [Answer] = []) async throws -> WebhookReceiver {
        let state = Locked<(received: [Received], script: [Answer])>(([], script))
        let router = Router()
        router.post("/{path}") { request, context -> Response in
            let body = try await request.body.collect(upTo: 1 << 20)
            var headers: [String: String] = [:]
            for field in request.headers { headers[field.name.canonicalName] = field.value }
            let answer = state.withLock { state -> Answer in
                state.received.append(Received(path: request.uri.path, headers: headers, body: Data(buffer: body)))
                return state.script.isEmpty ? Answer(200) : state.script.removeFirst()
            }
            var fields = HTTPFields()
            for (name, value) in answer.headers { fields[HTTPField.Name(name)!] = value }
            return Response(status: .init(code: answer.status), headers: fields, body: .init(byteBuffer: ByteBuffer(string: "ok")))
        }
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        var logger = Logger(label: "webhook-receiver")
        logger.logLevel = .critical
        let app = Application(
            router: router,
            configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in continuation.yield(channel.localAddress?.port ?? 0) },
            logger: logger
        )
        let task = Task { try await app.runService(gracefulShutdownSignals: []) }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next() else { throw CancellationError() }
        return WebhookReceiver(port: port, state: state, task: task)
    }

    init(port: Int, state: Locked<(received: [Received], script: [Answer])>, task: Task<Void, any Error>) {
        self.port = port
        self.state = state
        self.task = task
    }

    public func stop() {
        task.cancel()
    }
}
