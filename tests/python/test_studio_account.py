"""The account page: the plan and images left today, a generation taking one away and showing up as a bar
in the usage chart, the balance as money, and API keys (shown once, working, revoked → 401)."""
import json
import re
import time
import urllib.error

from studio_kit import api, make_user

# Submits a draft job from inside the page (a guest has no key: the session cookie is the only way in),
# then waits until it has finished. Returns the job as JSON, or the error text.
GENERATE = """
const done = arguments[arguments.length - 1];
(async () => {
  const response = await fetch("/api/jobs", {method: "POST", headers: {"Content-Type": "application/json"},
    body: JSON.stringify({model: "easel-draft", prompt: "a paper boat on a pond", size: "1024x1024", n: 1})});
  let job = await response.json();
  if (!response.ok) return done("HTTP " + response.status + " " + JSON.stringify(job));
  for (let i = 0; i < 200 && !["succeeded", "failed", "cancelled"].includes(job.status); i++) {
    await new Promise((r) => setTimeout(r, 100));
    job = await (await fetch("/api/jobs/" + job.id)).json();
  }
  done(JSON.stringify(job));
})().catch((e) => done("error " + e));
"""


def images_left(studio):
    return int(studio.tid("account-images-left").get_attribute("data-remaining"))


def test_guest_quota_goes_down_and_usage_shows_a_bar(studio):
    studio.open("/signin?next=/account", "signin")
    studio.click("guest")
    studio.wait_page("account")
    assert images_left(studio) == 3
    assert "3 of 3" in studio.text("account-images-left")
    assert "guest" in studio.text("account-plan")
    assert "easel-draft" in studio.text("account-plan"), "the plan's limits are listed"
    assert re.fullmatch(r"\$\d+\.\d{2}", studio.text("balance-value")), studio.text("balance-value")
    # No usage yet: a deliberate empty state, not an empty chart.
    assert studio.tids("usage-empty") and not studio.tids("usage-chart")
    # Guests cannot have keys: a plain note instead of a form that would fail.
    assert studio.tids("key-guest-note") and not studio.tids("key-create")
    studio.shoot("account-guest-new")

    job = studio.driver.execute_async_script(GENERATE)
    assert job.startswith("{"), job
    assert json.loads(job)["status"] == "succeeded", job
    # The page hears about finished work and redraws; a reload shows the same.
    studio.driver.execute_script("window.dispatchEvent(new Event('easel:changed'))")
    studio.wait(lambda d: images_left(studio) == 2)
    assert studio.text("images-left") == "2 images left today"
    studio.driver.refresh()
    studio.wait_page("account")
    assert images_left(studio) == 2
    assert "2 of 3" in studio.text("account-images-left")
    bars = studio.tids("usage-bar")
    assert len(bars) == 30, "one bar per day of the last 30 days"
    made = [b for b in bars if b.get_attribute("data-images") != "0"]
    assert len(made) == 1 and made[0].get_attribute("data-images") == "1"
    assert made[0] == bars[-1], "today is the last bar"
    assert float(made[0].get_attribute("height")) > 50, "the only day with images fills the chart's height"
    assert "1 image since" in studio.text("usage-totals")
    # Axes are labelled.
    chart_text = studio.tid("usage-chart").text
    assert "images" in chart_text and "day (UTC)" in chart_text
    studio.shoot("account-guest-after")


def test_keys_shown_once_work_and_revoke(studio, easel):
    name = f"acct-{time.time_ns() % 10**8}"
    key = make_user(easel["data"], name, plan="registered")
    studio.sign_in_with_key(key, "/account")
    studio.wait_page("account")
    assert images_left(studio) == 20
    assert "registered" in studio.text("account-plan")
    assert studio.text("balance-value") == "$0.00"
    rows = studio.tids("key-row")
    assert len(rows) == 1, "the key made by the operator is listed"
    assert key not in studio.tid("key-list").text, "a listed key shows only its prefix"
    assert key[:10] in studio.tid("key-list").text

    studio.type("key-name", "ci runner")
    studio.click("key-create")
    secret = studio.wait(lambda d: studio._clickable("key-secret"))
    new_key = secret.get_attribute("value")
    assert new_key.startswith("esk_") and len(new_key) > 20
    assert "you will not see it again" in studio.driver.find_element("css selector", ".secret-once").text
    studio.wait(lambda d: len(studio.tids("key-row")) == 2)
    assert "ci runner" in studio.tid("key-list").text
    assert new_key not in studio.tid("key-list").text
    studio.click("key-copy")
    studio.wait(lambda d: studio.tid("key-copy").text == "Copied")
    studio.shoot("account-key-created")
    assert api(easel["base"], new_key, "GET", "/api/me")["name"] == name

    # Shown once: after a reload it is gone from the page.
    studio.driver.refresh()
    studio.wait_page("account")
    assert not studio.tids("key-secret")
    assert new_key not in studio.driver.page_source

    row = next(r for r in studio.tids("key-row") if "ci runner" in r.text)
    studio.tid("key-revoke", row).click()
    studio.tid("key-revoke-confirm", row).click()
    studio.wait(lambda d: d.execute_script(
        "return [...document.querySelectorAll('[data-testid=key-row]')].some((r) => r.textContent.includes('ci runner') && r.querySelector('[data-testid=key-revoked]'))"))
    try:
        api(easel["base"], new_key, "GET", "/api/me")
        raise AssertionError("a revoked key must not work")
    except urllib.error.HTTPError as error:
        assert error.code == 401
    # The operator's key still works and the session goes on.
    assert api(easel["base"], key, "GET", "/api/me")["name"] == name
    studio.shoot("account-key-revoked")
