import Crypto
import EaselCore
import Foundation

/// Where image bytes live, by content address.
public protocol BlobStore: Sendable {
    /// Stores `data` and returns its key (`<sha256>.<ext>`). Storing the same bytes twice is a no-op.
    func put(_ data: Data, fileExtension: String) async throws -> BlobRef
    func get(key: String) async throws -> Data?
    func exists(key: String) async throws -> Bool
    /// A local path for zero-copy serving, when the store has one.
    func localPath(key: String) -> String?
}

public struct BlobRef: Sendable, Hashable {
    public var key: String
    public var sha256: String
    public var bytes: Int
}

public enum BlobKey {
    /// Keys are `<64 hex>.<ext>`: anything else is refused before it reaches a path.
    public static func isValid(_ key: String) -> Bool {
        let parts = key.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 2, parts[0].count == 64, (1...5).contains(parts[1].count) else { return false }
        return parts[0].utf8.allSatisfy { ($0 >= 48 && $0 <= 57) || ($0 >= 97 && $0 <= 102) }
            && parts[1].utf8.allSatisfy { $0 >= 97 && $0 <= 122 }
    }

    public static func sha256Hex(_ data: Data) -> String {
        SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()
    }
}

/// Files under a directory, fanned out by hash prefix (`ab/cd/abcd….png`), written atomically:
/// temp file, fsync-free write, then rename, so a crash never leaves a half-written blob under its key.
public struct FileBlobStore: BlobStore {
    public let root: URL

    public init(root: URL) throws {
        self.root = root
        try FileManager.default.createDirectory(at: root.appendingPathComponent("tmp"), withIntermediateDirectories: true)
    }

    func url(for key: String) -> URL {
        root.appendingPathComponent(String(key.prefix(2))).appendingPathComponent(String(key.dropFirst(2).prefix(2)))
            .appendingPathComponent(key)
    }

    public func put(_ data: Data, fileExtension: String) async throws -> BlobRef {
        let hash = BlobKey.sha256Hex(data)
        let key = "\(hash).\(fileExtension)"
        let target = url(for: key)
        if FileManager.default.fileExists(atPath: target.path) {
            return BlobRef(key: key, sha256: hash, bytes: data.count)
        }
        try FileManager.default.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
        let temp = root.appendingPathComponent("tmp").appendingPathComponent("\(key).\(UInt64.random(in: 0...UInt64.max)).part")
        try data.write(to: temp)
        if rename(temp.path, target.path) != 0 {
            let code = errno
            try? FileManager.default.removeItem(at: temp)
            throw CocoaError(.fileWriteUnknown, userInfo: [NSLocalizedDescriptionKey: "rename failed: \(String(cString: strerror(code)))"])
        }
        return BlobRef(key: key, sha256: hash, bytes: data.count)
    }

    public func get(key: String) async throws -> Data? {
        guard BlobKey.isValid(key) else { return nil }
        let target = url(for: key)
        guard FileManager.default.fileExists(atPath: target.path) else { return nil }
        return try Data(contentsOf: target)
    }

    public func exists(key: String) async throws -> Bool {
        BlobKey.isValid(key) && FileManager.default.fileExists(atPath: url(for: key).path)
    }

    public func localPath(key: String) -> String? {
        BlobKey.isValid(key) ? url(for: key).path : nil
    }
}
