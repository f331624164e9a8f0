import EaselStore
import EaselTesting
import Foundation
import Testing

@Suite("File blob store")
struct BlobStoreTests {
    @Test func storesByContentAndReadsBack() async throws {
        let directory = try TemporaryDirectory()
        let blobs = try FileBlobStore(root: directory.url)
        let data = Data("hello image".utf8)
        let ref = try await blobs.put(data, fileExtension: "png")
        #expect(ref.key == BlobKey.sha256Hex(data) + ".png")
        #expect(try await blobs.get(key: ref.key) == data)
        let again = try await blobs.put(data, fileExtension: "png")
        #expect(again == ref)
        // No temp files are left behind.
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: directory.url.appendingPathComponent("tmp").path)
        #expect(leftovers.isEmpty)
    }

    @Test(arguments: ["../etc/passwd", "abc.png", String(repeating: "a", count: 64) + ".PNG", String(repeating: "g", count: 64) + ".png", ""])
    func refusesKeysThatAreNotContentAddresses(key: String) async throws {
        let directory = try TemporaryDirectory()
        let blobs = try FileBlobStore(root: directory.url)
        #expect(!BlobKey.isValid(key))
        #expect(try await blobs.get(key: key) == nil)
        #expect(blobs.localPath(key: key) == nil)
    }
}
