import Foundation

/// A row of load driven by wrk (a separate C load generator, far cheaper per request than a Swift client in
/// the bench's own process): `connections` keep-alive connections POSTing one JSON body for `seconds`.
struct WrkLoad {
    let url: String
    let body: String
    let key: String?
    let connections: Int
    let seconds: Int

    /// The path of wrk when it is installed (`scripts/setup --test` installs it).
    static var binary: String? {
        let paths = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":")
        return paths.map { "\($0)/wrk" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    func run(_ wrk: String, scratch: URL) throws -> GatewayBench.Result {
        // Lua: the request, and a summary line the bench parses (latencies are in microseconds).
        let script = scratch.appendingPathComponent("wrk-\(UUID().uuidString).lua")
        var lua = "wrk.method = \"POST\"\nwrk.body = [[\(body)]]\nwrk.headers[\"Content-Type\"] = \"application/json\"\n"
        if let key { lua += "wrk.headers[\"Authorization\"] = \"Bearer \(key)\"\n" }
        lua += """
            done = function(summary, latency, requests)
              local e = summary.errors
              io.write(string.format("easel-wrk %d %d %d %d %d\\n", summary.requests, summary.duration,
                e.connect + e.read + e.write + e.status + e.timeout, latency:percentile(50), latency:percentile(99)))
            end

            """
        try lua.write(to: script, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: script) }

        let process = Process()
        process.executableURL = URL(fileURLWithPath: wrk)
        // One thread: the load generator shares the machine with both servers, so it should cost them little.
        process.arguments = ["-t1", "-c\(connections)", "-d\(seconds)s", "--timeout", "30s", "-s", script.path, url]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix("easel-wrk ") }) else {
            throw CLIError("wrk printed no summary (exit \(process.terminationStatus)): \(text.prefix(400))")
        }
        let fields = line.split(separator: " ").dropFirst().compactMap { Double($0) }
        guard fields.count == 5, fields[1] > 0 else { throw CLIError("wrk's summary is not understood: \(line)") }
        let failures = Int(fields[2])
        return GatewayBench.Result(
            rps: (fields[0] - Double(failures)) / (fields[1] / 1_000_000),
            p50: fields[3] / 1000,
            p99: fields[4] / 1000,
            failures: failures
        )
    }
}
