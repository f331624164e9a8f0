import Crypto
import EaselCore
import Foundation
import NIOCore

#if canImport(Glibc)
import Glibc
#endif

/// Where image bytes live, by content address.
public protocol BlobStore: Sendable {
    /// Stores `data` and returns its key (`<sha256>.<ext>`). Storing the same bytes twice is a no-op.
    func put(_ data: Data, fileExtension: String) async throws -> BlobRef
    func get(key: String) async throws -> Data?
    func exists(key: String) async throws -> Bool
    /// Removes a file (a no-op when it is absent).
    func delete(key: String) async throws
    /// A local path for zero-copy serving, when the store has one.
    func localPath(key: String) -> String?
    /// A URL anyone can GET the blob from for `seconds`, when the store can make one (S3's presigned GET).
    func presignedGetURL(key: String, seconds: Int) -> String?
    /// The blob piece by piece (nil when absent), for passing on without holding it whole.
    func read(key: String) async throws -> BlobStream?
}

extension BlobStore {
    public func presignedGetURL(key: String, seconds: Int) -> String? { nil }

    /// Stores whose blobs are local read them whole (they are read from disk at memory speed).
    public func read(key: String) async throws -> BlobStream? {
        guard let data = try await get(key: key) else { return nil }
        return BlobStream(length: data.count) { write in try await write(ByteBuffer(bytes: data)) }
    }
}

/// A blob as it arrives: its length when known, and a pump that hands each piece to `write` in order
/// (once: the pieces are read as they are written on).
public struct BlobStream: Sendable {
    public let length: Int?
    public let pump: @Sendable (_ write: (ByteBuffer) async throws -> Void) async throws -> Void

    public init(length: Int?, pump: @escaping @Sendable (_ write: (ByteBuffer) async throws -> Void) async throws -> Void) {
        self.length = length
        self.pump = pump
    }
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
        hexString(SHA256.hash(data: data))
    }
}

/// Files under a directory, fanned out by the first two hex digits (`ab/abcd….png`, 256 folders), written
/// atomically: a temp file, then rename, so a crash never leaves a half-written blob under its key.
/// Plain POSIX calls: this is on the path of every generated image.
public final class FileBlobStore: BlobStore {
    public let root: URL
    private let rootPath: String
    private let knownFolders = Locked<Set<String>>([])

    public init(root: URL) throws {
        self.root = root
        self.rootPath = root.path
        try FileManager.default.createDirectory(at: root.appendingPathComponent("tmp"), withIntermediateDirectories: true)
    }

    func folder(for key: String) -> String { rootPath + "/" + key.prefix(2) }
    func path(for key: String) -> String { folder(for: key) + "/" + key }

    public func put(_ data: Data, fileExtension: String) async throws -> BlobRef {
        let hash = BlobKey.sha256Hex(data)
        let key = "\(hash).\(fileExtension)"
        let target = path(for: key)
        let ref = BlobRef(key: key, sha256: hash, bytes: data.count)
        if access(target, F_OK) == 0 { return ref }
        let folder = folder(for: key)
        if !knownFolders.withLock({ $0.contains(folder) }) {
            if mkdir(folder, 0o755) != 0 && errno != EEXIST { throw BlobError.io("mkdir", errno) }
            knownFolders.withLock { _ = $0.insert(folder) }
        }
        let temp = "\(rootPath)/tmp/\(key).\(UInt64.random(in: 0...UInt64.max)).part"
        let fd = open(temp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw BlobError.io("open", errno) }
        var written = 0
        let ok = data.withUnsafeBytes { raw -> Bool in
            while written < raw.count {
                let n = write(fd, raw.baseAddress! + written, raw.count - written)
                if n < 0 {
                    if errno == EINTR { continue }
                    return false
                }
                written += n
            }
            return true
        }
        let writeErrno = errno
        close(fd)
        guard ok else {
            unlink(temp)
            throw BlobError.io("write", writeErrno)
        }
        if rename(temp, target) != 0 {
            let code = errno
            unlink(temp)
            throw BlobError.io("rename", code)
        }
        return ref
    }

    public func get(key: String) async throws -> Data? {
        guard BlobKey.isValid(key) else { return nil }
        let target = path(for: key)
        guard access(target, F_OK) == 0 else { return nil }
        return try Data(contentsOf: URL(fileURLWithPath: target))
    }

    public func exists(key: String) async throws -> Bool {
        BlobKey.isValid(key) && access(path(for: key), F_OK) == 0
    }

    public func localPath(key: String) -> String? {
        BlobKey.isValid(key) ? path(for: key) : nil
    }

    public func delete(key: String) async throws {
        guard BlobKey.isValid(key) else { return }
        if unlink(path(for: key)) != 0 && errno != ENOENT { throw BlobError.io("unlink", errno) }
    }
}

public enum BlobError: Error, CustomStringConvertible {
    case io(String, Int32)

    public var description: String {
        switch self {
        case .io(let call, let code): "blob store \(call) failed: \(String(cString: strerror(code)))"
        }
    }
}
