/// A CSV table as RFC 4180 writes it (quoted fields, `""` for a quote, CRLF or LF, a UTF-8 byte-order mark
/// tolerated): a header of names and rows of values. Every error names the row (1 is the header) so a
/// spreadsheet user can find it.
public struct CSVTable: Sendable, Equatable {
    public var header: [String]
    public var rows: [[String]]

    /// Each row as `name → value`.
    public var records: [[String: String]] {
        rows.map { Dictionary(zip(header, $0).map { ($0, $1) }, uniquingKeysWith: { first, _ in first }) }
    }

    /// Parses `bytes` (which must be UTF-8) with at most `maxRows` rows after the header.
    public init(bytes: [UInt8], maxRows: Int, param: String = "csv") throws(EaselError) {
        var bytes = bytes[...]
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes = bytes.dropFirst(3) }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw .invalidRequest("The CSV is not UTF-8. Save it as 'CSV UTF-8' and upload it again.", param: param, code: "invalid_encoding")
        }
        var records: [[String]] = []
        var record: [String] = []
        var field = ""
        var quoted = false
        var fieldStarted = false
        var characters = text.unicodeScalars.makeIterator()
        var pending: Unicode.Scalar? = characters.next()
        func endRecord() throws(EaselError) {
            record.append(field)
            field = ""
            fieldStarted = false
            // A blank line is skipped, not a row of one empty value.
            if !(record.count == 1 && record[0].isEmpty) { records.append(record) }
            record = []
            if records.count > maxRows + 1 {
                throw .invalidRequest(
                    "The CSV has more than \(maxRows) rows, the most one batch may have. Split it into smaller batches.",
                    param: param,
                    code: "batch_too_large"
                )
            }
        }
        while let scalar = pending {
            pending = characters.next()
            if quoted {
                if scalar == "\"" {
                    if pending == "\"" {
                        field.unicodeScalars.append("\"")
                        pending = characters.next()
                    } else {
                        quoted = false
                    }
                } else {
                    field.unicodeScalars.append(scalar)
                }
                continue
            }
            switch scalar {
            case "\"" where !fieldStarted:
                quoted = true
                fieldStarted = true
            case "\"":
                throw .invalidRequest(
                    "Row \(records.count + 1) of the CSV has a quote inside an unquoted field; quote the whole field and double the quote.",
                    param: "\(param).rows[\(records.count + 1)]",
                    code: "invalid_csv"
                )
            case ",":
                record.append(field)
                field = ""
                fieldStarted = false
            case "\r":
                if pending == "\n" { pending = characters.next() }
                try endRecord()
            case "\n":
                try endRecord()
            default:
                field.unicodeScalars.append(scalar)
                fieldStarted = true
            }
        }
        if quoted {
            throw .invalidRequest(
                "Row \(records.count + 1) of the CSV opens a quote that is never closed.",
                param: "\(param).rows[\(records.count + 1)]",
                code: "invalid_csv"
            )
        }
        if fieldStarted || !record.isEmpty || !field.isEmpty { try endRecord() }
        guard let header = records.first else { throw .invalidRequest("The CSV is empty: it needs a header row.", param: param, code: "invalid_csv") }
        self.header = header.map { $0.trimmingWhitespace }
        var seen: Set<String> = []
        for (column, name) in self.header.enumerated() {
            guard !name.isEmpty else {
                throw .invalidRequest("Column \(column + 1) of the CSV header has no name.", param: "\(param).header", code: "invalid_csv")
            }
            guard seen.insert(name).inserted else {
                throw .invalidRequest("The CSV header names '\(name)' twice.", param: "\(param).header", code: "invalid_csv")
            }
        }
        rows = Array(records.dropFirst())
        for (index, row) in rows.enumerated() where row.count != self.header.count {
            throw .invalidRequest(
                "Row \(index + 2) of the CSV has \(row.count) value\(row.count == 1 ? "" : "s"); the header has \(self.header.count).",
                param: "\(param).rows[\(index + 2)]",
                code: "invalid_csv"
            )
        }
    }

    /// Writes a table back as CSV (quoted where needed, CRLF line ends).
    public static func write(header: [String], rows: [[String]]) -> String {
        // Scalars, as the parser reads: "\r\n" is one Character, and so is a quote or comma with a combining mark.
        // A leading U+FEFF is quoted too: unquoted at the start of the file, the reader would take it for a BOM.
        func quote(_ value: String) -> String {
            value.unicodeScalars.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" })
                || value.unicodeScalars.first == "\u{FEFF}"
                ? "\"" + value.replacingAll("\"", with: "\"\"") + "\"" : value
        }
        return ([header] + rows).map { $0.map(quote).joined(separator: ",") + "\r\n" }.joined()
    }
}

extension String {
    /// Every occurrence of `target` replaced (without Foundation).
    func replacingAll(_ target: Unicode.Scalar, with replacement: String) -> String {
        var out = ""
        for scalar in unicodeScalars { if scalar == target { out += replacement } else { out.unicodeScalars.append(scalar) } }
        return out
    }
}
