import EaselCore

extension FuzzTargets {
    /// `CSVTable(bytes:maxRows:)`, the first byte giving `maxRows` (0 to 15): a table it accepts has at most
    /// that many rows, every row as wide as the named, distinct header, and `CSVTable.write` writes it back
    /// as CSV that reads to the same table.
    public static func csv(_ bytes: [UInt8]) {
        guard let first = bytes.first else { return }
        let maxRows = Int(first % 16)
        guard let table = try? CSVTable(bytes: Array(bytes.dropFirst()), maxRows: maxRows) else { return }
        check(table.rows.count <= maxRows, "\(table.rows.count) rows read with maxRows \(maxRows)")
        check(!table.header.isEmpty && Set(table.header).count == table.header.count, "the header has a duplicate")
        check(table.rows.allSatisfy { $0.count == table.header.count }, "a row is not as wide as the header")
        let written = CSVTable.write(header: table.header, rows: table.rows)
        let again: CSVTable
        do {
            again = try CSVTable(bytes: Array(written.utf8), maxRows: maxRows)
        } catch {
            fatalError("property broken: the parser refuses what the writer wrote: \(error.message)")
        }
        check(again == table, "writing and reading again changed the table")
    }
}
