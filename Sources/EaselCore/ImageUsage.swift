/// Token usage as OpenAI reports it for image models; the basis of cost.
public struct ImageUsage: Sendable, Hashable, Codable {
    public var inputTokens: Int
    public var outputTokens: Int
    public var totalTokens: Int
    public var inputTextTokens: Int
    public var inputImageTokens: Int
    public var outputImageTokens: Int?
    public var outputTextTokens: Int?

    public init(
        inputTextTokens: Int = 0,
        inputImageTokens: Int = 0,
        outputTokens: Int = 0,
        outputImageTokens: Int? = nil,
        outputTextTokens: Int? = nil
    ) {
        self.inputTextTokens = inputTextTokens
        self.inputImageTokens = inputImageTokens
        self.inputTokens = inputTextTokens + inputImageTokens
        self.outputTokens = outputTokens
        self.totalTokens = inputTokens + outputTokens
        self.outputImageTokens = outputImageTokens
        self.outputTextTokens = outputTextTokens
    }

    public static let zero = ImageUsage()

    /// The OpenAI `usage` object.
    public var json: JSONValue {
        var object: [String: JSONValue] = [
            "input_tokens": .number(Double(inputTokens)),
            "output_tokens": .number(Double(outputTokens)),
            "total_tokens": .number(Double(totalTokens)),
            "input_tokens_details": .object([
                "text_tokens": .number(Double(inputTextTokens)),
                "image_tokens": .number(Double(inputImageTokens)),
            ]),
        ]
        if outputImageTokens != nil || outputTextTokens != nil {
            object["output_tokens_details"] = .object([
                "image_tokens": .number(Double(outputImageTokens ?? 0)),
                "text_tokens": .number(Double(outputTextTokens ?? 0)),
            ])
        }
        return .object(object)
    }

    /// Splits usage across `parts` images so per-image shares add up to the whole.
    public func share(_ index: Int, of parts: Int) -> ImageUsage {
        guard parts > 1 else { return self }
        func part(_ value: Int) -> Int { value / parts + (index == parts - 1 ? value % parts : 0) }
        return ImageUsage(
            inputTextTokens: part(inputTextTokens),
            inputImageTokens: part(inputImageTokens),
            outputTokens: part(outputTokens),
            outputImageTokens: outputImageTokens.map(part),
            outputTextTokens: outputTextTokens.map(part)
        )
    }
}
