"""The studio's Gallery: 32 draft images page in as the grid scrolls; search and filters narrow it and stay in the
URL across a reload; a selection is favorited, added to a collection made in the side list, exported as a zip
and deleted, each confirmed through the API."""
import io
import json
import os
import tempfile
import time
import urllib.error
import uuid
import zipfile

from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select

from studio_kit import api, make_user, texts

SUBJECTS = ["lighthouse", "teapot", "bicycle", "orchid", "glacier", "violin", "lantern", "cactus"]


def tile_ids(studio):
    return studio.driver.execute_script("return [...document.querySelectorAll('[data-testid=gallery-tile]')].map((t) => t.dataset.id)")


def loaded_thumbs(studio):
    return studio.driver.execute_script(
        "return [...document.querySelectorAll('[data-testid=gallery-tile] img')].filter((i) => i.complete && i.naturalWidth > 0).length")


def test_gallery_scrolls_filters_selects_and_acts_in_bulk(studio, easel):
    base = easel["base"]
    name = "curator-" + uuid.uuid4().hex[:8]
    key = make_user(easel["data"], name, plan="premium")
    downloads = tempfile.mkdtemp(prefix="easel-gallery-dl-")
    studio.driver.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": downloads})
    studio.driver.set_window_size(1400, 700)

    # Nothing made yet: an empty state that leads to Create, and no bulk action to press.
    studio.sign_in_with_key(key, next_path="/gallery")
    studio.wait_page("gallery")
    studio.wait(lambda d: studio.tids("empty"))
    assert "No images yet" in studio.text("empty")
    assert studio.tid("gallery-empty-create").get_attribute("href").endswith("/create")
    assert studio.tid("bulk-delete").get_attribute("disabled") and studio.tids("error") == []
    studio.shoot("gallery-empty")

    for subject in SUBJECTS:  # 8 × 4 = 32 images, newest last
        api(base, key, "POST", "/v1/images/generations",
            {"model": "easel-draft", "prompt": f"a watercolor {subject} study", "n": 4, "size": "256x256"})
    everything = api(base, key, "GET", "/api/assets?limit=100")["data"]
    assert len(everything) == 32
    studio.open("/gallery")

    # The first page, then the rest as the grid scrolls to its end.
    studio.wait(lambda d: len(studio.tids("gallery-tile")) == 24)
    time.sleep(0.5)
    assert len(studio.tids("gallery-tile")) == 24, "only one page before scrolling"
    assert tile_ids(studio) == [a["id"] for a in everything[:24]], "newest first"
    first = studio.tids("gallery-tile")[0]
    assert first.find_element("css selector", "a").get_attribute("href").endswith("/images/" + everything[0]["id"])
    studio.wait(lambda d: loaded_thumbs(studio) >= 12)
    studio.driver.execute_script("document.querySelector('[data-testid=gallery-sentinel]').scrollIntoView()")
    studio.wait(lambda d: len(studio.tids("gallery-tile")) == 32)
    assert tile_ids(studio) == [a["id"] for a in everything]
    assert not studio.tid("gallery-more").is_displayed(), "nothing more to load"
    studio.shoot("gallery")

    # Search narrows the grid to one subject; the URL carries it.
    studio.type("gallery-search", "lighthouse")
    studio.wait(lambda d: len(studio.tids("gallery-tile")) == 4)
    assert "q=lighthouse" in studio.driver.current_url
    assert all("lighthouse" in t for t in texts(studio, "gallery-tile"))
    studio.type("gallery-search", "nothingmatchesthis")
    studio.wait(lambda d: studio.tids("empty") and not studio.tids("gallery-tile"))
    assert "No image matches" in studio.text("empty")
    studio.shoot("gallery-no-match")
    studio.type("gallery-search", " ")
    studio.wait(lambda d: len(studio.tids("gallery-tile")) == 24)
    assert "q=" not in studio.driver.current_url

    # Select three and favorite them: the API agrees.
    studio.wait(lambda d: studio.tids("bulk-favorite")[0].get_attribute("disabled"))
    chosen = tile_ids(studio)[2:5]
    for box in studio.tids("tile-select")[2:5]:
        box.click()
    assert studio.text("selection-count") == "3 selected"
    studio.click("bulk-favorite")
    studio.wait(lambda d: len(studio.tids("tile-favorite")) == 3)
    favorites = api(base, key, "GET", "/api/assets?favorite=true")["data"]
    assert sorted(a["id"] for a in favorites) == sorted(chosen)

    # Shift-click selects a range, and the range is sent to review; the review filter finds exactly those.
    studio.click("select-all")  # some selected: all of them now
    assert studio.text("selection-count") == "24 selected"
    studio.click("select-all")
    assert studio.text("selection-count") == "None selected"
    boxes = studio.tids("tile-select")
    boxes[6].click()
    ActionChains(studio.driver).key_down(Keys.SHIFT).click(boxes[9]).key_up(Keys.SHIFT).perform()
    assert studio.text("selection-count") == "4 selected"
    ranged = tile_ids(studio)[6:10]
    studio.click("bulk-review")
    studio.wait(lambda d: texts(studio, "gallery-tile")[6].startswith("In review"))
    in_review = api(base, key, "GET", "/api/assets?review=in_review")["data"]
    assert sorted(a["id"] for a in in_review) == sorted(ranged)
    Select(studio.tid("filter-review")).select_by_value("in_review")
    studio.wait(lambda d: sorted(tile_ids(studio)) == sorted(ranged))
    Select(studio.tid("filter-review")).select_by_value("")
    studio.wait(lambda d: len(studio.tids("gallery-tile")) == 24)

    # Filter favorites; a reload keeps the filter (it lives in the URL).
    Select(studio.tid("filter-favorite")).select_by_value("true")
    studio.wait(lambda d: sorted(tile_ids(studio)) == sorted(chosen))
    assert "favorite=true" in studio.driver.current_url
    studio.driver.refresh()
    studio.wait_page("gallery")
    studio.wait(lambda d: sorted(tile_ids(studio)) == sorted(chosen))
    assert Select(studio.tid("filter-favorite")).first_selected_option.get_attribute("value") == "true"
    assert studio.text("selection-count") == "None selected"
    studio.shoot("gallery-favorites")

    # A collection made in the side list; two images added to it from the selection.
    studio.type("collection-new-name", "Launch picks")
    studio.click("collection-create")
    studio.wait(lambda d: [t.split("\n")[0] for t in texts(studio, "collection-item")] == ["Launch picks"])
    collection = api(base, key, "GET", "/api/collections")["data"][0]
    assert collection["name"] == "Launch picks" and collection["count"] == 0
    picked = tile_ids(studio)[:2]
    for box in studio.tids("tile-select")[:2]:
        box.click()
    Select(studio.tid("bulk-collection")).select_by_value(collection["id"])
    studio.click("bulk-collection-add")
    studio.wait(lambda d: texts(studio, "collection-item")[0].endswith("2"))
    assert api(base, key, "GET", f"/api/collections/{collection['id']}")["count"] == 2
    members = api(base, key, "GET", f"/api/assets?collection={collection['id']}")["data"]
    assert sorted(a["id"] for a in members) == sorted(picked)

    # Clicking the collection in the side list filters the grid by it.
    Select(studio.tid("filter-favorite")).select_by_value("")
    studio.wait(lambda d: len(studio.tids("gallery-tile")) == 24)
    studio.click("collection-item")
    studio.wait(lambda d: sorted(tile_ids(studio)) == sorted(picked))
    assert f"collection={collection['id']}" in studio.driver.current_url
    assert Select(studio.tid("filter-collection")).first_selected_option.get_attribute("value") == collection["id"]
    assert studio.tids("collection-item")[0].get_attribute("aria-pressed") == "true"

    # Export the selection (select all loaded): a zip with both images and the manifests.
    studio.click("select-all")
    assert studio.text("selection-count") == "2 selected"
    studio.shoot("gallery-collection")
    studio.click("bulk-export")
    deadline = time.time() + 30
    zips = []
    while time.time() < deadline:
        zips = [f for f in os.listdir(downloads) if f.endswith(".zip")]
        if zips:
            break
        time.sleep(0.2)
    assert zips, "the export was not downloaded"
    with zipfile.ZipFile(os.path.join(downloads, zips[0])) as archive:
        names = archive.namelist()
        images = [n for n in names if n.endswith(".png")]
        assert sorted(n.split("-", 1)[1][:-4] for n in images) == sorted(picked), names
        assert all(archive.read(n)[:8] == b"\x89PNG\r\n\x1a\n" for n in images)
        assert {"manifest.csv", "manifest.json"} <= set(names)
        assert json.loads(archive.read("manifest.json"))["count"] == 2

    # Delete one: a confirmation first, then it leaves the grid and the API.
    studio.click("select-all")  # clear
    assert studio.text("selection-count") == "None selected"
    doomed = tile_ids(studio)[0]
    studio.tids("tile-select")[0].click()
    studio.click("bulk-delete")
    assert f"Delete 1 image?" in studio.driver.find_element("css selector", ".gallery-confirm").text
    assert len(studio.tids("gallery-tile")) == 2, "nothing is deleted before the confirmation"
    studio.shoot("gallery-confirm-delete")
    studio.click("confirm-delete")
    studio.wait(lambda d: tile_ids(studio) == [i for i in picked if i != doomed])
    try:
        api(base, key, "GET", f"/api/assets/{doomed}")
        raise AssertionError("the deleted image is still there")
    except urllib.error.HTTPError as error:
        assert error.code == 404
    assert api(base, key, "GET", f"/api/collections/{collection['id']}")["count"] == 1
    studio.check_console()
