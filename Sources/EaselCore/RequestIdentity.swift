/// What decides an image, for the request cache: two requests with the same identity ask for the same
/// picture. The caller, `stream`, `response_format`, `user` and the idempotency key are left out; the seed
/// is in only where it decides the picture (a model that honours seeds, and only when the caller gave one).
extension ImageRequest {
    public func identity(inputDigests: [String], maskDigest: String?, seedMatters: Bool) -> JSONValue {
        var object: [String: JSONValue] = [
            "model": .string(self.model),
            "prompt": .string(self.prompt),
            "size": .string(self.resolvedSize.description),
            "quality": .string(self.resolvedQuality),
            "background": .string(self.resolvedBackground.rawValue),
            "output_format": .string(self.outputFormat.rawValue),
            "output_compression": self.outputCompression.map { .int($0) } ?? .null,
            "n": .int(self.n),
            "moderation": .string(self.moderation),
            "input_fidelity": self.inputFidelity.map(JSONValue.string) ?? .null,
            "inputs": .array(inputDigests.map(JSONValue.string)),
            "mask": maskDigest.map(JSONValue.string) ?? .null,
        ]
        if seedMatters { object["seed"] = .string(String(self.seed)) }
        return .object(object)
    }
}
