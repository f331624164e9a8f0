/// The shape of a share link's token (`esh_` and 32 ASCII letters or digits), checked before anything is hashed
/// or looked up, so a malformed token costs nothing and reaches no store.
public enum ShareToken {
    public static let prefix = "esh_"
    public static let length = 36

    /// Whether `token` could be one Easel made. Byte by byte: `hasPrefix` compares characters, and a combining
    /// mark after the `_` would make a different character of it.
    public static func isWellFormed(_ token: String) -> Bool {
        let bytes = token.utf8
        guard bytes.count == length, bytes.starts(with: prefix.utf8) else { return false }
        return bytes.dropFirst(prefix.utf8.count).allSatisfy { byte in
            (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte)
        }
    }
}
