"""Sign-in flows of the studio in headless Chromium: nothing red on a first visit, guest, a wrong password in
plain words, an API key exchanged for the session cookie (and kept nowhere in the page), reloads staying on
their page, signing out, and `?next=` bringing the user back where they were headed."""
import time
import urllib.parse

from studio_kit import make_user


def path_of(studio):
    return urllib.parse.urlparse(studio.driver.current_url).path


def test_first_visit_and_guest(studio):
    studio.driver.get(studio.base + "/")
    studio.wait_page("signin")
    assert path_of(studio) == "/signin"
    assert studio.css(".error") == [], "a first visit must show nothing red"
    assert studio.tids("error") == []
    # The guest button has the focus, and the nav is hidden while signed out.
    assert studio.driver.switch_to.active_element.get_attribute("data-testid") == "guest"
    assert not studio.tid("nav-create").is_displayed()
    studio.shoot("signin")

    studio.click("guest")
    studio.wait_page("create")
    assert path_of(studio) == "/create"
    chip = studio.tid("account-chip")
    studio.wait(lambda d: "guest" in chip.text)
    assert studio.text("images-left") == "3 images left today"
    assert studio.text("balance") == "$0.00"
    assert not studio.tid("nav-admin").is_displayed(), "a guest has no Admin link"


def test_wrong_password_in_plain_words(studio, easel):
    studio.open("/signin")
    studio.type("login-name", f"nobody-{time.time_ns()}")
    studio.type("login-password", "not-the-password")
    studio.expect_http_errors(1)
    studio.click("login")
    error = studio.wait(lambda d: studio._clickable("error"))
    assert "Wrong user name or password." in error.text
    assert error.get_attribute("role") == "alert"
    assert "{" not in error.text and "401" not in error.text, "the error is in plain words, not JSON or a status"
    assert path_of(studio) == "/signin"
    studio.shoot("signin-wrong-password")


def test_key_sign_in_reload_sign_out_and_next(studio, easel):
    name = f"sgn-{time.time_ns() % 10**8}"
    key = make_user(easel["data"], name, plan="registered")

    # Signed out, /account sends the user to sign in and remembers where they were going.
    studio.driver.get(studio.base + "/account")
    studio.wait_page("signin")
    url = urllib.parse.urlparse(studio.driver.current_url)
    assert url.path == "/signin"
    assert urllib.parse.parse_qs(url.query)["next"] == ["/account"]
    assert studio.css(".error") == []

    studio.type("api-key", key)
    studio.click("key-sign-in")
    studio.wait_page("account")
    assert path_of(studio) == "/account"
    assert name in studio.text("account-chip")
    assert "registered" in studio.text("account-plan")

    # The key was used once for the cookie: nothing in the page's storage holds it, nor the input.
    storage = studio.driver.execute_script(
        "return JSON.stringify([Object.entries(localStorage), Object.entries(sessionStorage), document.cookie])")
    assert key not in storage and "esk_" not in storage, storage
    assert key not in studio.driver.page_source

    # A reload keeps the page (the session cookie, not the page, remembers the user).
    studio.driver.refresh()
    studio.wait_page("account")
    assert path_of(studio) == "/account"
    studio.driver.get(studio.base + "/account?days=7")
    studio.wait_page("account")
    assert path_of(studio) == "/account"
    assert name in studio.text("account-chip")

    # Signing out returns to the sign-in page, and the pages are closed again.
    studio.click("sign-out")
    studio.wait_page("signin")
    assert path_of(studio) == "/signin"
    assert studio.text("account-chip") == ""
    assert not studio.tid("sign-out").is_displayed()
    studio.driver.get(studio.base + "/account")
    studio.wait_page("signin")
    assert urllib.parse.parse_qs(urllib.parse.urlparse(studio.driver.current_url).query)["next"] == ["/account"]
    assert studio.css(".error") == []
