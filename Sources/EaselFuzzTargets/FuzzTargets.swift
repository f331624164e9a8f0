/// Easel's parsers of hostile input as fuzz targets: each runs on any bytes, must not trap on its own, and
/// checks its properties with `check` (a precondition), so a broken property crashes and libFuzzer keeps the input.
public enum FuzzTargets {
    public typealias Target = @Sendable ([UInt8]) -> Void

    /// Every target by the name `scripts/fuzz`, `EASEL_FUZZ_TARGET` and `Tests/FuzzCorpus/<name>` use.
    public static let all: [(name: String, run: Target)] = [
        ("json", json),
        ("multipart", multipart),
        ("image-header", imageHeader),
        ("csv", csv),
        ("variants", variants),
        ("signed-link", signedLink),
        ("share-token", shareToken),
        ("thumbnail-decode", thumbnailDecode),
    ]

    public static func named(_ name: String) -> Target? { all.first { $0.name == name }?.run }
}
