"""The studio's Review page: the queue of images sent to review, one image large with the checklist and its
evidence, approving with edited alt text (saved as a person's), keyboard culling (R rejects, Z undoes, arrows
move, and letters typed in a text field stay text), saving the approved image as a template, and the empty
state."""
import time
import uuid

from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.keys import Keys

from studio_kit import api, make_user, wait_job


def make_images(base, key, n=3):
    """`n` draft images from one brief, made through the job API and sent to review."""
    job = wait_job(base, key, api(base, key, "POST", "/api/jobs", {
        "model": "easel-draft", "size": "256x256", "n": n,
        "brief": {"subject": "a teal ceramic mug", "scene": "on an oak desk", "constraints": {"no_text": True}},
    }), timeout=60)
    ids = job["asset_ids"]
    assert len(ids) == n
    for asset in ids:
        assert api(base, key, "POST", f"/api/assets/{asset}/review", {"status": "in_review"})["status"] == "in_review"
    return ids


def press(studio, key):
    ActionChains(studio.driver).send_keys(key).perform()


def current_id(studio):
    return studio.driver.execute_script(
        'const b = document.querySelector(\'[data-testid="review-item"][aria-current="true"]\'); return b && b.dataset.id;')


def test_review_queue_approve_cull_undo_and_save_as_template(studio, easel):
    base = easel["base"]
    key = make_user(easel["data"], "rv-" + uuid.uuid4().hex[:6], plan="premium")
    ids = make_images(base, key)
    status = lambda asset: api(base, key, "GET", f"/api/assets/{asset}/review")  # noqa: E731

    studio.sign_in_with_key(key, next_path="/review")
    studio.wait_page("review")

    # The queue shows the three images; the first is shown large at its real size.
    studio.wait(lambda d: len(studio.tids("review-item")) == 3)
    queue = [item.get_attribute("data-id") for item in studio.tids("review-item")]
    assert sorted(queue) == sorted(ids)
    first = queue[0]
    assert current_id(studio) == first
    studio.wait(lambda d: studio.driver.execute_script(
        'const i = document.querySelector(\'[data-testid="review-image"]\'); return i && i.complete && i.naturalWidth > 0;'))
    size = studio.driver.execute_script(
        'const i = document.querySelector(\'[data-testid="review-image"]\'); return [i.naturalWidth, i.naturalHeight, i.getAttribute("src")];')
    assert size == [256, 256, f"/files/{first}"]
    assert studio.tid("review-status").get_attribute("data-status") == "in_review"

    # The checklist has the seven keys, each with its evidence and a pass/fail answer; the evidence panel
    # carries the brief's constraints and the cost in money.
    items = studio.tids("checklist-item")
    assert [i.get_attribute("data-key") for i in items] == [
        "brand_fit", "text_accuracy", "product_accuracy", "composition", "reuse_fit", "repeatability", "cost"]
    for item in items:
        assert studio.tids("check-pass", within=item) and studio.tids("check-fail", within=item)
        assert studio.tid("checklist-evidence", within=item).text.strip()
    assert "Subject: a teal ceramic mug" in items[2].text
    evidence = studio.text("review-evidence")
    assert "no text in the image" in evidence and "$" in evidence
    # The keys are on screen.
    assert [k.text for k in studio.css('[data-testid="review-keys"] .kbd')] == ["A", "R", "C", "←", "→", "Z"]

    # Alt text comes pre-filled with the suggestion.
    suggested = status(first)["suggested_alt_text"]
    assert suggested.startswith("A teal ceramic mug")
    assert studio.tid("alt-text").get_attribute("value") == suggested
    studio.shoot("review-queue")

    # Approving needs the checklist to fail nothing: a failed key is refused in plain words.
    studio.click("check-fail")
    studio.expect_http_errors(1)
    studio.click("approve")
    studio.wait(lambda d: studio.tids("error"))
    assert "request changes or reject" in studio.text("error")
    assert status(first)["status"] == "in_review"

    # Approve with edited alt text and a passing checklist: saved as a person's text.
    written = "A teal mug on an oak desk, photographed from the side."
    studio.type("alt-text", written)
    studio.click("checklist-all-pass")
    studio.wait(lambda d: d.execute_script(
        'return [...document.querySelectorAll(\'[data-testid="check-pass"]\')].map((b) => b.getAttribute("aria-pressed")).join()')
        == ",".join(["true"] * 7))
    studio.click("approve")
    studio.wait(lambda d: studio.tid("review-status").get_attribute("data-status") == "approved")
    state = status(first)
    assert state["status"] == "approved"
    assert state["alt_text"] == written and state["alt_source"] == "human"
    assert {c["key"]: c["result"] for c in state["checklist"]}["brand_fit"] == "pass"
    assert studio.tid("alt-text").get_attribute("value") == written, "a person's text is never replaced"

    # Save the approved image as a template: the template exists with the image's brief.
    studio.type("template-name", "Mug from review")
    studio.click("save-as-template")
    studio.wait(lambda d: studio.tids("saved-template-link"))
    templates = [t for t in api(base, key, "GET", "/api/templates")["data"] if t["name"] == "Mug from review"]
    assert len(templates) == 1
    template = templates[0]
    assert template["brief"]["subject"] == "a teal ceramic mug"
    assert template["brief"]["constraints"] == {"no_text": True}
    assert template["example_asset"] == first
    assert template["defaults"]["model"] == "easel-draft"
    assert studio.tid("saved-template-link").get_attribute("href").endswith(f"/templates/{template['id']}")
    studio.shoot("review-approved")

    # Keyboard culling. Letters typed in a text field are text, not shortcuts.
    second, third = queue[1], queue[2]
    studio.click("review-note")
    press(studio, "rz")
    assert studio.tid("review-note").get_attribute("value") == "rz"
    time.sleep(0.3)
    assert status(first)["status"] == "approved"
    studio.type("review-note", "")
    press(studio, Keys.ESCAPE)  # leaves the field; shortcuts work again
    press(studio, Keys.ARROW_RIGHT)
    studio.wait(lambda d: current_id(studio) == second)
    studio.wait(lambda d: studio.tid("review-image").get_attribute("src").endswith(f"/files/{second}"))
    # R rejects the current image and moves on to the next.
    press(studio, "r")
    studio.wait(lambda d: current_id(studio) == third)
    assert status(second)["status"] == "rejected"
    assert studio.css(f'[data-testid="review-item"][data-id="{second}"][data-status="rejected"]')
    # Z undoes it: the image is back in review, and shown again.
    press(studio, "z")
    studio.wait(lambda d: current_id(studio) == second)
    studio.wait(lambda d: studio.tid("review-status").get_attribute("data-status") == "in_review")
    assert status(second)["status"] == "in_review"
    # C asks for changes (with the note typed), then the buttons move too.
    studio.type("review-note", "Make the mug bigger")
    press(studio, Keys.ESCAPE)
    press(studio, "c")
    studio.wait(lambda d: current_id(studio) == third)
    changed = status(second)
    assert changed["status"] == "changes_requested" and changed["history"][-1]["note"] == "Make the mug bigger"
    press(studio, Keys.ARROW_LEFT)
    studio.wait(lambda d: current_id(studio) == second)
    studio.click("review-prev")
    studio.wait(lambda d: current_id(studio) == first)
    studio.click("review-next")
    studio.wait(lambda d: current_id(studio) == second)
    assert status(third)["status"] == "in_review", "moving decides nothing"
    studio.shoot("review-culled")

    # The other lists, and the empty state.
    studio.open("/review?status=changes_requested", "review")
    studio.wait(lambda d: [i.get_attribute("data-id") for i in studio.tids("review-item")] == [second])
    studio.open("/review?status=rejected", "review")
    studio.wait(lambda d: studio.tids("empty"))
    assert studio.tids("review-item") == []
    assert "No rejected images" in studio.text("empty")
    studio.shoot("review-empty")
