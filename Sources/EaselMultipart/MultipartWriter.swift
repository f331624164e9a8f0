import Foundation

/// Builds a multipart/form-data body the way the official SDK does: text fields first, then files, each
/// file with a filename and a real image content type.
public struct MultipartWriter: Sendable {
    public let boundary: String
    private var fields: [(String, String)] = []
    private var files: [(name: String, filename: String, contentType: String, data: Data)] = []

    public init(boundary: String = "easel-" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()) {
        self.boundary = boundary
    }

    public var contentType: String { "multipart/form-data; boundary=\(boundary)" }

    public mutating func addField(_ name: String, _ value: String) {
        fields.append((name, value))
    }

    public mutating func addFile(_ name: String, filename: String, contentType: String, data: Data) {
        files.append((name, filename, contentType, data))
    }

    public func body() -> Data {
        var out = Data()
        out.reserveCapacity(files.reduce(1024) { $0 + $1.data.count + 256 })
        func line(_ text: String) { out.append(contentsOf: Array((text + "\r\n").utf8)) }
        for (name, value) in fields {
            line("--\(boundary)")
            line("Content-Disposition: form-data; name=\"\(Self.quoted(name))\"")
            line("")
            line(value)
        }
        for file in files {
            line("--\(boundary)")
            line("Content-Disposition: form-data; name=\"\(Self.quoted(file.name))\"; filename=\"\(Self.quoted(file.filename))\"")
            line("Content-Type: \(file.contentType)")
            line("")
            out.append(file.data)
            line("")
        }
        line("--\(boundary)--")
        return out
    }

    static func quoted(_ text: String) -> String {
        text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            .replacingOccurrences(of: "\r", with: "").replacingOccurrences(of: "\n", with: "")
    }
}
