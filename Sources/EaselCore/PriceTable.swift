/// What images cost, per model: per-image prices by quality and size (what a request is estimated and
/// reserved at) and per-token prices (what a finished job is settled at, from the upstream `usage`).
public struct ModelPrice: Sendable, Hashable {
    /// Micro-dollars per image: quality → (square 1024², non-square 1536×1024 / 1024×1536). Other sizes
    /// scale by pixel count from the nearer shape.
    public var perImage: [String: (square: Int64, wide: Int64)]
    /// Micro-dollars per million tokens; nil prices per image only.
    public var tokens: TokenPrices?

    public struct TokenPrices: Sendable, Hashable {
        public var textIn: Int64
        public var imageIn: Int64
        public var imageOut: Int64

        public init(textIn: Int64, imageIn: Int64, imageOut: Int64) {
            self.textIn = textIn
            self.imageIn = imageIn
            self.imageOut = imageOut
        }
    }

    public init(perImage: [String: (square: Int64, wide: Int64)], tokens: TokenPrices?) {
        self.perImage = perImage
        self.tokens = tokens
    }

    /// One price for every image, whatever its size or quality (typical of OpenAI-compatible resellers).
    public static func flat(_ micros: Int64) -> ModelPrice {
        ModelPrice(perImage: ["*": (micros, micros)], tokens: nil)
    }

    public static let free = ModelPrice.flat(0)

    /// Every price at `percent` of itself, rounded up to a whole micro-dollar (a provider's batch price).
    public func scaled(percent: Int) -> ModelPrice {
        guard percent != 100 else { return self }
        func scale(_ micros: Int64) -> Int64 { (micros * Int64(percent) + 99) / 100 }
        return ModelPrice(
            perImage: perImage.mapValues { (scale($0.square), scale($0.wide)) },
            tokens: tokens.map { TokenPrices(textIn: scale($0.textIn), imageIn: scale($0.imageIn), imageOut: scale($0.imageOut)) }
        )
    }

    public static func == (lhs: ModelPrice, rhs: ModelPrice) -> Bool {
        lhs.tokens == rhs.tokens && lhs.perImage.keys.sorted() == rhs.perImage.keys.sorted()
            && lhs.perImage.allSatisfy { key, value in rhs.perImage[key].map { $0 == value } ?? false }
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(tokens)
        for key in perImage.keys.sorted() {
            hasher.combine(key)
            hasher.combine(perImage[key]!.square)
            hasher.combine(perImage[key]!.wide)
        }
    }

    /// The price of one image of `size` at `quality` (resolved, never `auto`).
    public func image(quality: String, size: PixelSize) -> Int64 {
        if perImage[quality] == nil, let flat = perImage["*"] { return flat.square }
        let base: (square: Int64, wide: Int64)
        if let entry = perImage[quality] ?? perImage["high"] {
            base = entry
        } else if perImage.isEmpty, let tokens {
            // Token prices only: estimate output tokens from the GPT image token table (§10).
            let table: [String: (Int, Int)] = ["low": (272, 400), "medium": (1056, 1568), "high": (4160, 6208)]
            let (square, wide) = table[quality] ?? table["high"]!
            base = (Money.tokens(square, microsPerMillion: tokens.imageOut), Money.tokens(wide, microsPerMillion: tokens.imageOut))
        } else {
            return 0
        }
        let square = size.width == size.height
        let price = square ? base.square : base.wide
        let basePixels: Int64 = square ? 1024 * 1024 : 1536 * 1024
        let pixels = Int64(size.pixels)
        if pixels == basePixels { return price }
        return (price * pixels + basePixels - 1) / basePixels
    }
}

public struct PriceTable: Sendable {
    public var models: [String: ModelPrice]

    public init(models: [String: ModelPrice]) {
        self.models = models
    }

    static func usd(_ text: String) -> Int64 { Money.parseUSD(text) ?? 0 }

    /// OpenAI's published prices (openai-images-api.md §10): per image for 1024² / non-square, per
    /// million tokens for settling. The draft renderer is free.
    public static let builtIn = PriceTable(models: [
        "easel-draft": .free,
        "gpt-image-2": ModelPrice(
            perImage: ["low": (usd("0.006"), usd("0.005")), "medium": (usd("0.053"), usd("0.041")), "high": (usd("0.211"), usd("0.165"))],
            tokens: .init(textIn: usd("5"), imageIn: usd("8"), imageOut: usd("30"))
        ),
        "gpt-image-1.5": ModelPrice(
            perImage: ["low": (usd("0.009"), usd("0.013")), "medium": (usd("0.034"), usd("0.05")), "high": (usd("0.133"), usd("0.2"))],
            tokens: .init(textIn: usd("5"), imageIn: usd("8"), imageOut: usd("32"))
        ),
        "chatgpt-image-latest": ModelPrice(
            perImage: ["low": (usd("0.009"), usd("0.013")), "medium": (usd("0.034"), usd("0.05")), "high": (usd("0.133"), usd("0.2"))],
            tokens: .init(textIn: usd("5"), imageIn: usd("8"), imageOut: usd("32"))
        ),
        "gpt-image-1-mini": ModelPrice(
            perImage: ["low": (usd("0.005"), usd("0.006")), "medium": (usd("0.011"), usd("0.015")), "high": (usd("0.036"), usd("0.052"))],
            tokens: .init(textIn: usd("2"), imageIn: usd("2.5"), imageOut: usd("8"))
        ),
        "gpt-image-1": ModelPrice(
            perImage: ["low": (usd("0.011"), usd("0.016")), "medium": (usd("0.042"), usd("0.063")), "high": (usd("0.167"), usd("0.25"))],
            tokens: .init(textIn: usd("5"), imageIn: usd("10"), imageOut: usd("40"))
        ),
    ])

    public func price(for model: String) -> ModelPrice? { models[model] }

    /// What a job is reserved at before it runs: every image at the table price, plus streamed partial images
    /// (100 output tokens each), the prompt's text tokens (about four characters each) and, for edits, input
    /// images at a high-fidelity allowance. Usually a little above what settles.
    /// `percent` of the table price (the economy tier's batch price) when not 100.
    public func estimate(_ request: ImageRequest, inputImages: Int = 0, percent: Int = 100) -> Int64 {
        guard let price = models[request.model]?.scaled(percent: percent) else { return 0 }
        var total = price.image(quality: request.resolvedQuality, size: request.resolvedSize) * Int64(request.n)
        if let tokens = price.tokens {
            let partials = request.stream ? request.partialImages * request.n : 0
            total += Money.tokens(partials * 100, microsPerMillion: tokens.imageOut)
            total += Money.tokens(request.prompt.utf8.count / 4 + 1, microsPerMillion: tokens.textIn)
            total += Money.tokens(inputImages * 6_240, microsPerMillion: tokens.imageIn)
        }
        return total
    }

    /// What a finished job costs: from the upstream usage at token prices when the model has them, else the
    /// per-image price of the images made.
    public func actual(_ request: ImageRequest, usage: ImageUsage?, images: Int, percent: Int = 100) -> Int64 {
        guard let price = models[request.model]?.scaled(percent: percent) else { return 0 }
        if let tokens = price.tokens, let usage, usage.totalTokens > 0 {
            let imageOut = usage.outputImageTokens ?? usage.outputTokens
            let textOut = usage.outputTokens - imageOut
            return Money.tokens(usage.inputTextTokens, microsPerMillion: tokens.textIn)
                + Money.tokens(usage.inputImageTokens, microsPerMillion: tokens.imageIn)
                + Money.tokens(imageOut, microsPerMillion: tokens.imageOut)
                + Money.tokens(max(0, textOut), microsPerMillion: tokens.textIn)
        }
        return price.image(quality: request.resolvedQuality, size: request.resolvedSize) * Int64(images)
    }
}
