import Logging

extension Logger {
    /// A logger of its own label (each long-lived part has one) at the configured level.
    init(label: String, level: Logger.Level) {
        self.init(label: label)
        self.logLevel = level
    }
}
