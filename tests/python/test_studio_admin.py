"""The admin page: users and plans (create with a password, credits, plan changes), the reports queue with
hide and delete, moderation events, usage across users, queue health and everyone's jobs; and the plain
"admins only" page (with no Admin link) for everyone else."""
import json
import time
import urllib.error
import urllib.request

from selenium.webdriver.support.ui import Select

from studio_kit import api, make_draft_image, make_user


def row_of(studio, testid, attribute, value):
    found = studio.css(f'[data-testid="{testid}"][{attribute}="{value}"]')
    return found[0] if found else None


def test_admin_page(studio, easel):
    base = easel["base"]
    stamp = time.time_ns() % 10**7
    admin_name, other_name, new_name = f"adm-{stamp}", f"rep-{stamp}", f"new-{stamp}"
    admin_key = make_user(easel["data"], admin_name, plan="unlimited", role="admin")
    me_id = api(easel["base"], admin_key, "GET", "/api/me")["id"]
    other_key = make_user(easel["data"], other_name, plan="registered")
    other_job, other_image = make_draft_image(base, other_key, "a harbour at dawn")
    _, own_image = make_draft_image(base, admin_key, "a lamp on a desk")
    # Only an image's owner can report it.
    api(base, other_key, "POST", f"/api/assets/{other_image}/reports", {"reason": "not what I asked for"})
    api(base, admin_key, "POST", f"/api/assets/{own_image}/reports", {"reason": "testing the queue"})

    studio.sign_in_with_key(admin_key, "/admin")
    studio.wait_page("admin")
    assert studio.tid("nav-admin").is_displayed()
    assert studio.tid("admin-tab-users").get_attribute("aria-selected") == "true"
    names = [r.get_attribute("data-user-name") for r in studio.tids("admin-user-row")]
    assert admin_name in names and other_name in names
    # The open reports are counted on their tab.
    studio.wait(lambda d: studio.text("report-count").isdigit() and int(studio.text("report-count")) >= 2)

    # A new user with a password and a plan; they can log in with it.
    studio.type("admin-new-user-name", new_name)
    studio.type("admin-new-user-password", "correct horse 42")
    Select(studio.tid("admin-new-user-plan")).select_by_value("premium")
    studio.click("admin-create-user")
    row = studio.wait(lambda d: row_of(studio, "admin-user-row", "data-user-name", new_name))
    assert Select(studio.tid("admin-plan-select", row)).first_selected_option.get_attribute("value") == "premium"
    assert studio.tid("admin-user-balance", row).text == "$0.00"
    login = urllib.request.Request(base + "/api/auth/login", data=json.dumps({"name": new_name, "password": "correct horse 42"}).encode(),
                                   method="POST", headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(login, timeout=10) as response:
        assert json.load(response)["user"]["plan"]["name"] == "premium"

    # Credits: the balance updates in place.
    studio.tid("admin-credit-amount", row).send_keys("12.5")
    studio.tid("admin-credit-grant", row).click()
    studio.wait(lambda d: studio.tid("admin-user-balance", row).text == "$12.50")
    # A plan change is saved.
    Select(studio.tid("admin-plan-select", row)).select_by_value("registered")
    studio.wait(lambda d: any(t.text == f"{new_name} is now on registered." for t in studio.tids("toast")))
    assert studio.tid("admin-user-limit", row).text == "20 images a day"
    saved = next(u for u in api(base, admin_key, "GET", "/api/admin/users")["data"] if u["name"] == new_name)
    assert saved["plan"]["name"] == "registered" and saved["balance_usd"].startswith("12.5")
    # Disabled: their password no longer signs in; enabled again, it does. The admin's own row offers neither.
    studio.tid("admin-user-disable", row).click()
    studio.wait(lambda d: studio.tid("admin-user-disable", row).get_attribute("aria-pressed") == "true")
    assert next(u for u in api(base, admin_key, "GET", "/api/admin/users")["data"] if u["name"] == new_name)["disabled"] is True
    try:
        urllib.request.urlopen(login, timeout=10)
        raise AssertionError("a disabled user signed in")
    except urllib.error.HTTPError as refused:
        assert refused.code == 401
    studio.tid("admin-user-disable", row).click()
    studio.wait(lambda d: studio.tid("admin-user-disable", row).get_attribute("aria-pressed") == "false")
    with urllib.request.urlopen(login, timeout=10) as response:
        assert json.load(response)["user"]["name"] == new_name
    # A role change is saved.
    Select(studio.tid("admin-role-select", row)).select_by_value("admin")
    studio.wait(lambda d: next(u for u in api(base, admin_key, "GET", "/api/admin/users")["data"] if u["name"] == new_name)["role"] == "admin")
    own = row_of(studio, "admin-user-row", "data-user-id", me_id)
    assert not studio.tids("admin-user-disable", own) and not studio.tids("admin-role-select", own)
    studio.shoot("admin-users")

    # Reports: the admin sees each reported image (a signed thumbnail link), anyone's.
    studio.click("admin-tab-reports")
    studio.wait(lambda d: row_of(studio, "report-row", "data-asset-id", other_image) and row_of(studio, "report-row", "data-asset-id", own_image))
    assert "/admin?tab=reports" in studio.driver.current_url
    theirs = row_of(studio, "report-row", "data-asset-id", other_image)
    assert "not what I asked for" in theirs.text and other_name in theirs.text and other_image in theirs.text
    their_picture = theirs.find_element("css selector", "img")
    studio.wait(lambda d: d.execute_script("return arguments[0].complete && arguments[0].naturalWidth", their_picture) > 0)
    assert "/files/" + other_image + "/thumb?exp=" in their_picture.get_attribute("src")
    mine = row_of(studio, "report-row", "data-asset-id", own_image)
    picture = mine.find_element("css selector", "img")
    studio.wait(lambda d: d.execute_script("return arguments[0].complete && arguments[0].naturalWidth", picture) > 0)
    studio.shoot("admin-reports")

    studio.tid("report-hide", theirs).click()
    studio.wait(lambda d: row_of(studio, "report-row", "data-asset-id", other_image) is None)
    try:
        api(base, other_key, "GET", f"/api/assets/{other_image}")
        raise AssertionError("a hidden image must be gone for its owner")
    except urllib.error.HTTPError as error:
        assert error.code == 404
    studio.tid("report-delete", mine).click()
    studio.tid("report-delete-confirm", mine).click()
    studio.wait(lambda d: row_of(studio, "report-row", "data-asset-id", own_image) is None)
    assert not [r for r in api(base, admin_key, "GET", "/api/admin/reports")["data"] if r["asset_id"] in (own_image, other_image)]

    # Moderation events: the hide and the delete are recorded; the kind filter narrows them.
    studio.click("admin-tab-moderation")
    studio.wait(lambda d: studio.tids("moderation-row"))
    kinds = {r.get_attribute("data-kind") for r in studio.tids("moderation-row")}
    assert {"hidden", "deleted", "report"} <= kinds
    Select(studio.tid("admin-moderation-kind")).select_by_value("hidden")
    studio.wait(lambda d: {r.get_attribute("data-kind") for r in studio.tids("moderation-row")} == {"hidden"})
    studio.shoot("admin-moderation")

    # Usage across users: both users' images are counted.
    studio.click("admin-tab-usage")
    studio.wait(lambda d: studio.tids("admin-usage-row"))
    users = {u["name"]: u["id"] for u in api(base, admin_key, "GET", "/api/admin/users")["data"]}
    for name in (admin_name, other_name):
        usage_row = row_of(studio, "admin-usage-row", "data-user-id", users[name])
        assert usage_row is not None and name in usage_row.text
    assert any(b.get_attribute("data-images") != "0" for b in studio.tids("usage-bar"))
    studio.shoot("admin-usage")

    # Jobs and queue health.
    studio.click("admin-tab-jobs")
    studio.wait(lambda d: studio.tids("queue-count") and studio.tids("admin-job-row"))
    counts = {t.get_attribute("data-status"): int(t.find_element("css selector", ".count-value").text) for t in studio.tids("queue-count")}
    assert counts["succeeded"] >= 2 and "queued" in counts and "failed" in counts
    job_row = row_of(studio, "admin-job-row", "data-job-id", other_job)
    assert job_row is not None and other_name in job_row.text and "a harbour at dawn" in job_row.text
    Select(studio.tid("admin-jobs-status")).select_by_value("failed")
    studio.wait(lambda d: all(r.get_attribute("data-status") == "failed" for r in studio.tids("admin-job-row")) and
                (studio.tids("admin-job-row") or studio.tids("empty")))
    Select(studio.tid("admin-jobs-status")).select_by_value("")
    studio.wait(lambda d: row_of(studio, "admin-job-row", "data-job-id", other_job))
    studio.shoot("admin-jobs")

    # The tab survives a reload.
    studio.driver.refresh()
    studio.wait_page("admin")
    assert studio.tid("admin-tab-jobs").get_attribute("aria-selected") == "true"
    assert studio.tids("queue-count")

    # Anyone else: no Admin link, and the page says so plainly (and asks the API nothing).
    studio.click("sign-out")
    studio.wait_page("signin")
    studio.sign_in_with_key(other_key, "/admin")
    studio.wait_page("admin")
    assert not studio.tid("nav-admin").is_displayed()
    assert "Admins only" in studio.text("admin-only")
    assert not studio.tids("admin-users") and not studio.tids("admin-tab-users")
    studio.shoot("admin-not-admin")
