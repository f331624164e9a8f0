/// `GET /api/assets` query parameters into an `AssetQuery`; every bad value is a 400 naming its parameter.
extension AssetQuery {
    public static let parameters: Set<String> = [
        "q", "model", "template", "batch", "collection", "favorite", "rating", "tag", "review", "format", "width", "height",
        "aspect", "from", "to", "draft", "sort", "before", "cursor", "limit",
    ]

    public init(parameters: [String: String], userID: String?) throws(EaselError) {
        self.init(userID: userID)
        if let unknown = parameters.keys.sorted().first(where: { !Self.parameters.contains($0) }) {
            throw .invalidRequest(
                "Unknown parameter '\(unknown)'. Known: \(Self.parameters.sorted().joined(separator: ", ")).",
                param: unknown,
                code: "unknown_parameter"
            )
        }
        func text(_ key: String) -> String? {
            guard let value = parameters[key]?.trimmingWhitespace, !value.isEmpty else { return nil }
            return value
        }
        func flag(_ key: String) throws(EaselError) -> Bool? {
            guard let value = text(key) else { return nil }
            switch value.lowercased() {
            case "true", "1", "yes": return true
            case "false", "0", "no": return false
            default: throw .invalidRequest("Invalid '\(key)': '\(value)'. Use true or false.", param: key)
            }
        }
        func integer(_ key: String, _ range: ClosedRange<Int>) throws(EaselError) -> Int? {
            guard let value = text(key) else { return nil }
            guard let number = Int(value), range.contains(number) else {
                throw .invalidRequest("Invalid '\(key)': '\(value)'. Use a whole number from \(range.lowerBound) to \(range.upperBound).", param: key)
            }
            return number
        }
        if let q = text("q") {
            guard let words = SearchText.query(q) else {
                throw .invalidRequest("'q' has no words to search for.", param: "q")
            }
            search = words
        }
        model = text("model")
        template = text("template")
        batchID = text("batch")
        collectionID = text("collection")
        favorite = try flag("favorite")
        minRating = try integer("rating", 1...5)
        tag = text("tag")?.lowercased()
        if let value = text("review") {
            guard let status = ReviewStatus(rawValue: value) else {
                throw .invalidRequest(
                    "Invalid 'review': '\(value)'. Use \(ReviewStatus.allCases.map(\.rawValue).joined(separator: ", ")).",
                    param: "review"
                )
            }
            review = status
        }
        if let value = text("format") {
            guard let parsed = ImageFormat(rawValue: value.lowercased() == "jpg" ? "jpeg" : value.lowercased()) else {
                throw .invalidRequest("Invalid 'format': '\(value)'. Use png, jpeg or webp.", param: "format")
            }
            format = parsed
        }
        width = try integer("width", 1...100_000)
        height = try integer("height", 1...100_000)
        if let value = text("aspect") {
            let parts = value.split(separator: ":")
            if parts.count == 2, let w = Double(parts[0]), let h = Double(parts[1]), w > 0, h > 0, (w / h).isNormal {
                aspect = w / h
            } else if let ratio = Double(value), ratio > 0, ratio.isFinite {
                aspect = ratio
            } else {
                throw .invalidRequest("Invalid 'aspect': '\(value)'. Use W:H (16:9) or a ratio (1.78).", param: "aspect")
            }
        }
        createdFrom = try Self.time(text("from"), param: "from")
        createdTo = try Self.time(text("to"), param: "to", endOfDay: true)
        if let from = createdFrom, let to = createdTo, to <= from {
            throw .invalidRequest("'to' must be after 'from'.", param: "to")
        }
        draft = try flag("draft")
        if let value = text("sort") {
            guard let parsed = Order(rawValue: value) else {
                throw .invalidRequest("Invalid 'sort': '\(value)'. Use newest or oldest.", param: "sort")
            }
            order = parsed
        }
        for key in ["cursor", "before"] {
            guard let value = text(key) else { continue }
            guard EaselID.isValid(value, prefix: "img") else {
                throw .invalidRequest("Invalid '\(key)' cursor '\(value)': use the next_cursor of a previous page.", param: key)
            }
            after = value
        }
        limit = try integer("limit", 1...200) ?? 20
    }

    /// `YYYY-MM-DD` (UTC; with `endOfDay`, the day after it, as an open end) or Unix seconds, in milliseconds.
    static func time(_ value: String?, param: String, endOfDay: Bool = false) throws(EaselError) -> Int64? {
        guard let value else { return nil }
        if let seconds = Int64(value), seconds >= 0, seconds < 100_000_000_000 { return seconds * 1000 }
        let parts = value.split(separator: "-")
        guard parts.count == 3, parts[0].count == 4, let y = Int64(parts[0]), let m = Int64(parts[1]), let d = Int64(parts[2]),
            (1...12).contains(m), (1...31).contains(d)
        else {
            throw .invalidRequest("Invalid '\(param)': '\(value)'. Use YYYY-MM-DD or Unix seconds.", param: param)
        }
        // Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil).
        let year = m <= 2 ? y - 1 : y
        let era = (year >= 0 ? year : year - 399) / 400
        let yoe = year - era * 400
        let doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        let days = era * 146_097 + doe - 719_468
        return (days + (endOfDay ? 1 : 0)) * 86_400_000
    }
}
