/// The prompt filter that runs before admission: keyword and regular-expression lists by category. A
/// blocked prompt is refused in OpenAI's `moderation_blocked` shape, and nothing is reserved or charged.
public struct PromptFilter: Sendable {
    public struct Category: Sendable {
        public var name: String
        /// Matched case-insensitively as whole words (or phrases).
        public var keywords: [String]
        public var patterns: [String]

        public init(name: String, keywords: [String] = [], patterns: [String] = []) {
            self.name = name
            self.keywords = keywords
            self.patterns = patterns
        }
    }

    public let categories: [Category]
    // Regex is not Sendable; the compiled patterns are only read.
    private nonisolated(unsafe) let compiled: [(String, [Regex<AnyRegexOutput>])]

    /// Fails with the category and pattern that does not compile.
    public init(categories: [Category]) throws {
        self.categories = categories
        var compiled: [(String, [Regex<AnyRegexOutput>])] = []
        for category in categories {
            var regexes: [Regex<AnyRegexOutput>] = []
            for keyword in category.keywords where !keyword.isEmpty {
                let escaped = keyword.lowercased().map { char -> String in
                    "\\^$.|?*+()[]{}".contains(char) ? "\\\(char)" : String(char)
                }.joined()
                regexes.append(try Regex("(?i)\\b\(escaped)\\b"))
            }
            for pattern in category.patterns {
                do {
                    regexes.append(try Regex(pattern).ignoresCase())
                } catch {
                    throw EaselError.invalidRequest(
                        "moderation category '\(category.name)': the pattern '\(pattern)' is not a valid regular expression.",
                        param: nil,
                        code: "invalid_config"
                    )
                }
            }
            compiled.append((category.name, regexes))
        }
        self.compiled = compiled
    }

    public static let empty = try! PromptFilter(categories: [])

    /// The first category the prompt falls in, or nil.
    public func category(of prompt: String) -> String? {
        for (name, regexes) in compiled where regexes.contains(where: { prompt.contains($0) }) {
            return name
        }
        return nil
    }

    /// The error a blocked prompt gets (what OpenAI's safety system answers, with Easel's category).
    public static func blocked(category: String) -> EaselError {
        EaselError(
            status: 400,
            type: "image_generation_user_error",
            code: "moderation_blocked",
            param: "prompt",
            message: "Your request was rejected by this server's content policy (category: \(category)). Nothing was charged.",
            extra: ["moderation_details": .object(["moderation_stage": "input", "categories": .array([.string(category)])])]
        )
    }
}
