import EaselCore

extension FuzzTargets {
    /// `JSONParser.parse`: whatever it accepts, `serialized()` writes as JSON it reads back to an equal value,
    /// and writing that again gives the same bytes (the writer's output is canonical).
    public static func json(_ bytes: [UInt8]) {
        guard let value = try? JSONParser.parse(bytes) else { return }
        let written = value.serialized()
        let again: JSONValue
        do {
            again = try JSONParser.parse(written)
        } catch {
            fatalError("property broken: the parser refuses what the writer wrote (\(error.reason) at \(error.offset))")
        }
        check(again == value, "serialising and parsing again changed the value")
        check(again.serialized() == written, "serialising is not stable")
    }
}
