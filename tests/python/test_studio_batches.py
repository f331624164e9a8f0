"""The studio's Batches pages: a template × 6 CSV rows previewed (items and cost), run, followed live to 6/6 with
each item's thumbnail, and downloaded as a zip with 6 images and a manifest; the list links to it."""
import base64
import io
import json
import urllib.request
import uuid
import zipfile

from selenium.webdriver.support.ui import Select

from studio_kit import api, make_user

CITIES = ["Paris", "Tokyo", "Lima", "Oslo", "Cairo", "Quito"]


def fetch_bytes(studio, url):
    """GETs `url` inside the page (with its session cookie); returns (status, content type, bytes)."""
    result = studio.driver.execute_async_script("""
        const done = arguments[arguments.length - 1];
        fetch(arguments[0]).then(async (r) => {
          const bytes = new Uint8Array(await r.arrayBuffer());
          let text = "";
          for (let i = 0; i < bytes.length; i += 32768) text += String.fromCharCode.apply(null, bytes.subarray(i, i + 32768));
          done([r.status, r.headers.get("Content-Type"), btoa(text)]);
        }).catch((e) => done([0, String(e), ""]));
    """, url)
    return result[0], result[1], base64.b64decode(result[2])


def test_a_six_row_batch_previewed_run_followed_and_downloaded(studio, easel):
    name = "batcher-" + uuid.uuid4().hex[:8]
    key = make_user(easel["data"], name, plan="premium")
    template = api(easel["base"], key, "POST", "/api/templates", {"name": f"City poster {name}", "brief": {"subject": "a travel poster of {city}"}})
    assert [v["name"] for v in template["variables"]] == ["city"]
    studio.driver.set_script_timeout(30)

    # /batches with nothing run yet: the form, an empty list, the template offered.
    studio.sign_in_with_key(key, next_path="/batches")
    studio.wait_page("batches")
    studio.wait(lambda d: any(o.get_attribute("value") == template["id"] for o in Select(studio.tid("batch-template")).options))
    assert studio.tids("batch-row") == []
    picker = Select(studio.tid("batch-template"))
    picker.select_by_value(template["id"])
    # Picking the template puts its variables in the CSV's first line.
    studio.wait(lambda d: studio.tid("batch-csv").get_attribute("value").strip() == "city")
    Select(studio.tid("batch-model")).select_by_value("easel-draft")
    Select(studio.tid("batch-size")).select_by_value("256x256")
    studio.type("batch-csv", "city\n" + "\n".join(CITIES) + "\n")
    studio.shoot("batches-new")

    # An axis that is not a variable is refused in plain words, before any request.
    studio.type("batch-axis-name", "colour")
    studio.type("batch-axis-values", "red, blue")
    studio.click("batch-axis-add")
    assert "not a variable" in studio.text("error")

    # A size axis crosses every row with each size: 12 items; removed, the batch is 6 again.
    studio.type("batch-axis-name", "size")
    studio.type("batch-axis-values", "256x256, 512x512")
    studio.click("batch-axis-add")
    assert studio.tids("error") == [], "a good axis clears the complaint"
    assert "size: 256x256 · 512x512" in studio.text("batch-axis")
    studio.click("batch-preview")
    studio.wait(lambda d: len(studio.tids("batch-expansion-item")) == 12)
    sizes = [row.text.split()[-2] for row in studio.tids("batch-expansion-item")]
    assert sorted(set(sizes)) == ["256x256", "512x512"] and sizes.count("512x512") == 6
    studio.tid("batch-axis").find_element("css selector", "button").click()
    studio.wait(lambda d: studio.tids("batch-stale"))

    # The dry run: six items, each with its row's prompt, and a cost in money.
    studio.click("batch-preview")
    studio.wait(lambda d: len(studio.tids("batch-expansion-item")) == 6)
    rows = [row.text for row in studio.tids("batch-expansion-item")]
    for city, row in zip(CITIES, rows):
        assert city in row and "easel-draft" in row and "256x256" in row
    cost = studio.text("batch-cost")
    assert "$0.00" in cost and "6 items" in cost, cost
    assert api(easel["base"], key, "GET", "/api/batches")["data"] == [], "a preview runs nothing"
    studio.shoot("batches-preview")

    # Run: the page moves to the batch and follows it to 6/6, each item with its thumbnail.
    studio.click("batch-run")
    studio.wait(lambda d: "/batches/bat_" in d.current_url and d.execute_script("return document.body.dataset.page") == "batches")
    batch_id = studio.driver.current_url.rsplit("/", 1)[1]
    studio.wait(lambda d: studio.text("batch-progress").startswith("6 of 6 done"), timeout=60)
    studio.wait(lambda d: len(studio.tids("batch-item")) == 6 and all(
        i.get_attribute("data-status") == "succeeded" for i in studio.tids("batch-item")))
    studio.wait(lambda d: d.execute_script(
        "return [...document.querySelectorAll('[data-testid=batch-item] img')].filter((i) => i.complete && i.naturalWidth > 0).length") == 6)
    assert studio.text("batch-eta") == "Finished"
    assert not studio.tid("batch-cancel").is_displayed()
    assert not studio.tid("batch-retry").is_displayed(), "nothing failed, nothing to retry"
    shown = studio.driver.execute_script("return [...document.querySelectorAll('[data-testid=batch-item] p')].map((p) => p.textContent)")
    assert sorted(c for c in CITIES if any(c in text for text in shown)) == sorted(CITIES)
    assert api(easel["base"], key, "GET", f"/api/batches/{batch_id}")["counts"]["succeeded"] == 6
    studio.shoot("batch-finished")

    # The zip behind the download button: 6 PNGs and both manifests.
    link = studio.tid("batch-download")
    assert link.is_displayed()
    status, kind, data = fetch_bytes(studio, link.get_attribute("href"))
    assert status == 200 and kind == "application/zip"
    assert data[:4] == b"PK\x03\x04"
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = archive.namelist()
        images = [n for n in names if n.endswith(".png")]
        assert len(images) == 6, names
        assert all(archive.read(n)[:8] == b"\x89PNG\r\n\x1a\n" for n in images)
        manifest = json.loads(archive.read("manifest.json"))
        assert len(manifest["items"]) == 6
        assert "manifest.csv" in names

    # The list links to the batch, finished 6/6.
    studio.open("/batches")
    studio.wait(lambda d: len(studio.tids("batch-row")) == 1)
    row = studio.tids("batch-row")[0]
    assert row.get_attribute("data-id") == batch_id
    assert "6/6" in row.text and "finished" in row.text
    studio.shoot("batches-list")
    row.find_element("css selector", "a").click()
    studio.wait(lambda d: d.current_url.endswith("/batches/" + batch_id))
    studio.wait(lambda d: studio.text("batch-progress").startswith("6 of 6 done"))

    # A template made inline from the Batches page is picked at once, its variable heading the CSV.
    studio.open("/batches")
    studio.driver.find_element("css selector", "[data-testid=quick-template] summary").click()
    studio.type("quick-template-name", f"Pets {name}")
    studio.type("quick-template-subject", "a portrait of {animal}")
    studio.click("quick-template-create")
    studio.wait(lambda d: studio.tid("batch-csv").get_attribute("value").strip() == "animal")
    made = [t for t in api(easel["base"], key, "GET", "/api/templates")["data"] if t["name"] == f"Pets {name}"]
    assert len(made) == 1
    assert Select(studio.tid("batch-template")).first_selected_option.get_attribute("value") == made[0]["id"]
    studio.check_console()


def test_a_failed_item_is_retried_on_a_provider_route(studio_openai, easel_openai):
    """On gpt-image-2 through the fake OpenAI server, the provider refuses one item: the batch finishes with
    one failure said in plain words, and "Retry failed" runs that item again, to 3 of 3."""
    studio = studio_openai
    name = "retry-" + uuid.uuid4().hex[:8]
    key = make_user(easel_openai["data"], name, plan="unlimited")
    template = api(easel_openai["base"], key, "POST", "/api/templates", {"name": f"Mugs {name}", "brief": {"subject": "a {colour} mug"}})
    request = urllib.request.Request(easel_openai["fake"] + "/_fake/faults", method="POST",
                                     data=json.dumps({"faults": [{"kind": "moderation_blocked"}]}).encode(),
                                     headers={"Content-Type": "application/json"})
    urllib.request.urlopen(request).read()

    studio.sign_in_with_key(key, next_path="/batches")
    studio.wait_page("batches")
    studio.wait(lambda d: any(o.get_attribute("value") == template["id"] for o in Select(studio.tid("batch-template")).options))
    Select(studio.tid("batch-template")).select_by_value(template["id"])
    Select(studio.tid("batch-model")).select_by_value("gpt-image-2")
    studio.type("batch-csv", "colour\nred\ngreen\nblue\n")
    studio.click("batch-run")
    studio.wait(lambda d: "/batches/bat_" in d.current_url and d.execute_script("return document.body.dataset.page") == "batches")
    batch_id = studio.driver.current_url.rsplit("/", 1)[1]
    studio.wait(lambda d: studio.text("batch-eta") == "Finished with failures", timeout=60)
    assert studio.text("batch-progress").startswith("2 of 3 done · 1 failed")
    items = studio.tids("batch-item")
    statuses = [i.get_attribute("data-status") for i in items]
    assert sorted(statuses) == ["failed", "succeeded", "succeeded"], statuses
    failed = next(i for i in items if i.get_attribute("data-status") == "failed")
    assert "safety system" in failed.text, failed.text
    assert api(easel_openai["base"], key, "GET", f"/api/batches/{batch_id}")["counts"]["failed"] == 1
    retry = studio.tid("batch-retry")
    assert retry.is_displayed()
    studio.shoot("batch-with-a-failure")

    studio.click("batch-retry")
    studio.wait(lambda d: len(studio.tids("batch-item")) == 3 and all(
        i.get_attribute("data-status") == "succeeded" for i in studio.tids("batch-item")), timeout=60)
    studio.wait(lambda d: studio.text("batch-progress").startswith("3 of 3 done"))
    counts = api(easel_openai["base"], key, "GET", f"/api/batches/{batch_id}")["counts"]
    assert counts["succeeded"] == 3 and counts["failed"] == 0, counts
    assert not studio.tid("batch-retry").is_displayed()
