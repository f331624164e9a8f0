/// The draft renderer's words in other languages: each native word or phrase stands for one or more English
/// words of the draft's vocabulary (colours, tones and styles, subjects). The lists are data, one file per
/// language under `Lexicon/` (`native = english`), compiled into the binary.
///
/// Scripts written without spaces (Chinese, Japanese, Thai…) are matched anywhere, longest entry first;
/// Korean, whose particles attach to words, from the start of a word; every other script as whole words.
public struct Lexicon: Sendable {
    /// How much of a prompt is read, in characters.
    static let readLimit = 2000
    /// Native (lower-cased, single-spaced) → English words.
    let entries: [String: [String]]
    /// The longest entry, in characters.
    let longest: Int

    /// The lists of every language Easel ships.
    public static let builtIn = Lexicon(
        files: [
            PackageResources.zh_txt, PackageResources.ja_txt, PackageResources.ko_txt, PackageResources.es_txt,
            PackageResources.fr_txt, PackageResources.de_txt, PackageResources.pt_txt, PackageResources.it_txt,
        ].map { String(decoding: $0, as: UTF8.self) }
    )

    /// Reads `native = english words` lines (`native = -` for a word that means nothing to the draft); `#`
    /// starts a comment. A native phrase listed twice keeps its first meaning.
    public init(files: [String]) {
        var entries: [String: [String]] = [:]
        for file in files {
            for line in file.split(whereSeparator: \.isNewline) {
                let text = line.prefix { $0 != "#" }
                guard let equals = text.firstIndex(of: "=") else { continue }
                let native = Self.normalized(String(text[..<equals]))
                let english = text[text.index(after: equals)...].split(whereSeparator: \.isWhitespace).map { $0.lowercased() }
                guard !native.isEmpty, !english.isEmpty, entries[native] == nil else { continue }
                // `-`: a word that means nothing to the draft, listed so a shorter entry inside it does not match.
                entries[native] = english == ["-"] ? [] : english
            }
        }
        self.entries = entries
        self.longest = entries.keys.map(\.count).max() ?? 0
    }

    /// Every English word the lists stand for (to check against the draft's vocabulary).
    public var englishWords: Set<String> { Set(entries.values.joined()) }

    /// The prompt as words: native entries become their English words; every other word of a spaced script
    /// stays as it is (lower-cased); characters of unspaced scripts that match nothing are passed over.
    /// `preferred` words (the English vocabulary) win over an entry spelled the same (French `rose`).
    public func words(in prompt: String, preferring preferred: Set<String> = []) -> [String] {
        // The gist is at the start; a 32,000-character prompt need not be read whole for a draft.
        let text = Array(Self.normalized(String(prompt.prefix(Self.readLimit))))
        var words: [String] = []
        var index = 0
        while index < text.count {
            let character = text[index]
            guard character.isLetter else {
                index += 1
                continue
            }
            let atWordStart = index == 0 || !text[index - 1].isLetter
            let script = Script(character)
            if let (english, length) = match(in: text, at: index, atWordStart: atWordStart),
                !(script == .spaced && preferred.contains(String(text[index..<(index + length)])) && endsWord(text, at: index + length))
            {
                words += english
                index += length
                continue
            }
            if script == .unspaced {
                index += 1
                continue
            }
            // A whole word of a spaced script (or the rest of one after a Korean entry and its particle).
            let wordEnd = text[index...].firstIndex { !$0.isLetter } ?? text.count
            if atWordStart { words.append(String(text[index..<wordEnd])) }
            index = wordEnd
        }
        return words
    }

    /// The longest entry at `index` whose boundaries fit its script.
    private func match(in text: [Character], at index: Int, atWordStart: Bool) -> ([String], Int)? {
        var length = min(longest, text.count - index)
        while length > 0 {
            let candidate = String(text[index..<(index + length)])
            if let english = entries[candidate] {
                let first = Script(text[index])
                let last = Script(text[index + length - 1])
                if (first == .unspaced || atWordStart) && (last != .spaced || endsWord(text, at: index + length)) { return (english, length) }
            }
            length -= 1
        }
        return nil
    }

    private func endsWord(_ text: [Character], at index: Int) -> Bool { index == text.count || !text[index].isLetter }

    /// Lower-cased, with every run of white space as one space.
    static func normalized(_ text: String) -> String {
        text.lowercased().split(whereSeparator: \.isWhitespace).joined(separator: " ")
    }

    /// How a script separates words, which decides where an entry may match.
    enum Script {
        /// Written without spaces between words: an entry matches anywhere.
        case unspaced
        /// Spaces between words, particles attached to them (Hangul): an entry starts a word.
        case prefixed
        /// Spaces between words: an entry is whole words.
        case spaced

        init(_ character: Character) {
            guard let scalar = character.unicodeScalars.first?.value else {
                self = .spaced
                return
            }
            switch scalar {
            case 0x1100...0x11FF, 0x3130...0x318F, 0xA960...0xA97F, 0xAC00...0xD7AF, 0xD7B0...0xD7FF:
                self = .prefixed
            case 0x0E00...0x0EFF,  // Thai, Lao
                0x1000...0x109F,  // Myanmar
                0x1780...0x17FF,  // Khmer
                0x3005...0x3007, 0x3040...0x30FF, 0x31F0...0x31FF,  // kana and iteration marks
                0x3400...0x4DBF, 0x4E00...0x9FFF, 0xF900...0xFAFF, 0xFF66...0xFF9F, 0x20000...0x3FFFF:
                self = .unspaced
            default:
                self = .spaced
            }
        }
    }
}
