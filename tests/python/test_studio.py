"""The studio page in a real browser (headless Chromium): type a prompt, generate, watch it finish."""
import shutil

import pytest

try:
    from selenium import webdriver
except ImportError:  # scripts/setup --test installs it; a missing tool is a failure, never a skip
    pytest.fail("selenium is not installed: run scripts/setup --test", pytrace=False)
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support import expected_conditions as EC  # noqa: E402
from selenium.webdriver.support.ui import Select, WebDriverWait  # noqa: E402


@pytest.fixture()
def browser():
    if not shutil.which("chromedriver"):
        pytest.fail("chromium-driver is not installed: run scripts/setup --test", pytrace=False)
    options = webdriver.ChromeOptions()
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1300,1000"):
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options)
    yield driver
    driver.quit()


def sign_in_as_guest(browser):
    """A fresh browser has no session: the studio offers guest mode, which runs on the guest plan."""
    wait = WebDriverWait(browser, 30)
    wait.until(EC.element_to_be_clickable((By.ID, "guest"))).click()
    wait.until(lambda d: "plan guest" in d.find_element(By.ID, "account").text)
    assert "3 images left today" in browser.find_element(By.ID, "account").text


def test_generate_from_the_studio(browser, easel):
    browser.get(easel["base"] + "/")
    sign_in_as_guest(browser)
    wait = WebDriverWait(browser, 30)
    wait.until(lambda d: len(Select(d.find_element(By.ID, "model")).options) > 0)
    assert "easel-draft" in Select(browser.find_element(By.ID, "model")).first_selected_option.text
    browser.find_element(By.ID, "prompt").send_keys("a lighthouse at dusk, dark cinematic palette")
    Select(browser.find_element(By.ID, "size")).select_by_visible_text("512x512")
    Select(browser.find_element(By.ID, "format")).select_by_visible_text("webp")
    browser.find_element(By.ID, "go").click()

    # Done: the step is marked, the image is shown, with the draft badge and a download link.
    wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, '.step.done[data-s="done"]')))
    image = wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, "#stage img")))
    wait.until(lambda d: d.execute_script("return arguments[0].complete && arguments[0].naturalWidth", image) == 512)
    meta = browser.find_element(By.ID, "meta").text
    assert "DRAFT" in meta and "512×512 webp" in meta and "Download" in meta
    assert browser.find_element(By.ID, "error").text == ""
    # The previews step was reached: partial images arrived before the final one.
    assert "done" in browser.find_element(By.CSS_SELECTOR, '.step[data-s="partial"]').get_attribute("class")
    # The new image is in the recent gallery.
    wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#gallery img")) >= 1)

    # Revise it: the edit runs as a job and the history shows the original and the revision.
    # In another script: the revision's prompt comes back as typed (the history shows it as a tooltip).
    browser.find_element(By.ID, "editprompt").send_keys("暖色的光 warmer light")
    browser.find_element(By.ID, "edit").click()
    wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#history img")) >= 2)
    titles = [img.get_attribute("title") for img in browser.find_elements(By.CSS_SELECTOR, "#history img")]
    assert "暖色的光 warmer light" in titles
    assert len(browser.find_elements(By.CSS_SELECTOR, "#history img.current")) == 1
    assert browser.find_element(By.ID, "error").text == ""
    wait.until(lambda d: "1 images left today" in d.find_element(By.ID, "account").text)


def test_studio_shows_a_clear_error(browser, easel):
    browser.get(easel["base"] + "/")
    wait = WebDriverWait(browser, 30)
    if browser.find_element(By.ID, "keybox").is_displayed():
        sign_in_as_guest(browser)
    wait.until(lambda d: len(Select(d.find_element(By.ID, "model")).options) > 0)
    browser.execute_script("document.getElementById('prompt').removeAttribute('required')")
    browser.find_element(By.ID, "go").click()
    wait.until(lambda d: d.find_element(By.ID, "error").text != "")
    assert "prompt" in browser.find_element(By.ID, "error").text
