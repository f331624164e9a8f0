import EaselCore
import SQLKit

/// Editing sessions and their turns.
public protocol SessionStore: Sendable {
    func create(_ session: EditSession) async throws
    func session(id: String) async throws -> EditSession?
    /// The newest `limit` turns, listed oldest first.
    func turns(sessionID: String, limit: Int) async throws -> [SessionTurn]
    /// Records a turn; false when its place is already taken (another turn got there first).
    func addTurn(_ turn: SessionTurn) async throws -> Bool
}

public struct SQLSessionStore: SessionStore {
    let database: any EaselDatabase

    public init(database: any EaselDatabase) {
        self.database = database
    }

    public func create(_ session: EditSession) async throws {
        try await database.write { db in
            try await db.raw(
                """
                INSERT INTO sessions (id, user_id, title, model, base_asset_id, created_at, updated_at)
                VALUES (\(bind: session.id), \(bind: session.userID), \(bind: session.title), \(bind: session.model), \
                \(bind: session.baseAssetID), \(bind: session.createdAt), \(bind: session.updatedAt))
                """
            ).run()
        }
    }

    public func session(id: String) async throws -> EditSession? {
        try await database.reader.rows(
            """
            SELECT id, user_id, title, model, base_asset_id, created_at, updated_at FROM sessions WHERE id = \(bind: id)
            """
        ) { row in
            EditSession(
                id: try row.string("id"),
                userID: try row.string("user_id"),
                title: try row.optionalString("title"),
                model: try row.string("model"),
                baseAssetID: try row.optionalString("base_asset_id"),
                createdAt: try row.int64("created_at"),
                updatedAt: try row.int64("updated_at")
            )
        }.first
    }

    public func turns(sessionID: String, limit: Int) async throws -> [SessionTurn] {
        try await database.reader.rows(
            """
            SELECT session_id, turn, job_id, prompt, input_asset_id, created_at FROM session_turns
            WHERE session_id = \(bind: sessionID) ORDER BY turn DESC LIMIT \(bind: limit)
            """
        ) { row in
            SessionTurn(
                sessionID: try row.string("session_id"),
                turn: try row.int("turn"),
                jobID: try row.string("job_id"),
                prompt: try row.string("prompt"),
                inputAssetID: try row.optionalString("input_asset_id"),
                createdAt: try row.int64("created_at")
            )
        }
        .reversed()
    }

    public func addTurn(_ turn: SessionTurn) async throws -> Bool {
        try await database.write { db in
            let inserted = try await db.raw(
                """
                INSERT INTO session_turns (session_id, turn, job_id, prompt, input_asset_id, created_at)
                VALUES (\(bind: turn.sessionID), \(bind: turn.turn), \(bind: turn.jobID), \(bind: turn.prompt), \
                \(bind: turn.inputAssetID), \(bind: turn.createdAt))
                ON CONFLICT DO NOTHING RETURNING turn
                """
            ).all()
            guard !inserted.isEmpty else { return false }
            try await db.raw("UPDATE sessions SET updated_at = \(bind: turn.createdAt) WHERE id = \(bind: turn.sessionID)").run()
            return true
        }
    }
}
