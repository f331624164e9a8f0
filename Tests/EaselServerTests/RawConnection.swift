import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A plain TCP connection for what HTTP clients will not do: send a request a byte at a time, connect from a
/// chosen loopback address, and notice when the server hangs up. Non-blocking after connecting, so polling
/// it never holds a thread.
final class RawConnection {
    struct Failure: Error, CustomStringConvertible {
        let call: String
        let code: Int32
        var description: String { "\(call) failed: errno \(code)" }
    }

    private let descriptor: Int32
    /// Everything the server has sent so far.
    private(set) var received: [UInt8] = []
    /// True once the server closed the connection (end of stream or reset).
    private(set) var closed = false

    /// Connects to `127.0.0.1:port`, from `source` (another loopback address) when given.
    init(port: Int, from source: String? = nil) throws {
        descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw Failure(call: "socket", code: errno) }
        do {
            if let source {
                var local = try Self.address(source, port: 0)
                let bound = withUnsafePointer(to: &local) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
                }
                guard bound == 0 else { throw Failure(call: "bind", code: errno) }
            }
            var remote = try Self.address("127.0.0.1", port: port)
            let connected = withUnsafePointer(to: &remote) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            guard connected == 0 else { throw Failure(call: "connect", code: errno) }
            _ = fcntl(descriptor, F_SETFL, fcntl(descriptor, F_GETFL) | O_NONBLOCK)
        } catch {
            close(descriptor)
            throw error
        }
    }

    deinit { close(descriptor) }

    private static func address(_ text: String, port: Int) throws -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        guard inet_pton(AF_INET, text, &address.sin_addr) == 1 else { throw Failure(call: "inet_pton", code: EINVAL) }
        return address
    }

    /// Sends all of `text`; false when the server has closed the connection.
    @discardableResult func send(_ text: String) -> Bool {
        var bytes = Array(text.utf8)[...]
        while !bytes.isEmpty {
            let sent = bytes.withUnsafeBytes { Glibc.send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if sent > 0 {
                bytes = bytes.dropFirst(sent)
            } else if sent < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) {
                usleep(1000)
            } else {
                closed = true
                return false
            }
        }
        return true
    }

    /// Reads whatever has arrived, without waiting, and notes whether the server has closed.
    func readAvailable() {
        var buffer = [UInt8](repeating: 0, count: 4096)
        while !closed {
            let count = recv(descriptor, &buffer, buffer.count, 0)
            if count > 0 {
                received += buffer[0..<count]
            } else if count == 0 || !(errno == EAGAIN || errno == EWOULDBLOCK) {
                closed = true
            } else {
                return
            }
        }
    }

    var text: String { String(decoding: received, as: UTF8.self) }

    /// Polls every 20 ms until `condition` holds or `limit` has passed (a bound for failure, not a measure).
    func wait(upTo limit: Duration, until condition: (RawConnection) -> Bool) async throws -> Bool {
        let deadline = ContinuousClock.now + limit
        while ContinuousClock.now < deadline {
            readAvailable()
            if condition(self) { return true }
            try await Task.sleep(for: .milliseconds(20))
        }
        readAvailable()
        return condition(self)
    }

    /// Sends `filler` one byte every `every` until the server closes the connection or `limit` passes;
    /// true when it closed.
    func trickle(_ filler: String, every: Duration, upTo limit: Duration) async throws -> Bool {
        let deadline = ContinuousClock.now + limit
        let characters = Array(filler)
        var sent = 0
        while ContinuousClock.now < deadline {
            readAvailable()
            if closed { return true }
            send(String(characters[sent % characters.count]))
            sent += 1
            try await Task.sleep(for: every)
        }
        readAvailable()
        return closed
    }
}
