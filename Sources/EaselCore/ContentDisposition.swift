/// `Content-Disposition` for a file download whose name may be in any script (RFC 6266 with RFC 5987):
/// `filename="…"` carries an ASCII fallback for old clients, `filename*=UTF-8''…` the real name.
public enum ContentDisposition {
    /// A file name from the first words of a prompt (in the user's own script) and the asset id, which keeps
    /// it unique: `春季营销活动海报-img_01….png`. Characters that are unsafe in file names are left out.
    public static func filename(prompt: String, id: String, fileExtension: String) -> String {
        let words = DraftScene.caption(from: prompt).filter { $0 != "…" }
        var stem = ""
        for character in words {
            if character.isLetter || character.isNumber {
                stem.append(character)
            } else if character.isWhitespace || character == "-" || character == "_", stem.last != "-", !stem.isEmpty {
                stem.append("-")
            }
            if stem.count >= 40 { break }
        }
        while stem.last == "-" { stem.removeLast() }
        return (stem.isEmpty || prompt.isEmpty ? id : "\(stem)-\(id)") + "." + fileExtension
    }

    /// The header value: `attachment` for a download, `inline` to show in place.
    public static func header(attachment: Bool, filename: String, fallback: String) -> String {
        let kind = attachment ? "attachment" : "inline"
        func plain(_ name: String) -> Bool {
            name.unicodeScalars.allSatisfy { $0.isASCII && $0.value >= 0x20 && $0.value < 0x7F && $0 != "\"" && $0 != "\\" }
        }
        if plain(filename) { return "\(kind); filename=\"\(filename)\"" }
        return "\(kind); filename=\"\(plain(fallback) ? fallback : "download")\"; filename*=UTF-8''\(percentEncoded(filename))"
    }

    /// RFC 5987 `value-chars`: `attr-char` as it is, every other UTF-8 byte as `%XX`.
    static func percentEncoded(_ text: String) -> String {
        let allowed = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!#$&+-.^_`|~".utf8)
        var out = ""
        for byte in text.utf8 {
            if allowed.contains(byte) {
                out.append(Character(Unicode.Scalar(byte)))
            } else {
                out += "%" + String(byte >> 4, radix: 16, uppercase: true) + String(byte & 0x0F, radix: 16, uppercase: true)
            }
        }
        return out
    }
}
