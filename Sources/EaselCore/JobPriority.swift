/// A job's `priority` field: -10 (last) to 10 (first), default 0.
public enum JobPriority {
    public static func read(_ fields: [String: JSONValue]) throws(EaselError) -> Int {
        let priority = try FieldReader(fields: fields).integer("priority") ?? 0
        guard (-10...10).contains(priority) else {
            throw .invalidRequest("Invalid 'priority': \(priority). It must be between -10 and 10.", param: "priority")
        }
        return priority
    }
}
