"""Driving the studio in headless Chromium: pages by URL, controls by data-testid, the console checked for
JavaScript errors after every step, screenshots of each page at 1,400 and 390 px in both themes."""
import base64
import json
import os
import shutil
import subprocess
import time
import urllib.request

import pytest

try:
    from selenium import webdriver
except ImportError:  # scripts/setup --test installs it; a missing tool is a failure, never a skip
    pytest.fail("selenium is not installed: run scripts/setup --test", pytrace=False)
from selenium.common.exceptions import StaleElementReferenceException  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SHOTS = os.path.join(ROOT, ".build", "screenshots")
BINARY = os.environ.get("EASEL_BIN", os.path.join(ROOT, ".build", "debug", "easel"))


def new_driver(width=1400, height=950):
    if not shutil.which("chromedriver"):
        pytest.fail("chromium-driver is not installed: run scripts/setup --test", pytrace=False)
    options = webdriver.ChromeOptions()
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", f"--window-size={width},{height}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(options=options)


def make_user(data, user, plan="premium", role="user"):
    """An API key for a user made by `easel keys create` (as an operator would)."""
    out = subprocess.run([BINARY, "keys", "create", "--user", user, "--plan", plan, "--role", role, "--data", data,
                          "--log-level", "error"], check=True, capture_output=True, text=True, timeout=120).stdout
    return out.strip().splitlines()[-1]


def api(base, key, method, path, body=None, headers=None, raw=False):
    """Calls Easel's API as `key` (as a script would, no browser): the parsed JSON, or with `raw` the body's bytes
    and the response headers. A status that is not 2xx raises urllib.error.HTTPError, for tests that expect one."""
    sent = {"Authorization": f"Bearer {key}", **({"Content-Type": "application/json"} if body is not None else {}), **(headers or {})}
    request = urllib.request.Request(base + path, data=None if body is None else json.dumps(body).encode(), method=method, headers=sent)
    with urllib.request.urlopen(request, timeout=60) as response:
        payload = response.read()
        return (payload, response.headers) if raw else json.loads(payload)


def wait_job(base, key, job, timeout=30):
    """Polls `job` until it has succeeded; failing, being cancelled or taking over `timeout` seconds fails the test."""
    deadline = time.time() + timeout
    while job["status"] != "succeeded":
        assert job["status"] not in ("failed", "cancelled"), job
        assert time.time() < deadline, job
        time.sleep(0.1)
        job = api(base, key, "GET", f"/api/jobs/{job['id']}")
    return job


def make_draft_image(base, key, prompt, size="1024x1024"):
    """(job id, asset id) of one finished easel-draft image, made through the job API: free and with no provider."""
    job = wait_job(base, key, api(base, key, "POST", "/api/jobs", {"model": "easel-draft", "prompt": prompt, "size": size}))
    return job["id"], job["asset_ids"][0]


class Studio:
    """One browser on one Easel. `open` loads a page and waits until it has drawn; every wait and every
    `open` checks the console, so a JavaScript error anywhere fails the test."""

    def __init__(self, driver, base):
        self.driver = driver
        self.base = base
        self.allowed_http_errors = 0

    # Pages and controls

    def open(self, path, page=None):
        self.driver.get(self.base + path)
        self.wait_page(page or path.strip("/").split("/")[0].split("?")[0])
        return self

    def wait_page(self, page, timeout=30):
        self.wait(lambda d: d.execute_script("return document.body.dataset.page") == page, timeout)

    def tid(self, testid, within=None):
        return (within or self.driver).find_element(By.CSS_SELECTOR, f'[data-testid="{testid}"]')

    def tids(self, testid, within=None):
        return (within or self.driver).find_elements(By.CSS_SELECTOR, f'[data-testid="{testid}"]')

    def css(self, selector):
        return self.driver.find_elements(By.CSS_SELECTOR, selector)

    def click(self, testid):
        element = self.wait(lambda d: self._clickable(testid))
        # Centred, so the sticky header never covers what is clicked.
        self.driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", element)
        element.click()
        return element

    def _clickable(self, testid):
        for element in self.tids(testid):
            if element.is_displayed() and element.is_enabled():
                return element
        return None

    def type(self, testid, text, clear=True):
        element = self.wait(lambda d: self._clickable(testid))
        if clear:
            element.clear()
        element.send_keys(text)
        return element

    def text(self, testid):
        return self.tid(testid).text

    def wait(self, condition, timeout=30):
        try:
            # A page redraws parts of itself, so an element found a moment ago may be gone: look again.
            return WebDriverWait(self.driver, timeout, poll_frequency=0.1, ignored_exceptions=(StaleElementReferenceException,)).until(
                lambda d: self._checked(condition, d))
        finally:
            self.check_console()

    def _checked(self, condition, driver):
        self.check_console()
        return condition(driver)

    # The console

    def expect_http_errors(self, count=1):
        """The next `count` failed requests are the test's own doing (an error state it provokes)."""
        self.allowed_http_errors += count

    def check_console(self):
        errors = []
        for entry in self.driver.get_log("browser"):
            if entry["level"] != "SEVERE":
                continue
            if entry.get("source") == "network" and self.allowed_http_errors > 0:
                self.allowed_http_errors -= 1
                continue
            errors.append(entry["message"])
        assert not errors, "the browser console has errors:\n" + "\n".join(errors)

    # Sign-in

    def sign_in_as_guest(self):
        self.open("/signin")
        self.click("guest")
        self.wait_page("create")
        return self

    def sign_in_with_key(self, key, next_path=None):
        self.open("/signin" + (f"?next={next_path}" if next_path else ""), "signin")
        self.type("api-key", key)
        self.click("key-sign-in")
        self.wait(lambda d: d.execute_script("return document.body.dataset.page") not in (None, "signin"))
        return self

    # Screenshots

    def unlabelled_controls(self):
        """Visible controls with no accessible name (no label, aria-label, aria-labelledby, title or text)."""
        return self.driver.execute_script("""
            const out = [];
            for (const el of document.querySelectorAll('input, select, textarea, button, [role=button], a[href]')) {
              if (el.type === 'hidden' || !el.getClientRects().length) continue;
              const named = (el.labels && el.labels.length) || el.getAttribute('aria-label') ||
                el.getAttribute('aria-labelledby') || el.title || (el.textContent || '').trim() ||
                (el.tagName === 'A' && el.querySelector('img[alt]:not([alt=""])'));
              if (!named) out.push(el.outerHTML.slice(0, 120));
            }
            return out;""")

    def shoot(self, name, widths=(1400, 390)):
        """Saves the whole page at each width, light and dark, as .build/screenshots/{name}-{width}-{theme}.png.
        Also checks every visible control has a name a screen reader can say."""
        unlabelled = self.unlabelled_controls()
        assert not unlabelled, f"{name}: controls without a label (use field(), aria-label or text):\n" + "\n".join(unlabelled)
        os.makedirs(SHOTS, exist_ok=True)
        # A passing toast is fixed to the window, so a full-page capture would draw it mid-page.
        self.driver.execute_script("window.scrollTo(0, 0); const t = document.getElementById('toasts'); if (t) t.style.visibility = 'hidden'")
        size = self.driver.get_window_size()
        try:
            for width in widths:
                self.driver.set_window_size(width, 900 if width > 600 else 844)
                for theme in ("light", "dark"):
                    self.driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": [{"name": "prefers-color-scheme", "value": theme}]})
                    self.driver.execute_script("return new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))")
                    metrics = self.driver.execute_cdp_cmd("Page.getLayoutMetrics", {})
                    content = metrics.get("cssContentSize") or metrics["contentSize"]
                    height = min(int(content["height"]), 5000)
                    shot = self.driver.execute_cdp_cmd("Page.captureScreenshot", {
                        "format": "png", "captureBeyondViewport": True,
                        "clip": {"x": 0, "y": 0, "width": width, "height": height, "scale": 1},
                    })
                    with open(os.path.join(SHOTS, f"{name}-{width}-{theme}.png"), "wb") as f:
                        f.write(base64.b64decode(shot["data"]))
                    overflow = self.driver.execute_script("return document.documentElement.scrollWidth - document.documentElement.clientWidth")
                    assert overflow <= 1, f"{name} at {width}px is {overflow}px wider than the window"
        finally:
            self.driver.execute_script("const t = document.getElementById('toasts'); if (t) t.style.visibility = ''")
            self.driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": []})
            self.driver.set_window_size(size["width"], size["height"])
        self.check_console()


def natural_size(studio, element):
    """An <img>'s own (width, height), once it has loaded: what was served, whatever size the page draws it."""
    studio.wait(lambda d: d.execute_script("return arguments[0].complete && arguments[0].naturalWidth > 0", element))
    return tuple(studio.driver.execute_script("return [arguments[0].naturalWidth, arguments[0].naturalHeight]", element))


def texts(studio, testid):
    """The text of each element with `testid`, read in one go (a list redrawn meanwhile cannot go stale)."""
    return studio.driver.execute_script(
        "return [...document.querySelectorAll(`[data-testid='${arguments[0]}']`)].map((e) => e.innerText);", testid)
