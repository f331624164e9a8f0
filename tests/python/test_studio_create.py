"""The studio's Create page in headless Chromium: a brief built from presets compiles live, shows its cost and
what the plan has left, and generates with partial previews before the image; errors read in plain words;
and the same page drives a real provider route (the fake OpenAI server)."""
import re
import uuid

from selenium.webdriver.support.ui import Select

from studio_kit import make_user, natural_size


def pick(studio, testid, value):
    Select(studio.tid(testid)).select_by_value(value)


def prompt_text(studio):
    return studio.text("compiled-prompt")


def images_left(studio):
    return int(studio.text("images-left").split()[0])


def test_brief_from_presets_generates_with_previews_then_the_image(studio):
    s = studio
    s.open("/signin")
    assert not s.css(".error"), "the sign-in page shows an error before anything was done"
    s.click("guest")
    s.wait_page("create")
    s.wait(lambda d: "Describe the subject" in prompt_text(s))
    assert not s.css(".error")
    assert "3 images left today" in s.text("plan-left")
    before = images_left(s)
    model = Select(s.tid("model"))
    assert model.first_selected_option.get_attribute("value") == "easel-draft"
    assert "offline draft, not AI" in model.first_selected_option.text
    assert [o.get_attribute("value") for o in Select(s.tid("n")).options] == ["1"], "a guest may ask for one image at a time"
    s.shoot("create-empty")

    s.type("brief-subject", "a ceramic mug on an oak desk")
    s.wait(lambda d: prompt_text(s).startswith("a ceramic mug on an oak desk."))
    plain = prompt_text(s)
    pick(s, "preset-style", "watercolor")
    pick(s, "preset-palette", "pastel")
    pick(s, "preset-format", "square-social")
    s.click("constraint-no_text")
    s.wait(lambda d: "No text" in prompt_text(s) and "watercolour painting" in prompt_text(s))
    compiled = prompt_text(s)
    assert compiled != plain
    assert "soft pastel palette" in compiled and "square composition" in compiled
    assert "$0.00" in s.text("cost-estimate")
    assert "1024 × 1024" in s.text("compiled-meta"), "the square format decides the size"

    pick(s, "size", "512x512")
    pick(s, "partials", "2")
    s.wait(lambda d: "512 × 512" in s.text("compiled-meta"))
    s.shoot("create-brief")

    s.click("generate")
    status = s.tid("job-status")
    s.wait(lambda d: status.get_attribute("data-status") in ("succeeded", "failed", "cancelled"))
    assert status.get_attribute("data-status") == "succeeded", status.text
    seen = status.get_attribute("data-seen").split()
    assert "running" in seen and "partial" in seen, seen
    assert seen.index("running") <= seen.index("partial") < seen.index("succeeded"), seen
    previews = s.tids("partial-preview")
    assert len(previews) == 2
    assert all(natural_size(s, p) == (512, 512) for p in previews)
    results = s.tids("result-image")
    assert len(results) == 1
    assert natural_size(s, results[0]) == (512, 512)
    link = results[0].find_element("xpath", "./ancestor::a")
    assert link.get_attribute("href").endswith("/images/" + results[0].get_attribute("data-asset"))
    s.wait(lambda d: images_left(s) == before - 1)
    s.wait(lambda d: f"{before - 1} images left today" in s.text("plan-left"))
    assert not s.css(".error")
    s.shoot("create-done")

    # A prompt past the model's limit: the server refuses it (compile, then generate) and the page says,
    # in plain words, what is wrong and what to do.
    s.expect_http_errors(2)
    s.driver.execute_script(
        "const t = arguments[0]; t.value = 'very long words '.repeat(2100); t.dispatchEvent(new Event('input', {bubbles: true}))",
        s.tid("brief-free-text"),
    )
    error = s.wait(lambda d: s.css('[data-testid="compile-error"] [data-testid="error"]'))[0]
    assert "too long" in error.text and "Shorten the free text" in error.text, error.text
    assert "No estimate" in s.text("cost-estimate")
    assert "does not compile" in prompt_text(s)
    s.click("generate")
    error = s.wait(lambda d: s.css('[data-testid="create-error"] [data-testid="error"]'))[0]
    assert "too long" in error.text and "Shorten the free text" in error.text, error.text
    assert images_left(s) == before - 1
    s.shoot("create-error")

    # "Try" from the Templates page: the template fills the brief; its variables are asked for.
    s.open("/create?template=blog-banner")
    assert Select(s.tid("template-picker")).first_selected_option.get_attribute("value") == "blog-banner"
    s.wait(lambda d: "Fill in topic" in prompt_text(s))
    s.type("template-var-topic", "remote work")
    s.wait(lambda d: prompt_text(s).startswith("remote work.") and "For a blog banner" in prompt_text(s))
    assert s.tid("brief-subject").get_attribute("value") == "remote work"
    assert Select(s.tid("preset-style")).first_selected_option.get_attribute("value") == "editorial"
    assert s.tid("constraint-no_text").is_selected()
    s.shoot("create-template")
    # Editing the brief itself makes it the user's own brief, started from the template.
    s.type("brief-scene", "a sunny home office")
    s.wait(lambda d: s.tids("template-detached") and "a sunny home office" in prompt_text(s))
    assert Select(s.tid("template-picker")).first_selected_option.get_attribute("value") == ""


def test_create_generates_on_a_provider_model(studio_openai, easel_openai):
    s = studio_openai
    key = make_user(easel_openai["data"], "create-" + uuid.uuid4().hex[:8], plan="unlimited")
    s.sign_in_with_key(key, "/create")
    s.wait_page("create")
    assert "No daily image limit" in s.text("plan-left")
    pick(s, "model", "gpt-image-2")
    s.type("brief-subject", "a lighthouse at dusk")
    pick(s, "preset-style", "photorealistic")
    pick(s, "size", "1024x1024")
    pick(s, "quality", "low")
    pick(s, "partials", "1")
    s.wait(lambda d: "photorealistic photograph" in prompt_text(s) and "gpt-image-2" in s.text("compiled-meta"))
    cost = s.text("cost-estimate")
    assert re.match(r"\$0\.0*[1-9]", cost), cost
    s.click("generate")
    status = s.tid("job-status")
    s.wait(lambda d: status.get_attribute("data-status") in ("succeeded", "failed", "cancelled"), timeout=60)
    assert status.get_attribute("data-status") == "succeeded", status.text
    assert len(s.tids("partial-preview")) == 1
    result = s.tids("result-image")[0]
    assert natural_size(s, result) == (1024, 1024)
    assert not s.css(".job-results .draft"), "a provider image is not labelled as a draft"
    s.shoot("create-openai")
