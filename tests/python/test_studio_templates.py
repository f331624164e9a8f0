"""The studio's Templates & brand kits pages: a template created in the page, edited into version 2, its
history and the diff between the versions, a conflicting change made elsewhere shown in plain words,
rollback, "Try" opening Create with the template; brand kits created, edited, listed and deleted."""
import uuid

from studio_kit import api, make_user, texts


def new_kit(studio):
    """Opens the new-kit form (from the top of the page: the sticky header may cover the button otherwise)."""
    studio.driver.execute_script("window.scrollTo(0, 0)")
    studio.click("brand-kit-new")
    studio.wait(lambda d: d.execute_script(
        'const n = document.querySelector(\'[data-testid="brand-kit-name"]\'); return !!n && n.value === "";'))


def subject_in_form(studio):
    return studio.tid("template-body").get_attribute("value")


def test_templates_create_edit_history_diff_conflict_rollback_and_try(studio, easel):
    base = easel["base"]
    key = make_user(easel["data"], "tp-" + uuid.uuid4().hex[:6], plan="premium")

    # The library: the built-in templates, none of the user's own yet.
    studio.sign_in_with_key(key, next_path="/templates")
    studio.wait_page("templates")
    studio.wait(lambda d: len(studio.tids("template-row")) >= 5)
    rows = {r.get_attribute("data-id") for r in studio.tids("template-row")}
    assert {"blog-banner", "product-hero", "paid-social", "ecommerce-scene", "app-onboarding"} <= rows
    assert "no templates yet" in studio.tid("template-list").text
    studio.wait(lambda d: studio.tids("empty", within=studio.tid("brand-kit-list")))
    studio.shoot("templates-empty")

    # Create one in the page.
    studio.click("template-new")
    studio.wait(lambda d: d.current_url.endswith("/templates/new"))
    studio.wait_page("templates")
    studio.type("template-name-input", "Launch hero")
    studio.type("template-body", "{product} on an oak desk")
    studio.type("brief-palette", "pastel")
    studio.wait(lambda d: [v.get_attribute("data-name") for v in studio.tids("template-variable")] == ["product"])
    studio.shoot("template-new")
    studio.click("template-save")
    studio.wait(lambda d: "/templates/tpl_" in d.current_url)
    template_id = studio.driver.current_url.rsplit("/", 1)[1]
    studio.wait(lambda d: len(studio.tids("template-version")) == 1)
    created = api(base, key, "GET", f"/api/templates/{template_id}")
    assert created["version"] == 1 and created["name"] == "Launch hero"
    assert created["brief"] == {"subject": "{product} on an oak desk", "palette": ["pastel"]}
    assert [v["name"] for v in created["variables"]] == ["product"]

    # Edit and save: version 2, with the history showing both and the diff showing the change.
    studio.type("template-body", "{product} on a marble counter")
    studio.type("template-note", "marble instead of oak")
    studio.click("template-save")
    studio.wait(lambda d: len(studio.tids("template-version")) == 2)
    assert studio.text("template-version-chip") == "v2"
    edited = api(base, key, "GET", f"/api/templates/{template_id}")
    assert edited["version"] == 2 and edited["brief"]["subject"] == "{product} on a marble counter"
    assert edited["brief"]["palette"] == ["pastel"], "fields not edited are kept"
    versions = [v.get_attribute("data-version") for v in studio.tids("template-version")]
    assert versions == ["2", "1"]
    assert "marble instead of oak" in studio.tids("template-version")[0].text
    studio.wait(lambda d: studio.tids("diff-change", within=studio.tid("template-diff")))
    changes = studio.tids("diff-change")
    assert [c.get_attribute("data-path") for c in changes] == ["brief.subject"]
    assert studio.text("diff-removed").endswith("{product} on an oak desk")
    assert studio.text("diff-added").endswith("{product} on a marble counter")
    assert studio.driver.execute_script(
        'const s = getComputedStyle(document.querySelector(\'[data-testid="diff-added"]\')); return s.backgroundColor;') != "rgba(0, 0, 0, 0)"
    studio.shoot("template-history")

    # Someone changes it elsewhere (version 3); saving from the page now says so in plain words, keeps the
    # edit in the form, and loads the newest version on request.
    api(base, key, "PUT", f"/api/templates/{template_id}", {**{k: edited[k] for k in ("name", "variables", "defaults")},
        "brief": {"subject": "{product} on a picnic table", "palette": ["pastel"]}}, headers={"If-Match": "2"})
    studio.type("template-body", "{product} on a glass shelf")
    studio.expect_http_errors(1)
    studio.click("template-save")
    studio.wait(lambda d: studio.tids("version-conflict"))
    conflict = studio.text("version-conflict")
    assert "Someone saved version 3" in conflict and "Your changes are still in the form" in conflict
    assert subject_in_form(studio) == "{product} on a glass shelf"
    assert api(base, key, "GET", f"/api/templates/{template_id}")["brief"]["subject"] == "{product} on a picnic table"
    studio.shoot("template-conflict")
    studio.click("conflict-reload")
    studio.wait(lambda d: subject_in_form(studio) == "{product} on a picnic table")
    studio.wait(lambda d: len(studio.tids("template-version")) == 3)

    # Roll back to version 1: published again as version 4, with version 1's text.
    studio.click("template-rollback")  # the first one listed is version 2 …
    studio.wait(lambda d: len(studio.tids("template-version")) == 4)
    assert api(base, key, "GET", f"/api/templates/{template_id}")["brief"]["subject"] == "{product} on a marble counter"
    rollback = [b for b in studio.tids("template-rollback")
                if b.find_element("xpath", "ancestor::li[1]").get_attribute("data-version") == "1"][0]
    rollback.click()
    studio.wait(lambda d: len(studio.tids("template-version")) == 5)
    latest = api(base, key, "GET", f"/api/templates/{template_id}")
    assert latest["version"] == 5 and latest["brief"]["subject"] == "{product} on an oak desk"
    studio.wait(lambda d: subject_in_form(studio) == "{product} on an oak desk")
    assert "rollback to version 1" in studio.tids("template-version")[0].text
    # The diff picker compares any two versions.
    studio.wait(lambda d: studio.tid("template-diff").get_attribute("data-to") == "5")
    assert studio.text("diff-removed").endswith("{product} on a marble counter")
    assert studio.text("diff-added").endswith("{product} on an oak desk")

    # A built-in template is read-only; "Make a copy" starts a new one from its body.
    studio.open("/templates/product-hero", "templates")
    studio.wait(lambda d: len(studio.tids("template-version")) == 1)
    assert studio.tids("template-readonly") and studio.tids("template-save") == []
    assert studio.tid("template-body").get_attribute("disabled") is not None
    studio.click("template-copy")
    studio.wait(lambda d: d.current_url.endswith("/templates/new?from=product-hero"))
    studio.wait(lambda d: studio.tids("template-name-input")
                and studio.tid("template-name-input").get_attribute("value") == "Copy of Product hero")
    assert "{product}" in subject_in_form(studio)

    # The library lists it; "Try" opens Create with the template.
    studio.open("/templates")
    studio.wait(lambda d: studio.css(f'[data-testid="template-row"][data-id="{template_id}"]'))
    studio.open(f"/templates/{template_id}", "templates")
    try_link = studio.tid("template-try")
    assert try_link.get_attribute("href").endswith(f"/create?template={template_id}")
    try_link.click()
    studio.wait(lambda d: d.current_url.endswith(f"/create?template={template_id}"))
    studio.wait_page("create")


def test_brand_kits_created_edited_listed_and_deleted(studio, easel):
    base = easel["base"]
    key = make_user(easel["data"], "bk-" + uuid.uuid4().hex[:6], plan="premium")
    studio.sign_in_with_key(key, next_path="/templates")
    studio.wait_page("templates")

    new_kit(studio)
    studio.type("brand-kit-name", "Acme")
    studio.type("brand-kit-palette", "business-neutral")
    studio.type("brand-kit-colors", "#0A7E8C, #F2B705")
    studio.type("brand-kit-banned", "cheap")
    studio.click("kit-no-watermark")
    studio.shoot("brand-kit-form")
    studio.click("brand-kit-save")
    studio.wait(lambda d: len(studio.tids("brand-kit-row")) == 1)
    assert "Acme" in texts(studio, "brand-kit-row")[0]
    kits = api(base, key, "GET", "/api/brand-kits")["data"]
    assert len(kits) == 1
    kit = kits[0]
    assert kit["name"] == "Acme" and kit["colors"] == ["#0A7E8C", "#F2B705"] and kit["banned_words"] == ["cheap"]
    assert kit["palette"] == ["business-neutral"] and kit["constraints"] == {"no_watermark": True}
    assert len(studio.css('[data-testid="brand-kit-row"] .tp-swatch')) == 2

    # Edit: the form comes back filled; the change is saved.
    studio.click("brand-kit-edit")
    studio.wait(lambda d: studio.tids("brand-kit-colors"))
    assert studio.tid("brand-kit-colors").get_attribute("value") == "#0A7E8C, #F2B705"
    studio.type("brand-kit-name", "Acme Co")
    studio.type("brand-kit-style", "flat")
    studio.click("brand-kit-save")
    studio.wait(lambda d: any("Acme Co" in t for t in texts(studio, "brand-kit-row")))
    kit = api(base, key, "GET", f"/api/brand-kits/{kit['id']}")
    assert kit["name"] == "Acme Co" and kit["style"] == ["flat"] and kit["banned_words"] == ["cheap"]

    # A second one, then deleted (it asks twice).
    new_kit(studio)
    studio.type("brand-kit-name", "Temporary")
    studio.click("brand-kit-save")
    studio.wait(lambda d: len(studio.tids("brand-kit-row")) == 2)
    studio.shoot("brand-kits")
    temporary = [r for r in studio.tids("brand-kit-row") if "Temporary" in r.text][0]
    delete = studio.tid("brand-kit-delete", within=temporary)
    delete.click()
    assert delete.text == "Really delete?"
    assert len(api(base, key, "GET", "/api/brand-kits")["data"]) == 2
    delete.click()
    studio.wait(lambda d: len(studio.tids("brand-kit-row")) == 1)
    assert [k["name"] for k in api(base, key, "GET", "/api/brand-kits")["data"]] == ["Acme Co"]

    # A bad colour is refused in plain words, naming the field.
    new_kit(studio)
    studio.type("brand-kit-name", "Bad")
    studio.type("brand-kit-colors", "teal")
    studio.expect_http_errors(1)
    studio.click("brand-kit-save")
    studio.wait(lambda d: studio.tids("error"))
    assert "teal" in studio.text("error")

    # The template editor offers the kit as a default.
    studio.open("/templates/new", "templates")
    options = studio.driver.execute_script(
        'return [...document.querySelector(\'[data-testid="template-brand-kit"]\').options].map((o) => o.textContent);')
    assert "Acme Co" in options
