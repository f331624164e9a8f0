import EaselFuzzTargets
import Foundation
import Testing

/// Every file of `Tests/FuzzCorpus/<target>/` (the seeds, and each input a fuzzer crashed on, named
/// `crash-…`) through its target, so the properties the fuzzers check hold in every normal test run.
@Suite("Fuzz corpus")
struct FuzzCorpusTests {
    static let corpus = URL(filePath: #filePath).deletingLastPathComponent().deletingLastPathComponent().appending(path: "FuzzCorpus")

    static func inputs(of target: String) throws -> [(name: String, bytes: [UInt8])] {
        let folder = corpus.appending(path: target)
        return try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted().map {
            ($0, Array(try Data(contentsOf: folder.appending(path: $0))))
        }
    }

    @Test(arguments: FuzzTargets.all.map(\.name))
    func replaysTheCorpus(target: String) async throws {
        let run = try #require(FuzzTargets.named(target))
        let inputs = try Self.inputs(of: target)
        #expect(inputs.count >= 5, "a seed corpus of \(inputs.count) files")
        // A thread of its own: the multipart target blocks its thread while its reads run as tasks.
        await withCheckedContinuation { continuation in
            Thread {
                for input in inputs { run(input.bytes) }
                continuation.resume()
            }
            .start()
        }
    }

    @Test func everyCorpusFolderIsATarget() throws {
        let folders = try FileManager.default.contentsOfDirectory(atPath: Self.corpus.path).filter { !$0.hasSuffix(".dict") }
        #expect(Set(folders) == Set(FuzzTargets.all.map(\.name)))
    }
}
