import EaselServer
import EaselStore
import EaselTesting
import Testing

/// Where image files go: the data directory by default, an S3-compatible store when EASEL_BLOB_URL says so,
/// with credentials from the AWS_* variables only.
@Suite("Blob store configuration")
struct BlobConfigTests {
    @Test func theBlobURLAndCredentialsComeFromTheEnvironment() throws {
        let plain = try EaselConfig.fromEnvironment([:])
        #expect(plain.blobLocation == nil && plain.blobCredentials == nil)

        let config = try EaselConfig.fromEnvironment([
            "EASEL_BLOB_URL": "s3://images/prod?endpoint=http://minio:9000&region=eu-west-1",
            "AWS_ACCESS_KEY_ID": "AKID", "AWS_SECRET_ACCESS_KEY": "shh", "AWS_SESSION_TOKEN": "tok",
        ])
        #expect(config.blobLocation == S3Location(endpoint: "http://minio:9000", bucket: "images", prefix: "prod/", region: "eu-west-1"))
        #expect(config.blobCredentials?.sessionToken == "tok")
        #expect(!"\(config.blobCredentials!)".contains("shh"))

        #expect(throws: S3Error.self) { _ = try EaselConfig.fromEnvironment(["EASEL_BLOB_URL": "s3://Bad_Bucket"]) }
    }

    @Test func aBlobURLWithoutCredentialsStopsTheServerWithAReason() async throws {
        let data = try TemporaryDirectory()
        var config = TestSupport.config(data: data, workers: 0)
        try config.useBlobURL("s3://images?endpoint=http://127.0.0.1:9")
        try await TestSupport.prepareDatabase(&config)
        let error = await #expect(throws: ConfigError.self) { _ = try await EaselRuntime.open(config: config, logger: TestSupport.logger) }
        #expect(error?.description.contains("AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY") == true)
    }
}
