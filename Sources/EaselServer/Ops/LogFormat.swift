import EaselCore
import Foundation
import Logging

/// Log lines as JSON objects (one per line) for machines, or `key=value` text for a terminal. Every line
/// of a request carries its `request.id`.
public struct StructuredLogHandler: LogHandler {
    public enum Format: String, Sendable { case json, text }

    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level
    let label: String
    let format: Format
    static let output = Locked(FileHandle.standardError)

    public init(label: String, level: Logger.Level, format: Format) {
        self.label = label
        self.logLevel = level
        self.format = format
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = metadata
        if let extra = event.metadata { merged.merge(extra) { _, new in new } }
        let time = ISO8601DateFormatter.string(
            from: Date(),
            timeZone: TimeZone(identifier: "UTC")!,
            formatOptions: [.withInternetDateTime, .withFractionalSeconds]
        )
        let line: String
        switch format {
        case .json:
            var object: [String: JSONValue] = [
                "ts": .string(time), "level": .string(event.level.rawValue), "logger": .string(label),
                "msg": .string(event.message.description),
            ]
            for (key, value) in merged { object[key] = .string(value.description) }
            line = JSONValue.object(object).serializedString
        case .text:
            let fields = merged.sorted { $0.key < $1.key }.map { "\($0.key)=\(Self.quote($0.value.description))" }
            line = ([time, event.level.rawValue.uppercased(), label, event.message.description] + fields).joined(separator: " ")
        }
        Self.output.withLock { $0.write(Data((line + "\n").utf8)) }
    }

    static func quote(_ text: String) -> String {
        text.contains(where: { $0 == " " || $0 == "\"" || $0 == "=" }) ? "\"\(text.replacingOccurrences(of: "\"", with: "\\\""))\"" : text
    }

    /// Installs the handler for the process (once, at start-up).
    public static func bootstrap(level: Logger.Level, format: Format? = nil) {
        let chosen = format ?? (isatty(2) != 0 ? .text : .json)
        LoggingSystem.bootstrap { label in StructuredLogHandler(label: label, level: level, format: chosen) }
    }
}
