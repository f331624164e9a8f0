import Foundation

/// An incremental `text/event-stream` parser: feed bytes as they arrive, take complete events out.
public struct ServerSentEventParser: Sendable {
    public struct Event: Sendable, Equatable {
        public var event: String?
        public var data: String
    }

    private var buffer: [UInt8] = []
    private var eventName: String?
    private var dataLines: [String] = []

    public init() {}

    /// Adds bytes; returns the events they completed.
    public mutating func feed(_ bytes: some Sequence<UInt8>) -> [Event] {
        buffer.append(contentsOf: bytes)
        var events: [Event] = []
        var start = 0
        var index = 0
        while index < buffer.count {
            if buffer[index] == 0x0A {
                var end = index
                if end > start && buffer[end - 1] == 0x0D { end -= 1 }
                let line = String(decoding: buffer[start..<end], as: UTF8.self)
                if let event = consume(line) { events.append(event) }
                start = index + 1
            }
            index += 1
        }
        buffer.removeFirst(start)
        return events
    }

    /// Whether bytes of an unfinished event are pending (a stream that ends here was cut short).
    public var hasPartialEvent: Bool { !buffer.isEmpty || !dataLines.isEmpty }

    private mutating func consume(_ line: String) -> Event? {
        if line.isEmpty {
            defer {
                eventName = nil
                dataLines = []
            }
            guard !dataLines.isEmpty else { return nil }
            return Event(event: eventName, data: dataLines.joined(separator: "\n"))
        }
        if line.hasPrefix(":") { return nil }
        let field: Substring
        var value: Substring
        if let colon = line.firstIndex(of: ":") {
            field = line[..<colon]
            value = line[line.index(after: colon)...]
            if value.first == " " { value = value.dropFirst() }
        } else {
            field = Substring(line)
            value = ""
        }
        switch field {
        case "event": eventName = String(value)
        case "data": dataLines.append(String(value))
        default: break
        }
        return nil
    }
}
