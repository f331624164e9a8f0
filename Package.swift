// swift-tools-version:6.1
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny")
]

/// The studio's files (served by StudioController, which lists the same names).
let studioFiles = [
    "index.html", "studio.css", "app.js", "api.js", "ui.js", "brief-form.js", "job-progress.js", "mask-painter.js",
    "lineage-tree.js", "page-signin.js", "page-create.js", "page-image.js", "page-compare.js", "page-gallery.js",
    "page-batches.js", "page-review.js", "page-templates.js", "page-account.js", "page-admin.js", "collection-list.js",
    "image-actions.js", "secret-once.js", "tpl-brand-kits.js", "tpl-fields.js", "usage-chart.js", "conversation-panel.js",
    "webhooks-card.js",
]

let package = Package(
    name: "easel",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "easel", targets: ["easel"])
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.0"),
        .package(url: "https://github.com/vapor/sql-kit.git", from: "3.36.0"),
        .package(url: "https://github.com/vapor/sqlite-kit.git", from: "4.5.0"),
        .package(url: "https://github.com/vapor/postgres-kit.git", from: "2.17.0"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.0"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/vapor/multipart-kit.git", from: "4.7.0"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.0"),
    ],
    targets: [
        // Value types and rules. No I/O: the draft's word lists in other languages are data compiled in.
        .target(
            name: "EaselCore",
            // Crypto for the HMAC of signed file links: pure computation, no I/O.
            dependencies: [.product(name: "Crypto", package: "swift-crypto")],
            resources: ["zh", "ja", "ko", "es", "fr", "de", "pt", "it"].map { .embedInCode("Lexicon/\($0).txt") },
            swiftSettings: swiftSettings
        ),

        // libvips through pkg-config, plus a C shim with fixed-argument wrappers for its variadic API.
        .systemLibrary(
            name: "CVipsSys",
            pkgConfig: "vips",
            providers: [.apt(["libvips-dev"])]
        ),
        // Pango (through pkg-config, as libvips itself uses it) to ask whether a font has a glyph for a text.
        .systemLibrary(
            name: "CPangoSys",
            pkgConfig: "pangocairo",
            providers: [.apt(["libpango1.0-dev"])]
        ),
        // The thumbnail decoders call libdeflate and libjpeg directly (libvips itself links both).
        .target(
            name: "CVips",
            dependencies: ["CVipsSys", "CPangoSys"],
            linkerSettings: [.linkedLibrary("deflate"), .linkedLibrary("jpeg")]
        ),
        .target(name: "CEaselSystem", linkerSettings: [.linkedLibrary("crypt")]),

        .target(
            name: "EaselImaging",
            dependencies: ["EaselCore", "CVips"],
            swiftSettings: swiftSettings
        ),
        // multipart/form-data: a streaming reader with limits (the edits door, the fake OpenAI server) and a
        // writer (the OpenAI provider).
        .target(
            name: "EaselMultipart",
            dependencies: [
                .product(name: "MultipartKit", package: "multipart-kit"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "EaselProviders",
            dependencies: [
                "EaselCore", "EaselImaging", "EaselMultipart",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "EaselStore",
            dependencies: [
                "EaselCore",
                .product(name: "SQLKit", package: "sql-kit"),
                .product(name: "SQLiteKit", package: "sqlite-kit"),
                .product(name: "PostgresKit", package: "postgres-kit"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "EaselServer",
            dependencies: [
                "EaselCore", "EaselImaging", "EaselProviders", "EaselStore", "EaselMultipart", "CEaselSystem",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ],
            // The studio's files and the API's OpenAPI document, compiled into the binary so `easel` stays one
            // file that works offline.
            resources: studioFiles.map { .embedInCode("Studio/Resources/\($0)") } + [.embedInCode("OpenAPI/openapi.json")],
            swiftSettings: swiftSettings
        ),
        // A stand-in for api.openai.com that follows openai-images-api.md, with faults on demand: used by the
        // tests, by `easel bench`, and by `easel fake-openai` to try the whole system without a key.
        .target(
            name: "EaselFakeOpenAI",
            dependencies: [
                "EaselCore", "EaselImaging", "EaselMultipart",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "easel",
            dependencies: [
                "EaselServer", "EaselFakeOpenAI", "EaselCore", "EaselImaging", "EaselProviders", "EaselStore", "CEaselSystem",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "EaselTesting",
            dependencies: [
                "EaselServer", "EaselStore", "EaselProviders", "EaselImaging", "EaselCore", "EaselFakeOpenAI", "EaselMultipart",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            path: "Tests/EaselTesting",
            swiftSettings: swiftSettings
        ),
        // One function per fuzz target: a parser of hostile input run on any bytes, its properties checked by
        // `precondition`. Built normally (the corpus replays as tests) and by easel-fuzz under libFuzzer.
        .target(
            name: "EaselFuzzTargets",
            dependencies: [
                "EaselCore", "EaselMultipart", "CVips",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "EaselFuzzTargetsTests",
            dependencies: ["EaselFuzzTargets", "EaselCore", "EaselMultipart"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "EaselCoreTests",
            dependencies: ["EaselCore"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "EaselImagingTests",
            // CVips: the thumbnail decoders are checked directly, to know which path a file took.
            dependencies: ["EaselImaging", "EaselCore", "CVips"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "EaselStoreTests",
            dependencies: [
                "EaselStore", "EaselTesting", "EaselCore", .product(name: "SQLKit", package: "sql-kit"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "EaselProvidersTests",
            dependencies: [
                "EaselProviders", "EaselTesting", "EaselFakeOpenAI", "EaselCore", "EaselImaging",
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "EaselServerTests",
            dependencies: [
                "EaselServer", "EaselTesting", "EaselStore", "EaselProviders", "EaselImaging", "EaselCore", "EaselFakeOpenAI",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "SQLKit", package: "sql-kit"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
    ]
)

// libFuzzer's driver (scripts/fuzz): only with EASEL_FUZZ=1, because under `--sanitize=fuzzer` libFuzzer supplies
// `main`, so this executable has none and would not link in a normal build.
if Context.environment["EASEL_FUZZ"] == "1" {
    package.products.append(.executable(name: "easel-fuzz", targets: ["easel-fuzz"]))
    package.targets.append(
        .executableTarget(
            name: "easel-fuzz",
            dependencies: ["EaselFuzzTargets"],
            swiftSettings: swiftSettings + [.unsafeFlags(["-parse-as-library"])]
        )
    )
}
