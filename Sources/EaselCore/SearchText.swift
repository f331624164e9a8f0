/// Full-text search that works for every script with a word tokenizer: scripts written without spaces
/// (Han, kana, Hangul syllables, Thai) are indexed one character per token, so a query for 海报 finds
/// 春季营销活动海报 as the phrase "海 报". Latin words match by prefix (`light` finds `lighthouse`).
public enum SearchText {
    /// The text as it is indexed.
    public static func indexForm(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count + 16)
        for character in text {
            if isUnspaced(character) {
                out.append(" ")
                out.append(character)
                out.append(" ")
            } else {
                out.append(character)
            }
        }
        return out
    }

    /// An FTS5 MATCH expression for what a person typed: every word must match (words by prefix, unspaced
    /// runs as phrases); nil when nothing searchable is left. Quotes and operators typed are taken as text.
    public static func matchExpression(_ query: String) -> String? {
        var terms: [String] = []
        var word = ""
        var phrase: [Character] = []
        func flushWord() {
            if !word.isEmpty { terms.append("\"\(word)\"*") }
            word = ""
        }
        func flushPhrase() {
            if !phrase.isEmpty { terms.append("\"" + phrase.map(String.init).joined(separator: " ") + "\"") }
            phrase = []
        }
        for character in query.prefix(500) {
            if isUnspaced(character) {
                flushWord()
                phrase.append(character)
            } else if character.isLetter || character.isNumber {
                flushPhrase()
                word.append(character)
            } else {
                flushWord()
                flushPhrase()
            }
        }
        flushWord()
        flushPhrase()
        guard !terms.isEmpty else { return nil }
        return terms.prefix(16).joined(separator: " AND ")
    }

    static func isUnspaced(_ character: Character) -> Bool {
        guard let scalar = character.unicodeScalars.first else { return false }
        switch scalar.value {
        case 0x2E80...0x9FFF, 0xAC00...0xD7AF, 0xF900...0xFAFF, 0x3040...0x30FF, 0x0E00...0x0E7F, 0x20000...0x3FFFF: return true
        default: return false
        }
    }
}
