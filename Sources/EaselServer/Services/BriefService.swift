import EaselCore
import Foundation

/// Turns a request that carries a brief or a template (with variables and a brand kit) into the request
/// fields the parser checks: the compiled prompt, the size for the model, and the template's defaults under
/// whatever the request gave itself. The same path serves `/api/briefs/compile`, `/api/jobs`,
/// `/v1/images/generations` (`extra_body`) and batches.
struct BriefService: Sendable {
    let templates: TemplateService
    let kits: BrandKitService
    let catalog: ModelCatalog
    let billing: BillingService
    let economy: EconomyPolicy

    struct Prepared: Sendable {
        /// Generation fields, with `prompt` and `size` filled from the brief.
        var fields: [String: JSONValue]
        var origin: CreativeOrigin?
        var compiled: BriefCompiler.Compiled?
        /// The request may be answered by an identical earlier image.
        var cache: Bool
    }

    /// What the compile route answers: the prompt and size the model is asked, the lint, and the cost.
    struct Compiled: Sendable {
        var prepared: Prepared
        var request: ImageRequest
        var estimateMicros: Int64
        /// At the table price (differs from `estimateMicros` for economy at a provider's batch price).
        var standardEstimateMicros: Int64
        var economy: EconomyRoute?
    }

    func prepare(_ body: [String: JSONValue], identity: Identity, param prefix: String = "") async throws -> Prepared {
        var fields = body
        func param(_ name: String) -> String { prefix.isEmpty ? name : "\(prefix).\(name)" }
        let cache = try Self.cacheMode(fields.removeValue(forKey: "cache"), param: param("cache"))
        let templateValue = fields.removeValue(forKey: "template")
        let briefValue = fields.removeValue(forKey: "brief").flatMap { $0 == .null ? nil : $0 }
        let variables = try Self.variables(fields.removeValue(forKey: "variables"), param: param("variables"))
        let kitValue = fields.removeValue(forKey: "brand_kit")
        var templateRef: String?
        switch templateValue {
        case nil, .null?: break
        case .string(let text)?: templateRef = text
        case let other?: throw EaselError.invalidType(param("template"), expected: "a template id such as \"blog-banner\"", got: other)
        }
        var kitRef: String?
        switch kitValue {
        case nil, .null?: break
        case .string(let text)?: kitRef = text
        case let other?: throw EaselError.invalidType(param("brand_kit"), expected: "a brand kit id", got: other)
        }
        guard templateRef != nil || briefValue != nil else {
            if !variables.isEmpty {
                throw EaselError.invalidRequest("'variables' fill a template; name one with 'template'.", param: param("variables"))
            }
            if kitRef != nil { throw EaselError.invalidRequest("A brand kit styles a brief or a template; send one.", param: param("brand_kit")) }
            return Prepared(fields: fields, origin: nil, compiled: nil, cache: cache ?? false)
        }
        if templateRef != nil && briefValue != nil {
            throw EaselError.invalidRequest("Send either 'template' (with variables) or 'brief', not both.", param: param("brief"))
        }
        // The SDK always sends a prompt: with a brief or template it is extra words at the brief's end.
        let extra = try FieldReader(fields: fields).string("prompt")?.trimmingCharacters(in: .whitespaces)
        fields.removeValue(forKey: "prompt")
        var template: Template?
        var brief: Brief
        if let templateRef {
            let found = try await templates.resolve(templateRef, identity: identity, param: param("template"))
            brief = try found.fill(variables, param: param("variables"))
            found.defaults.fill(&fields)
            template = found
        } else {
            if !variables.isEmpty {
                throw EaselError.invalidRequest("'variables' fill a template; a brief is written out whole.", param: param("variables"))
            }
            brief = try Brief(json: briefValue ?? .null, param: param("brief"))
        }
        if let extra, !extra.isEmpty { brief.text = [brief.text, extra].compactMap { $0 }.joined(separator: " ") }
        var kit: BrandKit?
        if let reference = kitRef ?? template?.defaults.brandKit {
            kit = try await kits.resolve(reference, identity: identity, param: kitRef != nil ? param("brand_kit") : param("template"))
        }
        if fields["model"] == nil, let model = kit?.defaultModel { fields["model"] = .string(model) }
        if fields["quality"] == nil, let quality = kit?.defaultQuality { fields["quality"] = .string(quality) }
        let model = try FieldReader(fields: fields).string("model") ?? catalog.defaultModel
        let caps = try catalog.require(model)
        let format = (try? FieldReader(fields: fields).string("output_format")).flatMap { $0.flatMap(ImageFormat.init(rawValue:)) } ?? .png
        let compiled = try BriefCompiler.compile(
            brief,
            caps: caps,
            kit: kit,
            outputFormat: format,
            param: param(template != nil ? "template" : "brief")
        )
        fields["prompt"] = .string(compiled.prompt)
        if fields["size"] == nil || fields["size"] == .null { fields["size"] = .string(compiled.size.description) }
        if compiled.background == .transparent && (fields["background"] == nil || fields["background"] == .null) {
            fields["background"] = "transparent"
        }
        let origin = CreativeOrigin(brief: brief, template: template?.reference, variables: variables, brandKit: kit?.id)
        return Prepared(fields: fields, origin: origin, compiled: compiled, cache: cache ?? template?.defaults.cache ?? false)
    }

    /// A generation body (a prompt, or a brief or template) as a job submission: the fields compiled and
    /// checked, the origin kept, and the cache allowed when the body, the template or the caller's header asks.
    /// `service_tier: economy` is taken only where the caller does not wait for the image (`allowsEconomy`).
    func submission(
        _ body: [String: JSONValue],
        identity: Identity,
        idempotencyKey: String?,
        cacheRequested: Bool,
        priority: Int = 0,
        allowsEconomy: Bool = true
    ) async throws -> JobService.Submission {
        var fields = body
        let tier = try ServiceTier.read(fields)
        fields.removeValue(forKey: "service_tier")
        if tier == .economy && !allowsEconomy {
            throw EaselError.invalidRequest(
                "The economy tier finishes within a day, so this endpoint, which waits for the image, does not take it. "
                    + "Submit economy work with POST /api/jobs or POST /api/batches.",
                param: "service_tier"
            )
        }
        let prepared = try await prepare(fields, identity: identity)
        var request = try catalog.parser.parse(.object(prepared.fields), seed: UInt64.random(in: 0...(1 << 53)))
        request.stream = request.stream || request.partialImages > 0
        var payload = JobPayload(request: request)
        payload.origin = prepared.origin
        var submission = JobService.Submission(
            payload: payload,
            userID: identity.userID,
            rawRequest: .object(body),
            idempotencyKey: idempotencyKey,
            priority: priority,
            identity: identity
        )
        submission.cache = cacheRequested || prepared.cache
        submission.explicitSeed = body["seed"] != nil && body["seed"] != .null
        if tier == .economy { EconomyPolicy.apply(try economy.route(for: request, kind: .generate), to: &submission) }
        return submission
    }

    /// `POST /api/briefs/compile`: everything a job from this body would be, without making one.
    func compile(_ body: [String: JSONValue], identity: Identity) async throws -> Compiled {
        var fields = body
        let tier = try ServiceTier.read(fields)
        fields.removeValue(forKey: "service_tier")
        let prepared = try await prepare(fields, identity: identity)
        guard prepared.compiled != nil else {
            throw EaselError.invalidRequest("Send a 'brief' or a 'template' to compile.", param: "brief", code: "missing_required_parameter")
        }
        var request = try catalog.parser.parse(.object(prepared.fields), seed: 0)
        request.stream = false
        try billing.checkPlan(request, identity: identity)
        let route = tier == .economy ? try economy.route(for: request, kind: .generate) : nil
        return Compiled(
            prepared: prepared,
            request: request,
            estimateMicros: billing.estimate(request, percent: route?.pricePercent ?? 100),
            standardEstimateMicros: billing.estimate(request),
            economy: route
        )
    }

    static func cacheMode(_ value: JSONValue?, param: String) throws(EaselError) -> Bool? {
        switch value {
        case nil, .null?: return nil
        case .string(let text)?:
            guard let mode = CacheMode(rawValue: text) else { throw .invalidRequest("Invalid cache '\(text)'. Use reuse or off.", param: param) }
            return mode == .reuse
        case let other?: throw .invalidType(param, expected: "\"reuse\" or \"off\"", got: other)
        }
    }

    /// `{"product": "mug", "count": 3}` → text values (numbers and booleans as written).
    static func variables(_ value: JSONValue?, param: String) throws(EaselError) -> [String: String] {
        switch value {
        case nil, .null?: return [:]
        case .object(let object)?:
            var out: [String: String] = [:]
            for (key, item) in object {
                switch item {
                case .string(let text): out[key] = text
                case .number, .bool: out[key] = item.serializedString
                default: throw .invalidType("\(param).\(key)", expected: "a string", got: item)
                }
            }
            return out
        case let other?: throw .invalidType(param, expected: "an object of variable names and values", got: other)
        }
    }
}
