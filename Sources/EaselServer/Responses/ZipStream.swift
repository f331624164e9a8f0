import EaselCore
import Foundation
import NIOCore

/// A zip archive written as it is sent: each file (already compressed images, so stored as they are) goes
/// out with its header as soon as its bytes are read, and the central directory at the end. Nothing but the
/// current file is held in memory. Classic zip: under 65,535 entries and 4 GiB (`ZipLimits`, checked before streaming).
struct ZipStream {
    private struct Entry {
        let name: [UInt8]
        let crc: UInt32
        let size: UInt32
        let offset: UInt32
    }

    private var entries: [Entry] = []
    private var offset: UInt32 = 0

    /// The local header and data of one file.
    mutating func file(_ name: String, _ data: Data) -> ByteBuffer {
        let nameBytes = Array(name.utf8)
        let crc = CRC32.checksum(data)
        var buffer = ByteBuffer()
        buffer.reserveCapacity(30 + nameBytes.count + data.count)
        buffer.writeInteger(UInt32(0x0403_4B50), endianness: .little)
        buffer.writeInteger(UInt16(20), endianness: .little)  // version needed
        buffer.writeInteger(UInt16(0x0800), endianness: .little)  // UTF-8 names
        buffer.writeInteger(UInt16(0), endianness: .little)  // stored
        buffer.writeInteger(UInt16(0), endianness: .little)  // time
        buffer.writeInteger(UInt16(0x21), endianness: .little)  // date: 1980-01-01
        buffer.writeInteger(crc, endianness: .little)
        buffer.writeInteger(UInt32(data.count), endianness: .little)
        buffer.writeInteger(UInt32(data.count), endianness: .little)
        buffer.writeInteger(UInt16(nameBytes.count), endianness: .little)
        buffer.writeInteger(UInt16(0), endianness: .little)
        buffer.writeBytes(nameBytes)
        buffer.writeBytes(data)
        entries.append(Entry(name: nameBytes, crc: crc, size: UInt32(data.count), offset: offset))
        offset &+= UInt32(buffer.readableBytes)
        return buffer
    }

    /// The central directory and its end record.
    func finish() -> ByteBuffer {
        var buffer = ByteBuffer()
        let start = offset
        for entry in entries {
            buffer.writeInteger(UInt32(0x0201_4B50), endianness: .little)
            buffer.writeInteger(UInt16(20), endianness: .little)  // made by
            buffer.writeInteger(UInt16(20), endianness: .little)  // needed
            buffer.writeInteger(UInt16(0x0800), endianness: .little)
            buffer.writeInteger(UInt16(0), endianness: .little)
            buffer.writeInteger(UInt16(0), endianness: .little)
            buffer.writeInteger(UInt16(0x21), endianness: .little)
            buffer.writeInteger(entry.crc, endianness: .little)
            buffer.writeInteger(entry.size, endianness: .little)
            buffer.writeInteger(entry.size, endianness: .little)
            buffer.writeInteger(UInt16(entry.name.count), endianness: .little)
            buffer.writeInteger(UInt16(0), endianness: .little)  // extra
            buffer.writeInteger(UInt16(0), endianness: .little)  // comment
            buffer.writeInteger(UInt16(0), endianness: .little)  // disk
            buffer.writeInteger(UInt16(0), endianness: .little)  // internal attributes
            buffer.writeInteger(UInt32(0), endianness: .little)  // external attributes
            buffer.writeInteger(entry.offset, endianness: .little)
            buffer.writeBytes(entry.name)
        }
        let size = UInt32(buffer.readableBytes)
        buffer.writeInteger(UInt32(0x0605_4B50), endianness: .little)
        buffer.writeInteger(UInt16(0), endianness: .little)
        buffer.writeInteger(UInt16(0), endianness: .little)
        buffer.writeInteger(UInt16(entries.count), endianness: .little)
        buffer.writeInteger(UInt16(entries.count), endianness: .little)
        buffer.writeInteger(size, endianness: .little)
        buffer.writeInteger(start, endianness: .little)
        buffer.writeInteger(UInt16(0), endianness: .little)
        return buffer
    }
}

extension ZipStream {
    /// A whole export: each image read only when its turn comes, then `manifest.csv`, `manifest.json` and the
    /// central directory, every piece handed to `write` as it is made.
    static func write(
        _ entries: [(name: String, asset: AssetRecord)],
        data: (AssetRecord) async throws -> Data,
        manifest: (csv: String, json: JSONValue),
        to write: (ByteBuffer) async throws -> Void
    ) async throws {
        var archive = ZipStream()
        for entry in entries { try await write(archive.file(entry.name, try await data(entry.asset))) }
        try await write(archive.file("manifest.csv", Data(manifest.csv.utf8)))
        try await write(archive.file("manifest.json", Data(manifest.json.serialized())))
        try await write(archive.finish())
    }
}
