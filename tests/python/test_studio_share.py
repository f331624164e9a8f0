"""A share link made on the Image page opens in a fresh browser with no cookies (the image loads, nothing of the
account shows), and stops opening once revoked."""
import json
import time
import urllib.request
import uuid

from selenium.webdriver.support.ui import WebDriverWait

from studio_kit import Studio, make_user, new_driver


def call(base, key, method, path, body=None):
    headers = {"Authorization": f"Bearer {key}"}
    data = None
    if body is not None:
        headers["Content-Type"] = "application/json"
        data = json.dumps(body).encode()
    request = urllib.request.Request(base + path, data=data, method=method, headers=headers)
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def test_share_link_opens_without_signing_in(studio, easel):
    base, s = easel["base"], studio
    name = "share-" + uuid.uuid4().hex[:8]
    key = make_user(easel["data"], name, plan="premium")
    job = call(base, key, "POST", "/api/jobs", {"prompt": "a paper boat on a pond", "model": "easel-draft", "size": "640x448"})
    deadline = time.time() + 30
    while job["status"] != "succeeded":
        assert job["status"] not in ("failed", "cancelled") and time.time() < deadline, job
        time.sleep(0.1)
        job = call(base, key, "GET", f"/api/jobs/{job['id']}")
    asset = job["asset_ids"][0]

    s.sign_in_with_key(key)
    s.open(f"/images/{asset}", "image")
    s.driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", s.tid("share-create"))
    s.driver.execute_script("arguments[0].click()", s.tid("share-download"))  # downloads off for this link
    s.click("share-create")
    url = s.wait(lambda d: s.tids("share-url") and s.tid("share-url").get_attribute("value"))
    assert url.startswith(base + "/s/"), url
    s.wait(lambda d: len(s.tids("share-item")) == 1)
    links = [link for link in call(base, key, "GET", "/api/shares")["data"] if link["asset_id"] == asset]
    assert len(links) == 1 and not links[0]["revoked"] and links[0]["allow_download"] is False
    s.driver.execute_script("window.scrollTo(0, 0)")
    s.shoot("image-share")

    # A fresh browser, no cookies: the image loads at its size, with no sign-in and nothing of the account.
    fresh = Studio(new_driver(), base)
    try:
        fresh.driver.get(url)
        WebDriverWait(fresh.driver, 30).until(
            lambda d: d.execute_script("const i = document.querySelector('img'); return i && i.complete && i.naturalWidth") == 640)
        fresh.check_console()
        assert fresh.driver.execute_script("return document.querySelector('img').naturalHeight") == 448
        assert fresh.driver.execute_script("return location.pathname").startswith("/s/")
        page = fresh.driver.find_element("tag name", "body").text
        assert name not in page and asset not in page and "Download" not in page, page
        assert fresh.driver.get_cookies() == []
        fresh.check_console()
        fresh.shoot("share-page")

        # Revoked on the Image page: the link no longer opens.
        s.click("share-revoke")
        s.wait(lambda d: not s.tids("share-item") or not s.tid("share-list").is_displayed())
        assert call(base, key, "GET", "/api/shares")["data"][0]["revoked"] is True
        fresh.driver.get(url)
        WebDriverWait(fresh.driver, 30).until(lambda d: d.execute_script("return document.readyState") == "complete")
        assert fresh.driver.execute_script("return document.querySelectorAll('img').length") == 0
        assert "404" in " ".join(e["message"] for e in fresh.driver.get_log("browser"))
    finally:
        fresh.driver.quit()
