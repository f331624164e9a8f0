import EaselCore
import Foundation
import Hummingbird

/// Server-sent events: `event:` and `data:` lines, then a blank line.
enum ServerSentEvents {
    static func frame(event: String?, data: JSONValue) -> ByteBuffer {
        var bytes: [UInt8] = []
        if let event { bytes.append(contentsOf: "event: \(event)\n".utf8) }
        bytes.append(contentsOf: "data: ".utf8)
        data.write(into: &bytes)
        bytes.append(contentsOf: "\n\n".utf8)
        return ByteBuffer(bytes: bytes)
    }

    /// A comment line: keeps proxies from closing an idle stream.
    static let ping = ByteBuffer(string: ": ping\n\n")

    static var headers: HTTPFields {
        [.contentType: "text/event-stream", .cacheControl: "no-cache", .xAccelBuffering: "no"]
    }

    /// A streamed response whose frames come from `frames`; pings every `pingSeconds` while it is quiet.
    static func response(
        headers extra: HTTPFields = [:],
        pingSeconds: Int = 15,
        frames: @escaping @Sendable (_ send: @Sendable (ByteBuffer) -> Void) async -> Void
    ) -> Response {
        var headers = Self.headers
        for field in extra { headers[field.name] = field.value }
        let body = ResponseBody { writer in
            let (stream, continuation) = AsyncStream<ByteBuffer>.makeStream()
            let producer = Task {
                await frames { continuation.yield($0) }
                continuation.finish()
            }
            let pinger = Task {
                while !Task.isCancelled {
                    try? await Task.sleep(for: .seconds(pingSeconds))
                    if Task.isCancelled { break }
                    continuation.yield(ping)
                }
            }
            defer {
                producer.cancel()
                pinger.cancel()
            }
            for await buffer in stream {
                try await writer.write(buffer)
            }
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: headers, body: body)
    }
}
