import EaselCore
import Logging

/// Every log line of the test process, kept in memory so tests can check what was (and was not) logged.
public enum LogCapture {
    private static let lines = Locked<[String]>([])

    /// Installs the capturing handler once for the process.
    public static let install: Void = {
        LoggingSystem.bootstrap { label in Handler(label: label) }
    }()

    public static var all: [String] { lines.current }

    struct Handler: LogHandler {
        let label: String
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .critical

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            var merged = metadata
            if let extra = event.metadata { merged.merge(extra) { _, new in new } }
            let line = "\(event.level) \(label) \(event.message) \(merged)"
            LogCapture.lines.withLock { lines in
                lines.append(line)
                if lines.count > 50_000 { lines.removeFirst(10_000) }
            }
        }
    }
}
