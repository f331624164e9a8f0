import Crypto
import EaselCore
import Foundation

/// Standard Webhooks signing: a `whsec_` secret (base64 of 24 random bytes), and `v1,<base64 HMAC-SHA256>`
/// over `id.timestamp.body`. Secrets are kept sealed (AES-GCM under a key derived from the deployment's
/// secret): a copy of the database alone signs nothing.
struct WebhookSigning: Sendable {
    /// The 32 bytes of the AES key (SymmetricKey itself is not Sendable).
    let sealKey: Data

    static func newSecret() -> String {
        var random = SystemRandomNumberGenerator()
        return "whsec_" + Data((0..<24).map { _ in UInt8.random(in: 0...255, using: &random) }).base64EncodedString()
    }

    func seal(_ secret: String) throws -> String {
        guard let combined = try AES.GCM.seal(Data(secret.utf8), using: SymmetricKey(data: sealKey)).combined else {
            throw EaselError.server("sealing failed")
        }
        return combined.base64EncodedString()
    }

    func open(_ sealed: String) throws -> String {
        guard let data = Data(base64Encoded: sealed) else { throw EaselError.server("a webhook secret is not sealed") }
        return String(decoding: try AES.GCM.open(AES.GCM.SealedBox(combined: data), using: SymmetricKey(data: sealKey)), as: UTF8.self)
    }

    /// The `webhook-signature` header's value.
    static func signature(id: String, timestamp: Int64, body: [UInt8], secret: String) -> String {
        let key = Data(base64Encoded: String(secret.dropFirst(secret.hasPrefix("whsec_") ? 6 : 0))) ?? Data(secret.utf8)
        var message = Array("\(id).\(timestamp).".utf8)
        message += body
        let mac = HMAC<SHA256>.authenticationCode(for: message, using: SymmetricKey(data: key))
        return "v1," + Data(mac).base64EncodedString()
    }
}
