import EaselCore
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Where a webhook may go: an http(s) URL without credentials whose host resolves only to addresses the
/// policy allows. Checked when the endpoint is made and again before every delivery (a name can start
/// pointing somewhere else).
enum WebhookDestination {
    /// The URL, or a 400 naming `param`.
    static func parse(_ text: String, param: String) throws -> URLComponents {
        guard text.count <= 2048, let url = URLComponents(string: text), let scheme = url.scheme?.lowercased(), ["http", "https"].contains(scheme),
            let host = url.host, !host.isEmpty
        else {
            throw EaselError.invalidRequest("'\(param)' must be an http or https URL.", param: param, code: "invalid_url")
        }
        guard url.user == nil, url.password == nil else {
            throw EaselError.invalidRequest(
                "'\(param)' must not carry credentials; the signature proves who sent it.",
                param: param,
                code: "invalid_url"
            )
        }
        return url
    }

    /// Why the URL's host may not be reached (nil when it may).
    static func refusal(_ url: URLComponents, policy: WebhookAddressPolicy) async -> String? {
        guard let host = url.host else { return "the URL has no host" }
        let addresses =
            WebhookAddressPolicy.bytes(host) != nil ? [host.trimmingCharacters(in: CharacterSet(charactersIn: "[]"))] : await resolve(host)
        guard !addresses.isEmpty else { return "\(host) does not resolve" }
        for address in addresses {
            if let reason = policy.refusal(address) { return "\(host) resolves to \(reason)" }
        }
        return nil
    }

    /// Every address the name resolves to.
    static func resolve(_ host: String) async -> [String] {
        await Task.detached {
            var hints = addrinfo()
            hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
            var list: UnsafeMutablePointer<addrinfo>?
            guard getaddrinfo(host, nil, &hints, &list) == 0, let first = list else { return [] }
            defer { freeaddrinfo(list) }
            var out: [String] = []
            var node: UnsafeMutablePointer<addrinfo>? = first
            while let current = node {
                var buffer = [CChar](repeating: 0, count: Int(NI_MAXHOST))
                if getnameinfo(current.pointee.ai_addr, current.pointee.ai_addrlen, &buffer, socklen_t(buffer.count), nil, 0, NI_NUMERICHOST) == 0 {
                    out.append(String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
                }
                node = current.pointee.ai_next
            }
            return Array(Set(out)).sorted()
        }.value
    }
}
