import EaselCore

/// JSON columns are TEXT, written and read with Easel's own JSON writer and parser.
enum JSONText {
    static func encode(_ value: JSONValue) -> String { value.serializedString }

    static func parse(_ text: String) throws -> JSONValue { try JSONParser.parse(Array(text.utf8)) }
}
