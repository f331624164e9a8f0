import EaselCore
import Foundation

/// Reads a stored (uncompressed) zip, as Easel's exports write it, checking each entry's CRC.
public enum ZipReader {
    public struct Entry: Sendable {
        public var name: String
        public var data: Data
    }

    public enum Failure: Error { case malformed(String) }

    public static func entries(_ archive: Data) throws -> [Entry] {
        let bytes = [UInt8](archive)
        func u16(_ at: Int) -> Int { Int(bytes[at]) | Int(bytes[at + 1]) << 8 }
        func u32(_ at: Int) -> UInt32 { UInt32(bytes[at]) | UInt32(bytes[at + 1]) << 8 | UInt32(bytes[at + 2]) << 16 | UInt32(bytes[at + 3]) << 24 }
        var entries: [Entry] = []
        var offset = 0
        while offset + 30 <= bytes.count, u32(offset) == 0x0403_4B50 {
            guard u16(offset + 8) == 0 else { throw Failure.malformed("entry at \(offset) is compressed") }
            let crc = u32(offset + 14)
            let size = Int(u32(offset + 18))
            let nameLength = u16(offset + 26)
            let extra = u16(offset + 28)
            let nameStart = offset + 30
            let dataStart = nameStart + nameLength + extra
            guard dataStart + size <= bytes.count else { throw Failure.malformed("entry at \(offset) runs past the end") }
            let name = String(decoding: bytes[nameStart..<(nameStart + nameLength)], as: UTF8.self)
            let data = Data(bytes[dataStart..<(dataStart + size)])
            guard CRC32.checksum(data) == crc else { throw Failure.malformed("CRC of \(name)") }
            entries.append(Entry(name: name, data: data))
            offset = dataStart + size
        }
        // The central directory follows, and names every entry again.
        guard offset + 4 <= bytes.count, u32(offset) == 0x0201_4B50 || entries.isEmpty else { throw Failure.malformed("no central directory") }
        guard let end = (0...(bytes.count - 22)).reversed().first(where: { u32($0) == 0x0605_4B50 }), u16(end + 10) == entries.count else {
            throw Failure.malformed("the end record does not count the entries")
        }
        return entries
    }
}
