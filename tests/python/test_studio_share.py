"""A share link made on the Image page opens in a fresh browser with no cookies (the image loads, nothing of the
account shows), and stops opening once revoked."""
import uuid

from selenium.webdriver.support.ui import WebDriverWait

from studio_kit import Studio, api, make_draft_image, make_user, new_driver


def test_share_link_opens_without_signing_in(studio, easel):
    base, s = easel["base"], studio
    name = "share-" + uuid.uuid4().hex[:8]
    key = make_user(easel["data"], name, plan="premium")
    _, asset = make_draft_image(base, key, "a paper boat on a pond", "640x448")

    s.sign_in_with_key(key)
    s.open(f"/images/{asset}", "image")
    s.driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", s.tid("share-create"))
    s.driver.execute_script("arguments[0].click()", s.tid("share-download"))  # downloads off for this link
    s.click("share-create")
    url = s.wait(lambda d: s.tids("share-url") and s.tid("share-url").get_attribute("value"))
    assert url.startswith(base + "/s/"), url
    s.wait(lambda d: len(s.tids("share-item")) == 1)
    links = [link for link in api(base, key, "GET", "/api/shares")["data"] if link["asset_id"] == asset]
    assert len(links) == 1 and not links[0]["revoked"] and links[0]["allow_download"] is False
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
        assert api(base, key, "GET", "/api/shares")["data"][0]["revoked"] is True
        fresh.driver.get(url)
        WebDriverWait(fresh.driver, 30).until(lambda d: d.execute_script("return document.readyState") == "complete")
        assert fresh.driver.execute_script("return document.querySelectorAll('img').length") == 0
        assert "404" in " ".join(e["message"] for e in fresh.driver.get_log("browser"))
    finally:
        fresh.driver.quit()
