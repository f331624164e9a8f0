import AsyncHTTPClient
import EaselCore
import Foundation
import NIOCore
import NIOPosix

/// Many requests at once against a live test server, each on its own connection, with a deadline long
/// enough for a machine that also runs the rest of the suite: for tests about what happens under a burst
/// (quotas, budgets), where the answers matter and how long they took does not.
public enum PatientBurst {
    public struct Answer: Sendable {
        public var status: Int
        /// Header names lower-cased.
        public var headers: [String: String]
        public var body: String

        /// The `error` object of an error answer.
        public var errorObject: [String: JSONValue] {
            get throws { try JSONParser.parse(Array(body.utf8))["error"]?.objectValue ?? [:] }
        }
    }

    public static func post(port: Int, key: String, path: String, bodies: [JSONValue], timeout: TimeAmount = .seconds(180)) async throws -> [Answer] {
        var configuration = HTTPClient.Configuration(timeout: .init(connect: .seconds(30), read: timeout))
        configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = max(8, bodies.count)
        let client = HTTPClient(eventLoopGroupProvider: .shared(MultiThreadedEventLoopGroup.singleton), configuration: configuration)
        do {
            let answers = try await withThrowingTaskGroup(of: Answer.self) { group in
                for body in bodies {
                    group.addTask {
                        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)\(path)")
                        request.method = .POST
                        request.headers.add(name: "Authorization", value: "Bearer \(key)")
                        request.headers.add(name: "Content-Type", value: "application/json")
                        request.body = .bytes(ByteBuffer(bytes: body.serialized()))
                        let response = try await client.execute(request, timeout: timeout)
                        let body = try await response.body.collect(upTo: 64 * 1024 * 1024)
                        var headers: [String: String] = [:]
                        for header in response.headers { headers[header.name.lowercased()] = header.value }
                        return Answer(status: Int(response.status.code), headers: headers, body: String(buffer: body))
                    }
                }
                var all: [Answer] = []
                for try await answer in group { all.append(answer) }
                return all
            }
            try await client.shutdown()
            return answers
        } catch {
            try? await client.shutdown()
            throw error
        }
    }
}
