import EaselCore
import SQLKit

/// Responses API turns, per user.
public protocol ResponseStore: Sendable {
    func insert(_ record: ResponseRecord) async throws
    func response(id: String) async throws -> ResponseRecord?
    /// The turn a job made, if a Responses API turn made it.
    func response(jobID: String) async throws -> ResponseRecord?
    /// Removes the turn and its partials; false if it was not the user's or is gone.
    func delete(id: String, userID: String) async throws -> Bool
    /// A partial image a stream sent (base64), kept for resumed streams; a repeat of an index changes nothing.
    func savePartial(responseID: String, index: Int, base64: String) async throws
    func partials(responseID: String) async throws -> [String]
}

public struct SQLResponseStore: ResponseStore {
    let database: any EaselDatabase

    public init(database: any EaselDatabase) {
        self.database = database
    }

    public func insert(_ record: ResponseRecord) async throws {
        let echo = JSONText.encode(.object(record.echo))
        let items = JSONText.encode(.array(record.inputItems))
        try await database.write { db in
            try await db.raw(
                """
                INSERT INTO responses (id, user_id, job_id, previous_response_id, created_at, echo, input_items, turn_text, action, prompt)
                VALUES (\(bind: record.id), \(bind: record.userID), \(bind: record.jobID), \(bind: record.previousResponseID),
                    \(bind: record.createdAt), \(bind: echo), \(bind: items), \(bind: record.turnText), \(bind: record.action), \(bind: record.prompt))
                """
            ).run()
        }
    }

    public func response(id: String) async throws -> ResponseRecord? {
        try await first("id = \(bind: id)")
    }

    public func response(jobID: String) async throws -> ResponseRecord? {
        try await first("job_id = \(bind: jobID)")
    }

    private func first(_ condition: SQLQueryString) async throws -> ResponseRecord? {
        try await database.reader.rows(
            """
            SELECT id, user_id, job_id, previous_response_id, created_at, echo, input_items, turn_text, action, prompt
            FROM responses WHERE \(condition)
            """
        ) { row in
            ResponseRecord(
                id: try row.string("id"),
                userID: try row.string("user_id"),
                jobID: try row.string("job_id"),
                previousResponseID: try row.optionalString("previous_response_id"),
                createdAt: try row.int64("created_at"),
                echo: try JSONText.parse(try row.string("echo")).objectValue ?? [:],
                inputItems: try JSONText.parse(try row.string("input_items")).arrayValue ?? [],
                turnText: try row.string("turn_text"),
                action: try row.string("action"),
                prompt: try row.string("prompt")
            )
        }.first
    }

    public func delete(id: String, userID: String) async throws -> Bool {
        try await database.write { db in
            let deleted = try await db.rows("DELETE FROM responses WHERE id = \(bind: id) AND user_id = \(bind: userID) RETURNING id") {
                try $0.string("id")
            }
            try await db.raw("DELETE FROM response_partials WHERE response_id = \(bind: id)").run()
            return !deleted.isEmpty
        }
    }

    public func savePartial(responseID: String, index: Int, base64: String) async throws {
        try await database.write { db in
            try await db.raw(
                """
                INSERT INTO response_partials (response_id, partial_index, data) VALUES (\(bind: responseID), \(bind: index), \(bind: base64))
                ON CONFLICT DO NOTHING
                """
            ).run()
        }
    }

    public func partials(responseID: String) async throws -> [String] {
        try await database.reader.rows(
            "SELECT data FROM response_partials WHERE response_id = \(bind: responseID) ORDER BY partial_index"
        ) { try $0.string("data") }
    }
}
