import EaselStore
import Foundation
import Testing

/// The S3 request signer against AWS's published examples (the S3 documentation's and the SigV4 test
/// suite's), offline.
@Suite("SigV4 signer")
struct SigV4SignerTests {
    static let s3 = SigV4Signer(
        credentials: AWSCredentials(accessKeyID: "AKIAIOSFODNN7EXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
        region: "us-east-1"
    )
    static let may2013 = Date(timeIntervalSince1970: 1_369_353_600)  // 2013-05-24T00:00:00Z
    static let host = ("host", "examplebucket.s3.amazonaws.com")

    static func signature(_ headers: [(String, String)]) -> String? {
        headers.first { $0.0 == "Authorization" }?.1.components(separatedBy: "Signature=").last
    }

    @Test func s3DocumentationExamples() {
        let get = SigV4Signer.Request(
            method: "GET",
            path: "/test.txt",
            headers: [Self.host, ("Range", "bytes=0-9")],
            payloadHash: SigV4Signer.emptyPayloadHash
        )
        let getHeaders = Self.s3.signedHeaders(for: get, at: Self.may2013)
        #expect(Self.signature(getHeaders) == "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41")
        #expect(
            getHeaders.last?.1
                == "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
                + "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
                + "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"
        )
        #expect(getHeaders.contains { $0 == ("x-amz-date", "20130524T000000Z") })

        let body = Data("Welcome to Amazon S3.".utf8)
        let put = SigV4Signer.Request(
            method: "PUT",
            path: "/test$file.text",
            headers: [Self.host, ("Date", "Fri, 24 May 2013 00:00:00 GMT"), ("x-amz-storage-class", "REDUCED_REDUNDANCY")],
            payloadHash: SigV4Signer.payloadHash(body)
        )
        #expect(SigV4Signer.payloadHash(body) == "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072")
        #expect(
            Self.signature(Self.s3.signedHeaders(for: put, at: Self.may2013)) == "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd"
        )

        let lifecycle = SigV4Signer.Request(
            method: "GET",
            path: "/",
            query: [("lifecycle", "")],
            headers: [Self.host],
            payloadHash: SigV4Signer.emptyPayloadHash
        )
        #expect(
            Self.signature(Self.s3.signedHeaders(for: lifecycle, at: Self.may2013))
                == "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543"
        )

        let list = SigV4Signer.Request(
            method: "GET",
            path: "/",
            query: [("prefix", "J"), ("max-keys", "2")],
            headers: [Self.host],
            payloadHash: SigV4Signer.emptyPayloadHash
        )
        #expect(
            Self.signature(Self.s3.signedHeaders(for: list, at: Self.may2013)) == "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7"
        )
    }

    @Test func presignedGet() {
        let query = Self.s3.presignedQuery(method: "GET", host: Self.host.1, path: "/test.txt", expires: 86400, at: Self.may2013)
        #expect(
            query
                == "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request"
                + "&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host"
                + "&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404"
        )
    }

    @Test func signatureTestSuite() {
        let signer = SigV4Signer(
            credentials: AWSCredentials(accessKeyID: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"),
            region: "us-east-1",
            service: "service"
        )
        let date = Date(timeIntervalSince1970: 1_440_938_160)  // 2015-08-30T12:36:00Z
        let host = ("host", "example.amazonaws.com")
        let vanilla = SigV4Signer.Request(method: "GET", path: "/", headers: [host], payloadHash: SigV4Signer.emptyPayloadHash)
        var signing = vanilla
        signing.headers.append(("x-amz-date", "20150830T123600Z"))
        #expect(
            SigV4Signer.payloadHash(Data(signer.canonicalRequest(signing).canonical.utf8))
                == "bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63"
        )
        #expect(
            Self.signature(signer.signedHeaders(for: vanilla, at: date, sendPayloadHash: false))
                == "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"
        )

        let ordered = SigV4Signer.Request(
            method: "GET",
            path: "/",
            query: [("Param2", "value2"), ("Param1", "value1")],
            headers: [host],
            payloadHash: SigV4Signer.emptyPayloadHash
        )
        #expect(
            Self.signature(signer.signedHeaders(for: ordered, at: date, sendPayloadHash: false))
                == "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"
        )
    }

    @Test func encodingAndSecrets() {
        #expect(SigV4Signer.encode("a b+c/d~é", keepSlash: true) == "a%20b%2Bc/d~%C3%A9")
        #expect(SigV4Signer.encode("a/b", keepSlash: false) == "a%2Fb")
        let credentials = AWSCredentials(accessKeyID: "AKID", secretAccessKey: "very-secret", sessionToken: "token")
        #expect(!"\(credentials)".contains("very-secret") && !"\(credentials)".contains("AKID"))
        let signer = SigV4Signer(credentials: credentials, region: "eu-west-1")
        let request = SigV4Signer.Request(
            method: "GET",
            path: "/b/k",
            headers: [("host", "127.0.0.1:5055")],
            payloadHash: SigV4Signer.emptyPayloadHash
        )
        let headers = signer.signedHeaders(for: request, at: Self.may2013)
        #expect(headers.contains { $0 == ("x-amz-security-token", "token") })
        #expect(headers.last?.1.contains("SignedHeaders=host;x-amz-content-sha256;x-amz-date;x-amz-security-token") == true)
    }
}
