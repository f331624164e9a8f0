import AsyncHTTPClient
import Foundation

/// A throwaway S3 API (`moto_server` from PyPI, all in memory) on a free loopback port, for tests of the
/// S3 blob store. A missing `moto_server` is a failure, never a skip: `scripts/setup --test` installs it.
public final class MotoServer: Sendable {
    public let endpoint: String
    private let process: Process

    public static func start() async throws -> MotoServer {
        for _ in 0..<5 {
            let port = Int.random(in: 20_000..<60_000)
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["moto_server", "-H", "127.0.0.1", "-p", String(port)]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            let endpoint = "http://127.0.0.1:\(port)"
            for _ in 0..<150 {
                if !process.isRunning { break }
                var request = HTTPClientRequest(url: endpoint + "/moto-api/")
                request.method = .GET
                if let response = try? await HTTPClient.shared.execute(request, timeout: .seconds(1)) {
                    // Read the answer whole, so the connection is free for the next request.
                    _ = try? await response.body.collect(upTo: 1 << 20)
                    if response.status == .ok { return MotoServer(endpoint: endpoint, process: process) }
                }
                try await Task.sleep(for: .milliseconds(100))
            }
            if process.isRunning { process.terminate() }
            if process.terminationReason == .exit && process.terminationStatus == 127 { break }
        }
        throw MotoMissing()
    }

    struct MotoMissing: Error, CustomStringConvertible {
        var description: String { "moto_server did not start: run scripts/setup --test (pip install 'moto[server]')" }
    }

    private init(endpoint: String, process: Process) {
        self.endpoint = endpoint
        self.process = process
    }

    /// Ends the server. It is not waited for: Foundation's wait blocks a thread the test's tasks may need.
    public func stop() {
        if process.isRunning { process.terminate() }
    }
}
