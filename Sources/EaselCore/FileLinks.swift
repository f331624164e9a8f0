import Crypto
import Foundation

/// Capability URLs for files: `/files/{id}?exp=…&sig=…` opens without a key until `exp` (Unix seconds), as
/// OpenAI's image URLs do. The signature is HMAC-SHA256 over the path and the expiry with a key only this
/// deployment holds, so changing the id, the path, the expiry or the signature makes the link fail.
public struct FileLinks: Sendable {
    /// The signing key's bytes (`SymmetricKey` is not `Sendable`).
    let secret: Data
    let lifetimeSeconds: Int
    let clock: any EaselClock

    public init(secret: Data, lifetimeSeconds: Int, clock: any EaselClock) {
        self.secret = secret
        self.lifetimeSeconds = lifetimeSeconds
        self.clock = clock
    }

    public static func path(assetID: String, thumbnail: Bool) -> String {
        thumbnail ? "/files/\(assetID)/thumb" : "/files/\(assetID)"
    }

    /// The signed path (with query) of an asset's file or thumbnail, valid for the configured lifetime.
    public func signedPath(assetID: String, thumbnail: Bool = false) -> String {
        let path = Self.path(assetID: assetID, thumbnail: thumbnail)
        // Rounded up to a whole second, so a link lives at least the configured lifetime.
        let expiry = (clock.nowMillis() + Int64(lifetimeSeconds) * 1000 + 999) / 1000
        return "\(path)?exp=\(expiry)&sig=\(signature(path: path, expiry: expiry))"
    }

    /// Seconds the link has left, or nil when it is forged, altered or expired.
    public func remainingSeconds(path: String, expiry: String?, signature given: String?) -> Int64? {
        guard let expiry, let given, let seconds = Int64(expiry), expiry == String(seconds) else { return nil }
        let expected = signature(path: path, expiry: seconds)
        // Compared in constant time: the check must not tell how much of a guess was right.
        guard Array(given.utf8).count == Array(expected.utf8).count,
            zip(given.utf8, expected.utf8).reduce(0, { $0 | ($1.0 ^ $1.1) }) == 0
        else { return nil }
        let leftMillis = seconds * 1000 - clock.nowMillis()
        return leftMillis > 0 ? (leftMillis + 999) / 1000 : nil
    }

    private func signature(path: String, expiry: Int64) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: Data("\(path)\n\(expiry)".utf8), using: SymmetricKey(data: secret))
        return Data(mac).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}
