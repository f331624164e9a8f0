import Logging
import PostgresNIO

/// LISTEN on a connection of its own (never a pooled one, and never through PgBouncer in transaction mode,
/// which cannot carry LISTEN), reconnecting with backoff until cancelled.
public struct PostgresListener: Sendable {
    let database: PostgresEaselDatabase
    let logger: Logger

    public init(database: PostgresEaselDatabase, logger: Logger) {
        self.database = database
        self.logger = logger
    }

    /// `onConnect` runs after every (re)connection, once LISTEN is in place, so the caller can catch up on
    /// what was missed while disconnected; `onNotice` gets each channel and payload.
    public func run(
        channels: [String],
        onConnect: @escaping @Sendable () async -> Void,
        onNotice: @escaping @Sendable (_ channel: String, _ payload: String) async -> Void
    ) async {
        var backoff = Duration.milliseconds(100)
        while !Task.isCancelled {
            do {
                let connection = try await database.dedicatedConnection(id: 1)
                do {
                    try await withThrowingTaskGroup(of: Void.self) { group in
                        for channel in channels {
                            let notices = try await connection.listen(channel)
                            group.addTask {
                                for try await notice in notices { await onNotice(channel, notice.payload) }
                            }
                        }
                        await onConnect()
                        backoff = .milliseconds(100)
                        // Any channel ending means the connection is gone: start again.
                        try await group.next()
                        group.cancelAll()
                    }
                } catch {
                    if !Task.isCancelled { logger.warning("the LISTEN connection failed; reconnecting", metadata: ["error": "\(error)"]) }
                }
                try? await connection.close()
            } catch {
                if !Task.isCancelled {
                    logger.warning("cannot open the LISTEN connection; polling until it is back", metadata: ["error": "\(error)"])
                }
            }
            try? await Task.sleep(for: backoff)
            backoff = min(backoff * 2, .seconds(5))
        }
    }
}
