import EaselCore

extension FuzzTargets {
    static let tokenAlphabet = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789".utf8)

    /// `ShareToken.isWellFormed`, the check before a share token is hashed and looked up: it accepts exactly
    /// `esh_` and 32 ASCII letters or digits, and every token made as `ShareService` makes them.
    public static func shareToken(_ bytes: [UInt8]) {
        let token = String(decoding: bytes, as: UTF8.self)
        let utf8 = Array(token.utf8)
        let expected =
            utf8.count == 36 && utf8.starts(with: Array("esh_".utf8)) && utf8.dropFirst(4).allSatisfy { tokenAlphabet.contains($0) }
        check(ShareToken.isWellFormed(token) == expected, "the shape check is wrong about \(token.debugDescription)")
        let made = "esh_" + String(decoding: (0..<32).map { tokenAlphabet[Int(bytes.isEmpty ? 0 : bytes[$0 % bytes.count]) % 62] }, as: UTF8.self)
        check(ShareToken.isWellFormed(made), "a token Easel makes is refused: \(made)")
    }
}
