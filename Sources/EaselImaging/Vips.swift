import CVips
import EaselCore
import Foundation

/// libvips start-up and error reporting.
public enum Vips {
    private static let started: Bool = {
        guard cvips_init("easel") == 0 else { return false }
        // Easel decodes each image once and holds what it needs; libvips' operation cache would only
        // pin decoded pixels in memory.
        cvips_cache_limits(0, 0)
        return true
    }()

    /// Starts libvips once per process. Safe to call from anywhere.
    public static func start() throws(ImagingError) {
        guard started else { throw ImagingError.library("libvips failed to start") }
    }

    /// The pending libvips error message, cleared.
    static func takeError() -> String {
        guard let raw = cvips_error() else { return "unknown libvips error" }
        defer { cvips_free(raw) }
        let text = String(cString: raw).trimmingCharacters(in: .whitespacesAndNewlines)
        return text.isEmpty ? "unknown libvips error" : text
    }
}

public enum ImagingError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The bytes are not an image libvips can read.
    case undecodable(String)
    case library(String)
    case tooLarge(width: Int, height: Int, limit: Int)

    public var description: String {
        switch self {
        case .undecodable(let message): "cannot decode image: \(message)"
        case .library(let message): "libvips: \(message)"
        case .tooLarge(let width, let height, let limit): "image of \(width)x\(height) exceeds the \(limit)-pixel limit"
        }
    }
}

extension Vips {
    /// Worker threads libvips may use for one pipeline (benchmarks pin it to 1 to compare like with like).
    public static func setThreads(_ threads: Int) throws(ImagingError) {
        try start()
        cvips_concurrency(Int32(threads))
    }
}
