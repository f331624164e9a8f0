import AsyncHTTPClient
import EaselCore
import EaselStore
import EaselTesting
import Foundation
import Testing

/// The S3 blob store against a real S3 API (moto) on loopback, and the EASEL_BLOB_URL it is configured by.
@Suite("S3 blob store")
struct S3BlobStoreTests {
    @Test func putGetHeadDeleteAgainstAnS3API() async throws {
        let moto = try await MotoServer.start()
        defer { moto.stop() }
        let location = try S3Location.parse("s3://easel-test/tenant/blobs?endpoint=\(moto.endpoint)&region=us-east-1&path_style=true")
        let store = S3BlobStore(
            location: location,
            credentials: AWSCredentials(accessKeyID: "AKIDTEST", secretAccessKey: "test-secret"),
            client: HTTPClient.shared
        )
        try await store.ensureBucket()
        try await store.ensureBucket()  // a second time finds it

        let bytes = Data((0..<300_000).map { UInt8(truncatingIfNeeded: $0 &* 31) })
        let ref = try await store.put(bytes, fileExtension: "png")
        #expect(ref.key == BlobKey.sha256Hex(bytes) + ".png")
        #expect(ref.bytes == 300_000)
        #expect(try await store.put(bytes, fileExtension: "png") == ref, "the same bytes are the same key")
        #expect(try await store.exists(key: ref.key))
        #expect(try await store.get(key: ref.key) == bytes)
        #expect(store.localPath(key: ref.key) == nil)

        // Read as it arrives: the length up front, then the bytes in more than one piece, never whole.
        let stream = try #require(try await store.read(key: ref.key))
        #expect(stream.length == 300_000)
        let pieces = Locked<[Int]>([])
        let streamed = Locked(Data())
        try await stream.pump { piece in
            pieces.withLock { $0.append(piece.readableBytes) }
            streamed.withLock { $0.append(contentsOf: piece.readableBytesView) }
        }
        #expect(streamed.current == bytes)
        #expect(pieces.current.count > 1 && pieces.current.allSatisfy { $0 < 300_000 }, "\(pieces.current)")

        let missing = String(repeating: "0", count: 64) + ".png"
        #expect(try await store.read(key: missing) == nil)
        #expect(try await store.get(key: missing) == nil)
        #expect(try await store.exists(key: missing) == false)
        #expect(try await store.get(key: "../etc/passwd") == nil, "a key that is not a content address never reaches the store")

        // The object sits under the prefix, as path-style addressing puts it.
        var listing = HTTPClientRequest(url: moto.endpoint + "/easel-test?prefix=tenant/blobs/")
        listing.method = .GET
        let listed = String(buffer: try await HTTPClient.shared.execute(listing, timeout: .seconds(5)).body.collect(upTo: 1 << 20))
        #expect(listed.contains("<Key>tenant/blobs/\(ref.key)</Key>"))

        // Larger than a part: sent in three parts of 5 MiB, read back whole.
        let parted = S3BlobStore(
            location: location,
            credentials: AWSCredentials(accessKeyID: "AKIDTEST", secretAccessKey: "test-secret"),
            client: HTTPClient.shared,
            partBytes: 5 * 1024 * 1024
        )
        let large = Data((0..<(11 * 1024 * 1024)).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ $0 >> 13) })
        let largeRef = try await parted.put(large, fileExtension: "zip")
        #expect(try await parted.get(key: largeRef.key) == large)
        var uploads = HTTPClientRequest(url: moto.endpoint + "/easel-test?uploads")
        uploads.method = .GET
        let open = String(buffer: try await HTTPClient.shared.execute(uploads, timeout: .seconds(5)).body.collect(upTo: 1 << 20))
        #expect(!open.contains("<UploadId>"), "no upload left unfinished")

        try await store.delete(key: ref.key)
        #expect(try await store.exists(key: ref.key) == false)
        try await store.delete(key: ref.key)  // deleting what is gone is fine
    }

    @Test func aStoreThatFailsSaysWhatWithoutTheSecret() async throws {
        let moto = try await MotoServer.start()
        defer { moto.stop() }
        let store = S3BlobStore(
            location: try S3Location.parse("s3://no-such-bucket?endpoint=\(moto.endpoint)"),
            credentials: AWSCredentials(accessKeyID: "AKIDTEST", secretAccessKey: "super-secret-value"),
            client: HTTPClient.shared
        )
        let error = await #expect(throws: S3Error.self) { _ = try await store.put(Data("x".utf8), fileExtension: "png") }
        #expect(error?.status == 404)
        #expect(error?.description.contains("NoSuchBucket") == true)
        #expect(error?.description.contains("super-secret-value") == false)

        let closed = S3BlobStore(
            location: try S3Location.parse("s3://bucket?endpoint=http://127.0.0.1:9"),
            credentials: AWSCredentials(accessKeyID: "AKIDTEST", secretAccessKey: "super-secret-value"),
            client: HTTPClient.shared,
            timeout: .seconds(2)
        )
        let refused = await #expect(throws: S3Error.self) { _ = try await closed.exists(key: String(repeating: "a", count: 64) + ".png") }
        #expect(refused?.description.contains("http://127.0.0.1:9") == true)
        #expect(refused?.description.contains("super-secret-value") == false)
    }

    @Test func blobURLs() throws {
        let aws = try S3Location.parse("s3://my-images?region=eu-west-1&path_style=false")
        #expect(aws.endpoint == "https://s3.eu-west-1.amazonaws.com")
        #expect(aws.address(of: "ab.png") == ("https://my-images.s3.eu-west-1.amazonaws.com", "my-images.s3.eu-west-1.amazonaws.com", "/ab.png"))
        let minio = try S3Location.parse("s3://bucket/a/b/?endpoint=http://minio:9000/&path_style=true")
        #expect(minio.prefix == "a/b/" && minio.region == "us-east-1")
        #expect(minio.address(of: "k.png") == ("http://minio:9000", "minio:9000", "/bucket/a/b/k.png"))
        #expect(minio.address(of: nil).path == "/bucket")
        // A presigned GET for the redirect mode: signed for the host, the object's path and the lifetime asked.
        let key = String(repeating: "ab", count: 32) + ".png"
        let store = S3BlobStore(location: minio, credentials: AWSCredentials(accessKeyID: "AKID", secretAccessKey: "shh"), client: HTTPClient.shared)
        let url = try #require(store.presignedGetURL(key: key, seconds: 300))
        #expect(url.hasPrefix("http://minio:9000/bucket/a/b/\(key)?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKID%2F"))
        #expect(url.contains("&X-Amz-Expires=300&X-Amz-SignedHeaders=host&X-Amz-Signature=") && !url.contains("shh"))
        #expect(store.presignedGetURL(key: "../etc/passwd", seconds: 300) == nil)
        let files = try FileBlobStore(root: URL(fileURLWithPath: try TemporaryDirectory().path))
        #expect(files.presignedGetURL(key: key, seconds: 300) == nil, "files pass through Easel")
        for bad in [
            "http://bucket", "s3://", "s3://Bucket_Name", "s3://bucket?endpoint=ftp://x", "s3://bucket?endpoint=http://x/path",
            "s3://bucket?path_style=maybe", "s3://bucket?secret=x", "s3://bucket/a+b",
        ] {
            #expect(throws: S3Error.self, "\(bad)") { _ = try S3Location.parse(bad) }
        }
    }
}
