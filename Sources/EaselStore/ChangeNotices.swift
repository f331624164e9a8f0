import EaselCore
import Foundation
import SQLKit

/// PostgreSQL NOTIFY as a wake-up for other processes, never as a carrier of data: `easel_work` says a queue
/// has new work (its name is the payload), `easel_jobs` lists jobs whose row changed (a reader looks them
/// up). Sent inside the writing transaction, so it arrives after the commit. Nothing is sent on SQLite, where
/// other processes find changes by polling.
public enum ChangeNotices {
    public static let workChannel = "easel_work"
    public static let jobsChannel = "easel_jobs"
    /// NOTIFY payloads must stay under 8,000 bytes.
    static let payloadBytes = 7_000
    /// Job ids (30 characters) per notice when a statement builds the payload itself: 200 stay under the limit.
    static let idsPerNotice = 200

    static func jobsChanged(_ ids: some Collection<String>, on db: any SQLDatabase) async throws {
        guard db.isPostgres, !ids.isEmpty else { return }
        for payload in payloads(ids) {
            try await db.raw("SELECT pg_notify(\(bind: jobsChannel), \(bind: payload))").run()
        }
    }

    static func workQueued(queues: some Collection<String>, on db: any SQLDatabase) async throws {
        guard db.isPostgres else { return }
        for queue in Set(queues) {
            try await db.raw("SELECT pg_notify(\(bind: workChannel), \(bind: queue))").run()
        }
    }

    /// Comma-separated ids, split so that no payload passes the limit.
    static func payloads(_ ids: some Collection<String>) -> [String] {
        var payloads: [String] = []
        var current = ""
        for id in ids {
            if !current.isEmpty && current.utf8.count + id.utf8.count + 1 > payloadBytes {
                payloads.append(current)
                current = ""
            }
            current += current.isEmpty ? id : "," + id
        }
        if !current.isEmpty { payloads.append(current) }
        return payloads
    }
}

/// At most one `easel_work` notice per queue per interval from this process (River's limit): each NOTIFY
/// serialises commits database-wide, and workers poll anyway.
final class NoticeThrottle: Sendable {
    private let last = Locked<[String: ContinuousClock.Instant]>([:])
    private let interval: Duration

    init(interval: Duration = .milliseconds(100)) {
        self.interval = interval
    }

    /// The queues due a notice now (and marks them sent).
    func due(_ queues: some Collection<String>) -> [String] {
        let now = ContinuousClock.now
        return last.withLock { last in
            Set(queues).filter { queue in
                if let sent = last[queue], now - sent < interval { return false }
                last[queue] = now
                return true
            }
        }
    }
}
