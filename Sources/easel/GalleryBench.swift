import EaselCore
import EaselImaging
import EaselServer
import EaselStore
import Foundation
import Logging
import NIOCore

/// `easel bench --only gallery`: one user's gallery of 100,000 images on the embedded SQLite store, then
/// the gallery's searches and filters timed (p50 and p99 over many runs each), and an export of 1,000
/// images (real 1024² PNGs) streamed as a zip to nowhere.
struct GalleryBench {
    let count: Int

    static let subjects = [
        "ceramic mug", "running shoe", "lighthouse", "coffee bag", "desk lamp", "city skyline", "mountain lake", "bicycle", "wristwatch",
        "sofa", "pizza", "espresso machine", "sunflower field", "harbour", "fox", "robot", "book cover", "perfume bottle",
    ]
    static let scenes = ["on an oak desk", "at golden hour", "in a bright studio", "on a marble counter", "in the rain", "by the sea"]
    static let styles = ["photorealistic", "flat illustration", "minimalist", "3D render", "watercolour", "futuristic tech"]
    static let extras = ["春季营销活动海报", "café crème", "azul marino", "rouge vif", "夏のセール", "봄 세일"]
    static let sizes = [(1024, 1024), (1536, 1024), (1024, 1536), (1536, 864)]

    func run() async throws {
        try await BenchRuntime.with {
            $0.exportMaxAssets = 5000
        } _: { runtime, config in
            try await measure(runtime, config: config)
        }
    }

    func measure(_ runtime: EaselRuntime, config: EaselConfig) async throws {
        let blobs = try FileBlobStore(root: config.blobDirectory)
        let store = SQLAssetStore(database: runtime.database)
        let curation = SQLCurationStore(database: runtime.database)
        let userID = "usr_bench"

        // Eight real images; the 100,000 rows share them (content addressing), as they would share nothing else.
        var refs: [BlobRef] = []
        for seed in 0..<8 {
            let png = try DraftRenderer().render(
                prompt: Self.subjects[seed],
                seed: UInt64(seed),
                options: .init(size: PixelSize(width: 1024, height: 1024))
            ).data
            refs.append(try await blobs.put(png, fileExtension: "png"))
        }

        var random = SeededRandom(seed: 42)
        let start = Int64(1_760_000_000_000)
        let insertStart = ContinuousClock.now
        var ids: [String] = []
        ids.reserveCapacity(count)
        var chunk: [AssetRecord] = []
        for index in 0..<count {
            let created = start + Int64(index) * 170_000  // about 200 days over 100,000 images
            let subject = Self.subjects[Int(random.next() % UInt64(Self.subjects.count))]
            let scene = Self.scenes[Int(random.next() % UInt64(Self.scenes.count))]
            let style = Self.styles[Int(random.next() % UInt64(Self.styles.count))]
            var prompt = "\(style) \(subject) \(scene), number \(index)"
            if index % 50 == 0 { prompt += " " + Self.extras[(index / 50) % Self.extras.count] }
            let (width, height) = Self.sizes[index % Self.sizes.count]
            let roll = index % 100
            let ref = refs[index % refs.count]
            var asset = AssetRecord(
                id: runtime.ids.make(prefix: "img", millis: created),
                jobID: nil,
                userID: userID,
                parentAssetID: nil,
                index: 0,
                blobKey: ref.key,
                thumbKey: nil,
                format: roll < 80 ? .png : roll < 95 ? .webp : .jpeg,
                width: width,
                height: height,
                bytes: ref.bytes,
                sha256: ref.sha256,
                model: roll < 90 ? "gpt-image-2" : roll < 99 ? "gpt-image-1.5" : "easel-draft",
                provider: "openai",
                isDraft: roll == 99,
                role: .generated,
                prompt: prompt,
                createdAt: created
            )
            if index % 10 == 0 {
                var origin = CreativeOrigin(template: "tpl_01JBENCH000000000000000000@\(1 + index % 3)", variables: ["subject": subject])
                origin.brief = Brief(subject: subject)
                asset.origin = origin
            }
            chunk.append(asset)
            ids.append(asset.id)
            if chunk.count == 500 {
                try await store.insert(chunk)
                chunk.removeAll(keepingCapacity: true)
            }
        }
        if !chunk.isEmpty { try await store.insert(chunk) }
        let insertSeconds = (ContinuousClock.now - insertStart).seconds
        // 1 % starred, 1 % tagged, 2 % approved, a collection of 1,000.
        let starred = stride(from: 7, to: count, by: 100).map { ids[$0] }
        _ = try await curation.setFavorite(assetIDs: starred, userID: userID, favorite: true)
        try await curation.changeTags(assetIDs: stride(from: 3, to: count, by: 100).map { ids[$0] }, userID: userID, add: ["hero"], remove: [])
        for (offset, index) in stride(from: 11, to: count, by: 50).enumerated() {
            let event = ReviewEvent(
                id: runtime.ids.make(prefix: "rev", millis: start + Int64(offset)),
                assetID: ids[index],
                actorID: userID,
                status: .approved,
                checklist: [],
                altText: nil,
                note: nil,
                createdAt: start
            )
            try await curation.recordReview(event, ownerID: userID, altText: "An image.", altSource: .human)
        }
        var board = AssetCollection(id: runtime.ids.make(prefix: "col", millis: start), userID: userID, name: "Board", createdAt: start)
        board.approvalRequired = false
        try await curation.createCollection(board)
        _ = try await curation.addToCollection(id: board.id, assetIDs: stride(from: 5, to: count, by: count / 1000).map { ids[$0] }, now: start)
        print(String(format: "gallery: %d assets stored and indexed in %.1f s (%.0f/s)", count, insertSeconds, Double(count) / insertSeconds))

        let middle = UTCDay.string(millis: start + Int64(count / 2) * 170_000)
        let weekLater = UTCDay.string(millis: start + Int64(count / 2) * 170_000 + 7 * 86_400_000)
        let queries: [(String, [String: String])] = [
            ("newest page", [:]),
            ("oldest page", ["sort": "oldest"]),
            ("q: a word in 1/18 (lighthouse)", ["q": "lighthouse"]),
            ("q: two words (lighthouse rain)", ["q": "lighthouse rain"]),
            ("q: a prefix (light)", ["q": "light"]),
            ("q: rare (number 4242)", ["q": "number 4242"]),
            ("q: Chinese (海报)", ["q": "海报"]),
            ("q: accent folded (cafe)", ["q": "cafe"]),
            ("model (1 %)", ["model": "easel-draft"]),
            ("favorite (1 %)", ["favorite": "true"]),
            ("tag (1 %)", ["tag": "hero"]),
            ("review approved (2 %)", ["review": "approved"]),
            ("collection (1,000)", ["collection": board.id]),
            ("template (10 %)", ["template": "tpl_01JBENCH000000000000000000"]),
            ("format + aspect", ["format": "webp", "aspect": "16:9"]),
            ("a week of dates", ["from": middle, "to": weekLater]),
            ("q + filter (mug, webp)", ["q": "mug", "format": "webp"]),
            ("page 50 by cursor", ["cursor": ids[count - 1 - 50 * 20]]),
        ]
        var all: [Double] = []
        for (name, parameters) in queries {
            var times: [Double] = []
            var found = 0
            for run in 0..<60 {
                let began = ContinuousClock.now
                let page = try await runtime.searchAssets(parameters, userID: userID)
                if run >= 10 { times.append((ContinuousClock.now - began).milliseconds) }
                found = page.items.count
            }
            all += times
            let stats = Stats(times)
            let label = name + String(repeating: " ", count: max(0, 32 - name.count))
            print("gallery: \(label)" + String(format: " p50 %6.2f ms  p99 %6.2f ms  (%d on the page)", stats.median, stats.p99, found))
        }
        let overall = Stats(all)
        print(
            String(
                format: "gallery: every query above: p50 %.2f ms, p99 %.2f ms (target p99 < 50 ms: %@)",
                overall.median,
                overall.p99,
                overall.p99 < 50 ? "met" : "missed"
            )
        )

        // Export: the collection's 1,000 images as a zip, streamed to nowhere.
        var bytes = 0
        var chunks = 0
        let baselineKB = GatewayBench.residentKB(pid: getpid())
        var peakKB = baselineKB
        let exportStart = ContinuousClock.now
        let exported = try await runtime.writeExport(["collection_id": .string(board.id)], userID: userID) { buffer in
            bytes += buffer.readableBytes
            chunks += 1
            if chunks % 25 == 0 { peakKB = max(peakKB, GatewayBench.residentKB(pid: getpid())) }
        }
        let exportSeconds = (ContinuousClock.now - exportStart).seconds
        print(
            String(
                format: "gallery: export of %d images (%.0f MB zip): %.2f s, %.0f images/s, %.0f MB/s",
                exported,
                Double(bytes) / 1_048_576,
                exportSeconds,
                Double(exported) / exportSeconds,
                Double(bytes) / 1_048_576 / exportSeconds
            )
        )
        print(
            String(
                format: "gallery: resident memory while exporting: %+.1f MB over %.1f MB",
                Double(peakKB - baselineKB) / 1024,
                Double(baselineKB) / 1024
            )
        )
    }
}
