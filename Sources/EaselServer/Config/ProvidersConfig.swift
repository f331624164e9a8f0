import EaselCore
import Foundation
import Yams

/// The providers and routes of a config file (YAML, or JSON, which YAML reads too):
///
/// ```yaml
/// default_model: gpt-image-2
/// providers:
///   openai:
///     type: openai                  # or openai-compatible
///     api_key_env: OPENAI_API_KEY   # keys come from the environment (or ${VAR} in api_key)
///     concurrency: 64
///     images_per_minute: 50
///     circuit_breaker: { failures: 5, cooldown_seconds: 30 }
///   backup:
///     type: openai-compatible
///     base_url: http://127.0.0.1:9100/v1
///     api_key: ${BACKUP_KEY}
///     headers: { X-Title: Easel }
///     models: { gpt-image-2: vendor/gpt-image-2 }
///     batch: false                  # no Batch API here (on by default only for type: openai)
/// routes:
///   gpt-image-2: [openai, backup]
///   house-model:
///     base: gpt-image-1.5
///     providers: [backup]
///     capabilities: { edits: false, streaming: false, sizes: [1024x1024] }
/// ```
public struct ProvidersConfig: Sendable {
    public struct Provider: Sendable {
        public var name: String
        public var compatible: Bool
        public var baseURL: String
        public var apiKey: String?
        public var organization: String?
        public var project: String?
        public var headers: [(String, String)]
        public var connectTimeoutSeconds: Int
        public var readTimeoutSeconds: Int
        public var concurrency: Int?
        public var imagesPerMinute: Int?
        public var breakerFailures: Int
        public var breakerCooldownSeconds: Int
        /// Route model name → the name this provider knows it by.
        public var modelNames: [String: String]
        /// How economy jobs use this provider's Batch API; nil when they do not (then they run here at the
        /// normal price). On by default for `type: openai`.
        public var batch: UpstreamBatchSettings? = nil
    }

    public struct Route: Sendable {
        public var model: ModelCapabilities
        public var providers: [String]
        /// The built-in model whose rules (and prices, unless the config sets some) the route starts from.
        public var base: String? = nil
    }

    public var providers: [String: Provider] = [:]
    public var routes: [Route] = []
    public var defaultModel: String?
    /// Whether `easel-draft` is offered (on unless turned off).
    public var draft = true

    public init() {}

    /// Reads a config file. Errors name the key at fault.
    public static func load(path: String, environment: [String: String]) throws -> ProvidersConfig {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw ConfigError.invalid("config", path, "a readable YAML or JSON file")
        }
        return try parse(text, environment: environment)
    }

    public static func parse(_ text: String, environment: [String: String]) throws -> ProvidersConfig {
        let loaded: Any?
        do {
            loaded = try Yams.load(yaml: text)
        } catch {
            throw ConfigError.invalid("config", "(file)", "valid YAML or JSON: \(error)")
        }
        guard let root = loaded as? [String: Any] else { throw ConfigError.invalid("config", "(file)", "a mapping at the top level") }
        var config = ProvidersConfig()
        let reader = Reader(environment: environment)
        config.defaultModel = try reader.string(root["default_model"], "default_model")
        if let draft = root["draft"] { config.draft = try reader.bool(draft, "draft") }
        if let providers = root["providers"] {
            guard let map = providers as? [String: Any] else { throw ConfigError.invalid("providers", "\(providers)", "a mapping") }
            for (name, value) in map.sorted(by: { $0.key < $1.key }) {
                config.providers[name] = try reader.provider(name: name, value)
            }
        }
        if let routes = root["routes"] {
            guard let map = routes as? [String: Any] else { throw ConfigError.invalid("routes", "\(routes)", "a mapping") }
            for (model, value) in map.sorted(by: { $0.key < $1.key }) {
                let route = try reader.route(model: model, value)
                for provider in route.providers where config.providers[provider] == nil && provider != "draft" {
                    throw ConfigError.invalid("routes.\(model)", provider, "a provider defined under providers (or 'draft')")
                }
                config.routes.append(route)
            }
        }
        return config
    }

    /// What `OPENAI_API_KEY` (and `OPENAI_BASE_URL`, `OPENAI_ORG_ID`, `OPENAI_PROJECT_ID`) set up when the
    /// config file does not define a provider named `openai`: it, and routes for OpenAI's image models.
    public mutating func addEnvironmentDefaults(_ environment: [String: String]) {
        guard providers["openai"] == nil, let key = environment["OPENAI_API_KEY"], !key.isEmpty else { return }
        providers["openai"] = Provider(
            name: "openai",
            compatible: false,
            baseURL: environment["OPENAI_BASE_URL"].flatMap { $0.isEmpty ? nil : $0 } ?? "https://api.openai.com/v1",
            apiKey: key,
            organization: environment["OPENAI_ORG_ID"] ?? environment["OPENAI_ORGANIZATION"],
            project: environment["OPENAI_PROJECT_ID"],
            headers: [],
            connectTimeoutSeconds: 5,
            readTimeoutSeconds: 180,
            concurrency: 64,
            imagesPerMinute: nil,
            breakerFailures: 5,
            breakerCooldownSeconds: 30,
            modelNames: [:],
            batch: UpstreamBatchSettings()
        )
        for model in [ModelCapabilities.gptImage2, .gptImage15, .gptImage1Mini, .chatGPTImageLatest]
        where !routes.contains(where: { $0.model.id == model.id }) {
            routes.append(Route(model: model, providers: ["openai"]))
        }
    }

    struct Reader {
        let environment: [String: String]

        /// `${VAR}` in a string is replaced by the environment variable (empty if unset).
        func interpolate(_ text: String) -> String {
            var out = ""
            var rest = Substring(text)
            while let start = rest.range(of: "${") {
                out += rest[..<start.lowerBound]
                guard let end = rest[start.upperBound...].firstIndex(of: "}") else {
                    out += rest[start.lowerBound...]
                    return out
                }
                out += environment[String(rest[start.upperBound..<end])] ?? ""
                rest = rest[rest.index(after: end)...]
            }
            return out + rest
        }

        func string(_ value: Any?, _ path: String) throws -> String? {
            guard let value else { return nil }
            if let text = value as? String { return interpolate(text) }
            if let number = value as? Int { return String(number) }
            throw ConfigError.invalid(path, "\(value)", "a string")
        }

        func int(_ value: Any?, _ path: String, range: ClosedRange<Int>) throws -> Int? {
            guard let value else { return nil }
            guard let number = value as? Int ?? (value as? String).flatMap({ Int(interpolate($0)) }), range.contains(number) else {
                throw ConfigError.invalid(path, "\(value)", "an integer from \(range.lowerBound) to \(range.upperBound)")
            }
            return number
        }

        func bool(_ value: Any, _ path: String) throws -> Bool {
            if let flag = value as? Bool { return flag }
            throw ConfigError.invalid(path, "\(value)", "true or false")
        }

        func provider(name: String, _ value: Any) throws -> Provider {
            let path = "providers.\(name)"
            guard let map = value as? [String: Any] else { throw ConfigError.invalid(path, "\(value)", "a mapping") }
            let known: Set<String> = [
                "type", "base_url", "api_key", "api_key_env", "organization", "project", "headers", "timeouts",
                "concurrency", "images_per_minute", "circuit_breaker", "models", "batch",
            ]
            for key in map.keys where !known.contains(key) {
                throw ConfigError.invalid("\(path).\(key)", "(unknown key)", "one of \(known.sorted().joined(separator: ", "))")
            }
            let type = try string(map["type"], "\(path).type") ?? "openai-compatible"
            guard type == "openai" || type == "openai-compatible" else {
                throw ConfigError.invalid("\(path).type", type, "openai or openai-compatible")
            }
            let defaultBase = type == "openai" ? "https://api.openai.com/v1" : nil
            guard let base = try string(map["base_url"], "\(path).base_url") ?? defaultBase,
                let url = URL(string: base), ["http", "https"].contains(url.scheme ?? ""), url.host != nil
            else {
                throw ConfigError.invalid("\(path).base_url", "\(map["base_url"] ?? "(missing)")", "an http(s) URL ending in /v1 or similar")
            }
            var key = try string(map["api_key"], "\(path).api_key")
            if let variable = try string(map["api_key_env"], "\(path).api_key_env") {
                key = environment[variable]
                if key?.isEmpty ?? true {
                    throw ConfigError.invalid("\(path).api_key_env", variable, "an environment variable that is set")
                }
            }
            var headers: [(String, String)] = []
            if let raw = map["headers"] {
                guard let table = raw as? [String: Any] else { throw ConfigError.invalid("\(path).headers", "\(raw)", "a mapping") }
                for (header, value) in table.sorted(by: { $0.key < $1.key }) {
                    headers.append((header, try string(value, "\(path).headers.\(header)") ?? ""))
                }
            }
            let timeouts = map["timeouts"] as? [String: Any] ?? [:]
            let breaker = map["circuit_breaker"] as? [String: Any] ?? [:]
            var names: [String: String] = [:]
            if let raw = map["models"] {
                guard let table = raw as? [String: Any] else { throw ConfigError.invalid("\(path).models", "\(raw)", "a mapping") }
                for (model, upstream) in table { names[model] = try string(upstream, "\(path).models.\(model)") }
            }
            return Provider(
                name: name,
                compatible: type == "openai-compatible",
                baseURL: base,
                apiKey: key,
                organization: try string(map["organization"], "\(path).organization"),
                project: try string(map["project"], "\(path).project"),
                headers: headers,
                connectTimeoutSeconds: try int(timeouts["connect_seconds"], "\(path).timeouts.connect_seconds", range: 1...120) ?? 5,
                readTimeoutSeconds: try int(timeouts["read_seconds"], "\(path).timeouts.read_seconds", range: 1...3600) ?? 180,
                concurrency: try int(map["concurrency"], "\(path).concurrency", range: 1...100_000),
                imagesPerMinute: try int(map["images_per_minute"], "\(path).images_per_minute", range: 1...1_000_000),
                breakerFailures: try int(breaker["failures"], "\(path).circuit_breaker.failures", range: 1...1000) ?? 5,
                breakerCooldownSeconds: try int(breaker["cooldown_seconds"], "\(path).circuit_breaker.cooldown_seconds", range: 1...86400) ?? 30,
                modelNames: names,
                batch: try batch(map["batch"], path: "\(path).batch", defaultOn: type == "openai")
            )
        }

        /// `batch: true | false | { price_percent, collect_seconds, max_requests, poll_seconds, max_poll_seconds,
        /// on_unfinished, models, sizes }`.
        func batch(_ value: Any?, path: String, defaultOn: Bool) throws -> UpstreamBatchSettings? {
            guard let value else { return defaultOn ? UpstreamBatchSettings() : nil }
            if let flag = value as? Bool { return flag ? UpstreamBatchSettings() : nil }
            guard let map = value as? [String: Any] else { throw ConfigError.invalid(path, "\(value)", "true, false or a mapping") }
            let known: Set<String> = [
                "enabled", "price_percent", "collect_seconds", "max_requests", "poll_seconds", "max_poll_seconds", "on_unfinished", "models", "sizes",
            ]
            for key in map.keys where !known.contains(key) {
                throw ConfigError.invalid("\(path).\(key)", "(unknown key)", "one of \(known.sorted().joined(separator: ", "))")
            }
            if let enabled = map["enabled"], try !bool(enabled, "\(path).enabled") { return nil }
            var settings = UpstreamBatchSettings()
            settings.pricePercent = try int(map["price_percent"], "\(path).price_percent", range: 1...100) ?? settings.pricePercent
            settings.collectMs = try milliseconds(map["collect_seconds"], "\(path).collect_seconds") ?? settings.collectMs
            settings.maxRequests = try int(map["max_requests"], "\(path).max_requests", range: 1...50_000) ?? settings.maxRequests
            settings.pollMinMs = try milliseconds(map["poll_seconds"], "\(path).poll_seconds") ?? settings.pollMinMs
            settings.pollMaxMs = try milliseconds(map["max_poll_seconds"], "\(path).max_poll_seconds") ?? max(settings.pollMaxMs, settings.pollMinMs)
            if let text = try string(map["on_unfinished"], "\(path).on_unfinished") {
                guard let policy = UpstreamBatchSettings.Unfinished(rawValue: text) else {
                    throw ConfigError.invalid("\(path).on_unfinished", text, "requeue or fail")
                }
                settings.onUnfinished = policy
            }
            if let raw = map["models"] {
                guard let list = raw as? [Any] else { throw ConfigError.invalid("\(path).models", "\(raw)", "a list of route models") }
                settings.models = Set(try list.enumerated().map { try string($1, "\(path).models[\($0)]") ?? "" })
            }
            if let raw = map["sizes"] {
                guard let list = raw as? [Any] else { throw ConfigError.invalid("\(path).sizes", "\(raw)", "a list of WIDTHxHEIGHT sizes") }
                settings.sizes = try list.map { item in
                    guard let text = item as? String, let size = PixelSize.parse(text) else {
                        throw ConfigError.invalid("\(path).sizes", "\(item)", "WIDTHxHEIGHT")
                    }
                    return size
                }
            }
            return settings
        }

        /// Seconds (whole or decimal) as milliseconds, from 0.01 s to a day.
        func milliseconds(_ value: Any?, _ path: String) throws -> Int64? {
            guard let value else { return nil }
            let seconds = value as? Double ?? (value as? Int).map(Double.init) ?? (value as? String).flatMap { Double(interpolate($0)) }
            guard let seconds, seconds >= 0.01, seconds <= 86_400 else {
                throw ConfigError.invalid(path, "\(value)", "a number of seconds from 0.01 to 86400")
            }
            return Int64((seconds * 1000).rounded())
        }

        func route(model: String, _ value: Any) throws -> Route {
            let path = "routes.\(model)"
            if let list = value as? [Any] {
                let providers = try list.enumerated().map { index, item in
                    try string(item, "\(path)[\(index)]") ?? ""
                }
                return Route(model: try capabilities(model: model, base: nil, overrides: [:], path: path), providers: providers)
            }
            guard let map = value as? [String: Any], let list = map["providers"] as? [Any], !list.isEmpty else {
                throw ConfigError.invalid(path, "\(value)", "a list of providers, or a mapping with 'providers'")
            }
            let providers = try list.enumerated().map { index, item in try string(item, "\(path).providers[\(index)]") ?? "" }
            let overrides = map["capabilities"] as? [String: Any] ?? [:]
            let base = try string(map["base"], "\(path).base")
            var caps = try capabilities(model: model, base: base, overrides: overrides, path: path)
            switch try string(map["responses"], "\(path).responses") ?? "images" {
            case "images": caps.forwardsResponses = false
            case "forward": caps.forwardsResponses = true
            case let other:
                throw ConfigError.invalid(
                    "\(path).responses",
                    other,
                    "'images' (Easel runs each turn) or 'forward' (to the provider's /v1/responses)"
                )
            }
            return Route(model: caps, providers: providers, base: base)
        }

        /// A route's rules: the built-in model of that name (or `base`), with overrides.
        func capabilities(model: String, base: String?, overrides: [String: Any], path: String) throws -> ModelCapabilities {
            let template = ModelCapabilities.builtIn.first { $0.id == (base ?? model) }
            if let base, template == nil {
                throw ConfigError.invalid("\(path).base", base, "a built-in model: \(ModelCapabilities.builtIn.map(\.id).joined(separator: ", "))")
            }
            var caps = template ?? ModelCapabilities(id: model, sizes: .fixed(ModelCapabilities.standardGPTImageSizes))
            caps.id = model
            caps.isDraft = false
            caps.ownedBy = "easel-route"
            for (key, value) in overrides {
                let at = "\(path).capabilities.\(key)"
                switch key {
                case "edits": caps.supportsEdits = try bool(value, at)
                case "mask": caps.supportsMask = try bool(value, at)
                case "streaming": caps.supportsStreaming = try bool(value, at)
                case "transparent_background": caps.supportsTransparentBackground = try bool(value, at)
                case "input_fidelity": caps.supportsInputFidelity = try bool(value, at)
                case "max_n": caps.maxImages = try int(value, at, range: 1...10) ?? caps.maxImages
                case "sizes":
                    guard let list = value as? [Any] else { throw ConfigError.invalid(at, "\(value)", "a list of WIDTHxHEIGHT sizes") }
                    let sizes = try list.map { item -> PixelSize in
                        guard let text = item as? String, let size = PixelSize.parse(text) else {
                            throw ConfigError.invalid(at, "\(item)", "WIDTHxHEIGHT")
                        }
                        return size
                    }
                    caps.sizes = .fixed(sizes)
                case "qualities":
                    guard let list = value as? [String] else { throw ConfigError.invalid(at, "\(value)", "a list of qualities") }
                    caps.qualities = list
                default:
                    throw ConfigError.invalid(
                        at,
                        "(unknown key)",
                        "edits, mask, streaming, transparent_background, input_fidelity, max_n, sizes, qualities"
                    )
                }
            }
            return caps
        }
    }
}
