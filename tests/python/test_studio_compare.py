"""The studio's Compare page in headless Chromium: one prompt on the draft renderer and on gpt-image-2 (through
the fake OpenAI server), side by side with cost and time per cell, a slider that moves the edge between
the two images, and "pick this one" marking the winner a favorite."""
import uuid

from studio_kit import api, make_user, natural_size


def press(studio, element):
    studio.driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", element)
    element.click()


def test_compare_two_models_side_by_side_then_slider_and_pick(studio_openai, easel_openai):
    s = studio_openai
    key = make_user(easel_openai["data"], "compare-" + uuid.uuid4().hex[:8], plan="unlimited")
    s.sign_in_with_key(key, "/compare")
    s.wait_page("compare")
    assert not s.css(".error")
    assert s.tid("compare-axis").get_attribute("value") == "models"
    s.shoot("compare-empty")

    s.type("compare-prompt", "a red bicycle leaning on a yellow wall, morning light")
    boxes = {box.get_attribute("value"): box for box in s.tids("compare-option")}
    assert {"easel-draft", "gpt-image-2"} <= set(boxes), boxes.keys()
    for model, box in boxes.items():
        if box.is_selected() != (model in ("easel-draft", "gpt-image-2")):
            press(s, box)
    press(s, s.tid("compare-run"))

    s.wait(lambda d: len(s.tids("compare-cell")) == 2)
    assert "group=grp_" in s.driver.current_url, "the comparison is kept in the URL"
    s.wait(lambda d: len(s.tids("result-image")) == 2, timeout=60)
    cells = s.tids("compare-cell")
    names = [cell.find_element("css selector", "h3").text for cell in cells]
    assert sorted(names) == ["easel-draft", "gpt-image-2"], names
    for cell in cells:
        image = s.tid("result-image", cell)
        assert natural_size(s, image) == (1024, 1024)
        assert s.tid("job-status", cell).get_attribute("data-status") == "succeeded"
        s.wait(lambda d: s.tid("cell-cost", cell).text.startswith("$"))
        assert s.tid("cell-time", cell).text.endswith(" s"), s.tid("cell-time", cell).text
    by_name = dict(zip(names, cells))
    assert "free draft" in s.tid("cell-cost", by_name["easel-draft"]).text
    # Once settled, the cell shows what the job was charged (from the job), not the estimate.
    s.wait(lambda d: "est." not in s.tid("cell-cost", by_name["gpt-image-2"]).text)
    asset = s.tid("result-image", by_name["gpt-image-2"]).get_attribute("data-asset")
    job = api(easel_openai["base"], key, "GET", "/api/jobs/" + api(easel_openai["base"], key, "GET", "/api/assets/" + asset)["job_id"])
    assert float(job["cost_usd"]) > 0
    shown = s.tid("cell-cost", by_name["gpt-image-2"]).text
    assert shown.startswith("$") and abs(float(shown[1:]) - float(job["cost_usd"])) < 0.0005, (shown, job["cost_usd"])
    s.shoot("compare-side-by-side")

    # Slider: the left image is clipped at the range's value.
    press(s, s.tid("compare-mode-slider"))
    s.wait(lambda d: s.tid("compare-slider").is_displayed())
    over = s.tid("compare-over")
    assert natural_size(s, over) == (1024, 1024)
    assert "50%" in over.get_attribute("style")
    slider = s.tid("compare-slider")
    s.driver.execute_script(
        "arguments[0].value = 20; arguments[0].dispatchEvent(new Event('input', {bubbles: true}))", slider)
    assert "inset(0px 80% 0px 0px)" in over.get_attribute("style") or "inset(0 80% 0 0)" in over.get_attribute("style"), over.get_attribute("style")
    clip_width = s.driver.execute_script(
        "arguments[0].scrollIntoView({block: 'center'}); const r = arguments[0].getBoundingClientRect(); return document.elementFromPoint(r.left + r.width * 0.1, r.top + r.height / 2) === arguments[0]"
        " && document.elementFromPoint(r.left + r.width * 0.6, r.top + r.height / 2) !== arguments[0]", over)
    assert clip_width, "left of the edge shows the top image, right of it the one under"
    s.shoot("compare-slider")

    # Pick the provider's image: it becomes a favorite and the cell says so.
    press(s, s.tid("compare-mode-side"))
    cell = by_name["gpt-image-2"]
    asset = s.tid("result-image", cell).get_attribute("data-asset")
    press(s, s.tid("pick", cell))
    s.wait(lambda d: s.tid("pick", cell).get_attribute("aria-pressed") == "true")
    assert "picked" in cell.get_attribute("class")
    assert "gpt-image-2" in s.text("compare-picked")
    favorite = s.driver.execute_async_script(
        "const done = arguments[arguments.length - 1]; fetch('/api/assets/' + arguments[0]).then(r => r.json()).then(a => done(a.favorite))", asset)
    assert favorite is True
    s.shoot("compare-picked")

    # The URL reloads into the same comparison.
    s.driver.refresh()
    s.wait_page("compare")
    s.wait(lambda d: len(s.tids("result-image")) == 2)
    assert sorted(c.find_element("css selector", "h3").text for c in s.tids("compare-cell")) == ["easel-draft", "gpt-image-2"]
    assert s.tid("compare-prompt").get_attribute("value").startswith("a red bicycle")
    s.shoot("compare-reloaded")
