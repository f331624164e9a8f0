import NIOCore

/// Finds a byte above 0x7F where a part's header name is read, before MultipartKit sees it: MultipartKit 4.7.1
/// looks such a byte up in a 128-entry table and traps, so one crafted upload would stop the server.
///
/// It follows every header block MultipartKit could be in: each `--boundary` in the stream (a superset of the
/// delimiters it honours) starts one, tracked as a set of states of its header grammar (CRLF, name, `:`,
/// value, CRLF). Following more blocks than it does only ever checks more bytes; a real body has no
/// `--boundary` in its content, so nothing it sends is refused.
struct HeaderNameGuard {
    private let delimiter: [UInt8]
    /// Knuth–Morris–Pratt: the longest proper border of each prefix of `delimiter`.
    private let borders: [Int]
    private var matched = 0
    private var states: UInt8 = 0

    private static let expectCR: UInt8 = 1
    private static let expectLF: UInt8 = 2
    private static let name: UInt8 = 4
    private static let value: UInt8 = 8
    private static let afterValue: UInt8 = 16

    init(boundary: String) {
        delimiter = Array("--\(boundary)".utf8)
        var borders = [Int](repeating: 0, count: delimiter.count)
        var length = 0
        for index in delimiter.indices.dropFirst() {
            while length > 0 && delimiter[index] != delimiter[length] { length = borders[length - 1] }
            if delimiter[index] == delimiter[length] { length += 1 }
            borders[index] = length
        }
        self.borders = borders
    }

    /// Whether the next bytes of the body are safe to parse; false at the first non-ASCII header-name byte.
    mutating func admits(_ chunk: ByteBuffer) -> Bool {
        chunk.withUnsafeReadableBytes { bytes in
            var index = 0
            while index < bytes.count {
                // Nothing under way (most of a file's bytes): skip to the next byte that can start a delimiter.
                if states == 0 && matched == 0 {
                    while index < bytes.count && bytes[index] != delimiter[0] { index += 1 }
                    if index == bytes.count { break }
                }
                let byte = bytes[index]
                index += 1
                if states != 0 {
                    var next: UInt8 = 0
                    if states & Self.expectCR != 0 && byte == 0x0D { next |= Self.expectLF }
                    if states & Self.expectLF != 0 && byte == 0x0A { next |= Self.name }
                    if states & Self.name != 0 {
                        if byte > 0x7F { return false }
                        // A CR ends the block (or is an error); any other ASCII byte keeps it a name, or an error.
                        if byte == UInt8(ascii: ":") { next |= Self.value } else if byte != 0x0D { next |= Self.name }
                    }
                    if states & Self.value != 0 { next |= byte == 0x0D ? Self.afterValue : Self.value }
                    if states & Self.afterValue != 0 && byte == 0x0A { next |= Self.name }
                    states = next
                }
                while matched > 0 && byte != delimiter[matched] { matched = borders[matched - 1] }
                if byte == delimiter[matched] { matched += 1 }
                if matched == delimiter.count {
                    states |= Self.expectCR
                    matched = borders[matched - 1]
                }
            }
            return true
        }
    }
}
