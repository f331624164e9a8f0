import Foundation

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

    /// What a person typed, as search terms: every word must match (words by prefix, unspaced runs as
    /// phrases of one character per token); nil when nothing searchable is left. Quotes and operators typed
    /// are taken as text, so neither engine ever sees syntax from the user.
    public struct Query: Sendable, Hashable {
        public enum Term: Sendable, Hashable {
            case prefix(String)
            case phrase([String])
        }

        public let terms: [Term]

        /// SQLite FTS5's MATCH expression.
        public var fts5: String {
            terms.map { term in
                switch term {
                case .prefix(let word): "\"\(word)\"*"
                case .phrase(let characters): "\"" + characters.joined(separator: " ") + "\""
                }
            }.joined(separator: " AND ")
        }

        /// PostgreSQL's tsquery text (for `to_tsquery('simple', …)`), over `foldedForm` of the same words.
        public var tsQuery: String {
            terms.map { term in
                switch term {
                case .prefix(let word): "'\(SearchText.folded(word))':*"
                case .phrase(let characters): characters.map { "'\(SearchText.folded($0))'" }.joined(separator: " <-> ")
                }
            }.joined(separator: " & ")
        }
    }

    public static func query(_ text: String) -> Query? {
        var terms: [Query.Term] = []
        var word = ""
        var phrase: [String] = []
        func flushWord() {
            if !word.isEmpty { terms.append(.prefix(word)) }
            word = ""
        }
        func flushPhrase() {
            if !phrase.isEmpty { terms.append(.phrase(phrase)) }
            phrase = []
        }
        for character in text.prefix(500) {
            if isUnspaced(character) {
                flushWord()
                phrase.append(String(character))
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
        return Query(terms: Array(terms.prefix(16)))
    }

    /// An FTS5 MATCH expression for what a person typed (see `query`).
    public static func matchExpression(_ text: String) -> String? { query(text)?.fts5 }

    /// Lower case without diacritics, as FTS5's `remove_diacritics` tokenizer reads text: PostgreSQL indexes
    /// and queries this form, so `cafe` finds `Café` on both engines.
    public static func folded(_ text: String) -> String {
        String(String.UnicodeScalarView(text.lowercased().decomposedStringWithCanonicalMapping.unicodeScalars.filter { !isCombiningMark($0) }))
    }

    private static func isCombiningMark(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x0300...0x036F, 0x1AB0...0x1AFF, 0x1DC0...0x1DFF, 0x20D0...0x20FF, 0xFE20...0xFE2F: true
        default: false
        }
    }

    static func isUnspaced(_ character: Character) -> Bool {
        guard let scalar = character.unicodeScalars.first else { return false }
        switch scalar.value {
        case 0x2E80...0x9FFF, 0xAC00...0xD7AF, 0xF900...0xFAFF, 0x3040...0x30FF, 0x0E00...0x0E7F, 0x20000...0x3FFFF: return true
        default: return false
        }
    }
}
