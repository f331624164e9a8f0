/// The starter library: one template per job type of the product workflow (blog banner, product hero, paid
/// social, e-commerce scene, app onboarding). Read-only; copy one to change it.
public enum BuiltInTemplates {
    public static let all: [Template] = [blogBanner, productHero, paidSocial, ecommerceScene, appOnboarding]

    public static func named(_ id: String) -> Template? { all.first { $0.id == id } }

    static func make(
        _ id: String,
        _ name: String,
        _ description: String,
        brief: Brief,
        variables: [Template.Variable],
        quality: String? = nil
    ) -> Template {
        var template = Template(id: id, name: name, description: description, jobType: id, brief: brief, variables: variables)
        template.builtIn = true
        template.defaults.quality = quality
        return template
    }

    public static let blogBanner: Template = {
        var brief = Brief(subject: "{topic}")
        brief.useCase = "blog banner"
        brief.scene = "{scene}"
        brief.style = ["{style}"]
        brief.palette = ["{palette}"]
        brief.format = "horizontal-banner"
        brief.constraints.headlineSpace = .left
        brief.constraints.noText = true
        brief.constraints.noWatermark = true
        return make(
            "blog-banner",
            "Blog banner",
            "A wide article header with calm space on the left for the title, no text in the image.",
            brief: brief,
            variables: [
                .init(name: "topic", help: "what the article is about, as a picture"),
                .init(name: "scene", required: false, defaultValue: "", help: "where it happens"),
                .init(name: "style", required: false, defaultValue: "editorial"),
                .init(name: "palette", required: false, defaultValue: "fresh-minimalist"),
            ]
        )
    }()

    public static let productHero: Template = {
        var brief = Brief(subject: "{product}")
        brief.useCase = "product hero image"
        brief.scene = "{setting}"
        brief.style = ["photorealistic"]
        brief.palette = ["{palette}"]
        brief.format = "{format}"
        brief.constraints.noText = true
        brief.constraints.noWatermark = true
        brief.constraints.noLogos = true
        brief.avoid = ["clutter", "distorted product shape"]
        return make(
            "product-hero",
            "Product hero",
            "The product as the one subject, sharp and true to life, on a clean set.",
            brief: brief,
            variables: [
                .init(name: "product", help: "the product, with its material and colour"),
                .init(name: "setting", required: false, defaultValue: "on a clean studio set with soft shadows"),
                .init(name: "palette", required: false, defaultValue: "business-neutral"),
                .init(name: "format", required: false, defaultValue: "square-social"),
            ],
            quality: "high"
        )
    }()

    public static let paidSocial: Template = {
        var brief = Brief(subject: "{subject}")
        brief.useCase = "paid social ad"
        brief.scene = "{scene}"
        brief.style = ["{style}"]
        brief.palette = ["bright-vivid"]
        brief.format = "feed-4x5"
        brief.headline = "{headline}"
        brief.constraints.headlineSpace = .top
        brief.constraints.noWatermark = true
        return make(
            "paid-social",
            "Paid social (4:5)",
            "A 4:5 feed ad with space at the top for copy and an optional headline in the image.",
            brief: brief,
            variables: [
                .init(name: "subject", help: "what the ad shows"),
                .init(name: "scene", required: false, defaultValue: ""),
                .init(name: "style", required: false, defaultValue: "photorealistic"),
                .init(name: "headline", required: false, defaultValue: "", help: "words to show in the image, if any"),
            ]
        )
    }()

    public static let ecommerceScene: Template = {
        var brief = Brief(subject: "{product}")
        brief.useCase = "e-commerce lifestyle scene"
        brief.scene = "{scene}"
        brief.style = ["photorealistic", "editorial"]
        brief.palette = ["warm-earthy"]
        brief.format = "landscape"
        brief.constraints.noText = true
        brief.constraints.noLogos = true
        return make(
            "ecommerce-scene",
            "E-commerce lifestyle scene",
            "The product in use in a believable place, for a shop's gallery.",
            brief: brief,
            variables: [
                .init(name: "product", help: "the product"),
                .init(name: "scene", help: "where it is used, e.g. on a breakfast table in morning light"),
            ]
        )
    }()

    public static let appOnboarding: Template = {
        var brief = Brief(subject: "{concept}")
        brief.useCase = "app onboarding illustration"
        brief.style = ["flat", "minimalist"]
        brief.palette = ["{palette}"]
        brief.format = "vertical-portrait"
        brief.constraints.noText = true
        brief.constraints.background = .plain
        return make(
            "app-onboarding",
            "App onboarding illustration",
            "A friendly flat illustration of one idea per screen.",
            brief: brief,
            variables: [
                .init(name: "concept", help: "the idea of this screen, e.g. a calendar that fills itself"),
                .init(name: "palette", required: false, defaultValue: "pastel"),
            ]
        )
    }()
}
