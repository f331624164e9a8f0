import Crypto
import EaselCore
import Foundation

extension FuzzTargets {
    static let linkClock = ManualClock()
    static let links = FileLinks(secret: Data("easel fuzz secret".utf8), lifetimeSeconds: 3600, clock: linkClock)

    /// `FileLinks`, the input being lines: a path (or asset id), an expiry, a signature, then mutation bytes.
    /// Any triple verifies exactly when its signature is the HMAC of the path and expiry and it has not
    /// expired; a link `signedPath` made verifies; and one changed byte anywhere in it makes it fail.
    public static func signedLink(_ bytes: [UInt8]) {
        let lines = bytes.split(separator: UInt8(ascii: "\n"), maxSplits: 3, omittingEmptySubsequences: false)
            .map { String(decoding: $0, as: UTF8.self) }
        let expiry = lines.count > 1 ? lines[1] : nil
        let signature = lines.count > 2 ? lines[2] : nil
        let answer = links.remainingSeconds(path: lines[0], expiry: expiry, signature: signature)
        check(answer == expectedSeconds(path: lines[0], expiry: expiry, signature: signature), "a link verified wrongly")

        let assetID = lines[0]
        let thumbnail = bytes.count % 2 == 1
        let path = FileLinks.path(assetID: assetID, thumbnail: thumbnail)
        let signed = links.signedPath(assetID: assetID, thumbnail: thumbnail)
        // Compared and cut as UTF-8: a path ending in a prepended mark (U+0604) joins the "?" after it into one
        // Character, so counting Characters would cut the query one short.
        let head = Array((path + "?exp=").utf8)
        check(Array(signed.utf8).starts(with: head), "a signed path does not start with its path")
        let query = String(decoding: Array(signed.utf8)[head.count...], as: UTF8.self)
        guard let sigStart = query.range(of: "&sig=") else { fatalError("property broken: a signed path has no signature") }
        let genuine = [path, String(query[..<sigStart.lowerBound]), String(query[sigStart.upperBound...])]
        check(links.remainingSeconds(path: genuine[0], expiry: genuine[1], signature: genuine[2]) == 3600, "a fresh link fails")

        // Each three mutation bytes: which part, where, and what (a byte to put there, or delete). At most
        // eight: each costs an HMAC, and more would only slow the fuzzer down.
        let mutations = lines.count > 3 ? Array(lines[3].utf8.prefix(24)) : []
        for start in stride(from: 0, to: mutations.count - 2, by: 3) {
            var parts = genuine.map { Array($0.utf8) }
            let which = Int(mutations[start] % 3)
            let position = Int(mutations[start + 1]) % (parts[which].count + 1)
            let value = mutations[start + 2]
            if value == 0 {
                guard position < parts[which].count else { continue }
                parts[which].remove(at: position)
            } else if mutations[start] & 0x80 != 0 || position == parts[which].count {
                parts[which].insert(value, at: position)
            } else {
                parts[which][position] = value
            }
            let changed = parts.map { String(decoding: $0, as: UTF8.self) }
            guard changed.map({ Array($0.utf8) }) != genuine.map({ Array($0.utf8) }) else { continue }
            let left = links.remainingSeconds(path: changed[0], expiry: changed[1], signature: changed[2])
            check(left == nil, "an altered link verified: \(changed)")
        }
    }

    /// What the check must answer, from its definition: base64url HMAC-SHA256 of "path\nexpiry", the expiry
    /// written as `String(Int64)` writes it, and time left.
    static func expectedSeconds(path: String, expiry: String?, signature: String?) -> Int64? {
        guard let expiry, let signature, let seconds = Int64(expiry), Array(expiry.utf8) == Array(String(seconds).utf8) else { return nil }
        let key = SymmetricKey(data: Data("easel fuzz secret".utf8))
        let mac = Data(HMAC<SHA256>.authenticationCode(for: Data("\(path)\n\(seconds)".utf8), using: key)).base64EncodedString()
        let expected = String(mac.compactMap { $0 == "=" ? nil : $0 == "+" ? "-" : $0 == "/" ? "_" : $0 })
        guard Array(signature.utf8) == Array(expected.utf8) else { return nil }
        let (millis, overflow) = seconds.multipliedReportingOverflow(by: 1000)
        guard !overflow else { return nil }
        let left = millis - linkClock.nowMillis()
        return left > 0 ? (left + 999) / 1000 : nil
    }
}
