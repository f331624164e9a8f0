"""The studio's Image page: meta, zoom, downloads, the mask painter (its PNG checked pixel by pixel), the lineage
tree, favorite, tags, collections, review, and every iteration (revise, mask edit, variations, upscale, promote)
followed to the new image."""
import struct
import uuid
import zlib

from selenium.webdriver.common.actions.action_builder import ActionBuilder
from selenium.webdriver.common.by import By

from studio_kit import api, make_draft_image, make_user

W, H = 512, 384


def decode_png(data):
    """(width, height, color type, rows of raw bytes, channels): an 8-bit, non-interlaced PNG, unfiltered."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat = 8, b""
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        kind, body = data[pos + 4:pos + 8], data[pos + 8:pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            width, height, depth, ctype, _, _, interlace = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        elif kind == b"IEND":
            break
    assert depth == 8 and interlace == 0, (depth, interlace)
    channels = {0: 1, 2: 3, 4: 2, 6: 4}[ctype]
    raw, stride, bpp = zlib.decompress(idat), width * channels, channels
    rows, prev, i = [], bytearray(stride), 0
    for _ in range(height):
        kind, line = raw[i], bytearray(raw[i + 1:i + 1 + stride])
        i += 1 + stride
        if kind == 2:
            line = bytearray((x + y) & 255 for x, y in zip(line, prev))
        elif kind:
            for x in range(stride):
                a = line[x - bpp] if x >= bpp else 0
                b, c = prev[x], (prev[x - bpp] if x >= bpp else 0)
                if kind == 1:
                    line[x] = (line[x] + a) & 255
                elif kind == 3:
                    line[x] = (line[x] + ((a + b) >> 1)) & 255
                else:
                    p = a + b - c
                    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                    line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(bytes(line))
        prev = line
    return width, height, ctype, rows, channels


def path_of(s):
    return s.driver.execute_script("return location.pathname")


def attr(s, selector, name):
    """An attribute read in one step in the page (no stale element when a panel redraws meanwhile)."""
    return s.driver.execute_script("const e = document.querySelector(arguments[0]); return e && e.getAttribute(arguments[1])", selector, name)


def wait_new_image(s, old):
    s.wait(lambda d: path_of(s) != f"/images/{old}" and path_of(s).startswith("/images/")
           and d.execute_script("return document.body.dataset.page") == "image"
           and (attr(s, '[data-testid="image-main"]', "src") or "").endswith(path_of(s).split("/")[-1]), 40)
    return path_of(s).split("/")[-1]


def press(s, testid):
    """Clicks a control, then checks the console at once, so an error is pinned on the click that caused it."""
    s.click(testid)
    s.check_console()


def image_loaded(s):
    return s.driver.execute_script("const i = document.querySelector('[data-testid=image-main]'); return i.complete && i.naturalWidth")


def canvas_alpha(s, x, y):
    return s.driver.execute_script(
        "return document.querySelector('[data-testid=mask-canvas]').getContext('2d').getImageData(arguments[0], arguments[1], 1, 1).data[3]", x, y)


def stroke(s, points):
    """Drags the pointer through `points` (image pixels) on the mask canvas."""
    canvas = s.tid("mask-canvas")
    s.driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", canvas)
    box = s.driver.execute_script("const r = arguments[0].getBoundingClientRect(); return [r.left, r.top, r.width, r.height]", canvas)
    to_view = lambda p: (int(box[0] + p[0] * box[2] / W), int(box[1] + p[1] * box[3] / H))  # noqa: E731
    actions = ActionBuilder(s.driver)
    pointer = actions.pointer_action
    pointer.move_to_location(*to_view(points[0]))
    pointer.pointer_down()
    for point in points[1:]:
        pointer.move_to_location(*to_view(point))
    pointer.pointer_up()
    actions.perform()


def line(x0, x1, y, steps=8):
    return [(x0 + (x1 - x0) * i / steps, y) for i in range(steps + 1)]


def test_image_page(studio, easel):
    base, s = easel["base"], studio
    key = make_user(easel["data"], "image-" + uuid.uuid4().hex[:8], plan="premium")
    _, original = make_draft_image(base, key, "a lighthouse on a cliff at dawn", f"{W}x{H}")
    s.sign_in_with_key(key)
    s.open(f"/images/{original}", "image")

    # What made it, and the image itself at its own size.
    s.wait(lambda d: image_loaded(s) == W)
    meta = s.text("image-meta")
    assert "easel-draft" in meta and f"{W}×{H}" in meta and "$0.00" in meta and "lighthouse" in meta, meta
    assert "DRAFT · not AI" in s.text("draft-badge")
    s.shoot("image")

    # Zoom with the buttons and the keyboard.
    width = lambda: s.driver.execute_script("return document.querySelector('[data-testid=image-main]').getBoundingClientRect().width")  # noqa: E731
    fit = width()
    press(s, "zoom-in")
    s.wait(lambda d: width() > fit * 1.4)
    press(s, "zoom-in")
    assert width() > fit * 1.9
    viewer = s.tid("viewer")
    drag = ActionBuilder(s.driver)
    box = s.driver.execute_script("const r = arguments[0].getBoundingClientRect(); return [r.left + r.width / 2, r.top + r.height / 2]", viewer)
    drag.pointer_action.move_to_location(int(box[0]), int(box[1])).pointer_down().move_to_location(int(box[0]) - 120, int(box[1]) - 60).pointer_up()
    scroll = s.driver.execute_script("return [arguments[0].scrollLeft, arguments[0].scrollTop]", viewer)
    drag.perform()
    after = s.driver.execute_script("return [arguments[0].scrollLeft, arguments[0].scrollTop]", viewer)
    assert after[0] > scroll[0] + 60 and after[1] > scroll[1] + 30, (scroll, after)  # dragging pans when zoomed
    viewer.send_keys("0")
    s.wait(lambda d: abs(width() - fit) < 1)
    s.tid("image-main").click()  # a click on the image zooms in where it was clicked
    s.wait(lambda d: width() > fit * 2)
    viewer.send_keys("-")
    viewer.send_keys("0")
    s.wait(lambda d: abs(width() - fit) < 1)

    # Downloads: the stored PNG as it is; JPEG converted in the browser.
    href = s.tid("download-png").get_attribute("href")
    png, headers = api(base, key, "GET", href.replace(base, ""), raw=True)
    assert headers["Content-Type"] == "image/png" and decode_png(png)[:2] == (W, H)
    press(s, "download-jpeg")
    s.wait(lambda d: (s.tid("download-jpeg").get_attribute("href") or "").startswith("blob:"))
    jpeg = s.driver.execute_async_script("""
        const done = arguments[arguments.length - 1];
        fetch(arguments[0]).then(r => r.blob()).then(async b => {
          const head = new Uint8Array(await b.slice(0, 3).arrayBuffer());
          const bitmap = await createImageBitmap(b);
          done([b.type, Array.from(head), bitmap.width, bitmap.height]);
        });""", s.tid("download-jpeg").get_attribute("href"))
    assert jpeg == ["image/jpeg", [0xFF, 0xD8, 0xFF], W, H], jpeg

    # The mask painter: brush strokes, undo/redo per stroke, eraser, rectangle, invert, clear.
    press(s, "mask-toggle")
    s.wait(lambda d: s.tid("mask-canvas").is_displayed())
    press(s, "mask-edit")  # nothing painted yet: said in plain words, nothing sent
    assert "Nothing is painted yet" in s.text("error")
    assert s.driver.execute_script("const c = document.querySelector('[data-testid=mask-canvas]'); return [c.width, c.height]") == [W, H]
    stroke(s, line(60, 220, 60))
    stroke(s, line(300, 460, 300))
    assert canvas_alpha(s, 100, 60) > 0 and canvas_alpha(s, 380, 300) > 0 and canvas_alpha(s, 500, 10) == 0
    press(s, "mask-undo")
    assert canvas_alpha(s, 380, 300) == 0 and canvas_alpha(s, 100, 60) > 0
    press(s, "mask-redo")
    assert canvas_alpha(s, 380, 300) > 0
    press(s, "mask-eraser")
    assert s.tid("mask-eraser").get_attribute("aria-pressed") == "true"
    stroke(s, line(185, 250, 60))
    assert canvas_alpha(s, 205, 60) == 0 and canvas_alpha(s, 100, 60) > 0
    press(s, "mask-rect")
    stroke(s, [(60, 200), (110, 250), (160, 300)])
    assert canvas_alpha(s, 110, 250) > 0 and canvas_alpha(s, 170, 250) == 0
    press(s, "mask-invert")
    assert canvas_alpha(s, 500, 10) > 0 and canvas_alpha(s, 110, 250) == 0
    press(s, "mask-undo")
    press(s, "mask-clear")
    assert canvas_alpha(s, 100, 60) == 0
    press(s, "mask-undo")
    assert canvas_alpha(s, 100, 60) > 0 and canvas_alpha(s, 500, 10) == 0
    press(s, "mask-brush")
    slider = s.tid("mask-size")
    s.driver.execute_script("arguments[0].value = 20; arguments[0].dispatchEvent(new Event('input'))", slider)
    stroke(s, line(40, 120, 350))
    s.shoot("image-mask")

    # Sending it: an edit job whose mask is a PNG of the image's size, transparent exactly where painted.
    s.type("revise-prompt", "put a red hat on the lighthouse")
    press(s, "mask-edit")
    s.wait(lambda d: s.tid("job-status").is_displayed())
    masked = wait_new_image(s, original)
    child = api(base, key, "GET", f"/api/assets/{masked}")
    assert child["parent_asset_id"] == original
    job = api(base, key, "GET", f"/api/jobs/{child['job_id']}")
    assert job["kind"] == "edit" and job["mask_asset_id"], job
    data, headers = api(base, key, "GET", f"/files/{job['mask_asset_id']}", raw=True)
    assert headers["Content-Type"] == "image/png"
    width_, height_, ctype, rows, channels = decode_png(data)
    assert (width_, height_) == (W, H) and ctype in (4, 6), (width_, height_, ctype)
    alpha = lambda x, y: rows[y][x * channels + channels - 1]  # noqa: E731
    for x, y in [(100, 60), (70, 60), (380, 300), (450, 300), (110, 250), (65, 205), (80, 350)]:
        assert alpha(x, y) == 0, f"painted ({x},{y}) should be transparent, alpha {alpha(x, y)}"
    for x, y in [(205, 60), (240, 60), (500, 10), (5, 380), (250, 150), (170, 250), (380, 340), (80, 330)]:
        assert alpha(x, y) == 255, f"unpainted ({x},{y}) should be opaque, alpha {alpha(x, y)}"
    opaque = sum(1 for y in range(H) for x in range(0, W, 4) if alpha(x, y) == 255)
    assert 0.6 < opaque / (H * W / 4) < 0.97, opaque

    # The lineage: parent and child, the current one marked; a node opens its image.
    s.wait(lambda d: len(s.tids("lineage-node")) == 2)
    current = s.driver.execute_script("return [...document.querySelectorAll('[data-testid=lineage-node].current')].map(n => n.dataset.id)")
    assert current == [masked]
    s.wait(lambda d: image_loaded(s) == W)
    press(s, "mask-toggle")
    press(s, "mask-reuse")  # the mask this image was made with comes back as one undoable step
    s.wait(lambda d: canvas_alpha(s, 100, 60) > 0)
    assert canvas_alpha(s, 500, 10) == 0 and canvas_alpha(s, 205, 60) == 0 and canvas_alpha(s, 110, 250) > 0
    s.shoot("image-child")
    s.driver.find_element(By.CSS_SELECTOR, f'[data-testid="lineage-node"][data-id="{original}"]').click()
    s.wait(lambda d: path_of(s) == f"/images/{original}" and d.execute_script("return document.body.dataset.page") == "image"
           and attr(s, '[data-testid="lineage-node"].current', "data-id") == original)

    # Favorite, a tag, a new collection, sending to review: each confirmed by the API.
    assert s.tid("favorite").get_attribute("aria-pressed") == "false"
    press(s, "favorite")
    s.wait(lambda d: s.tid("favorite").get_attribute("aria-pressed") == "true")
    assert api(base, key, "GET", f"/api/assets/{original}")["favorite"] is True
    s.type("tag-input", "hero-shot")
    press(s, "tag-add")
    s.wait(lambda d: d.execute_script("return [...document.querySelectorAll('[data-testid=tag]')].map(t => t.dataset.tag)") == ["hero-shot"])
    assert api(base, key, "GET", f"/api/assets/{original}")["tags"] == ["hero-shot"]
    name = "Coast " + uuid.uuid4().hex[:6]
    s.type("collection-new", name)
    press(s, "collection-add")
    s.wait(lambda d: name in s.text("collection-result"))
    found = [c for c in api(base, key, "GET", "/api/collections")["data"] if c["name"] == name]
    assert len(found) == 1 and found[0]["count"] == 1
    members = api(base, key, "GET", f"/api/assets?collection={found[0]['id']}")["data"]
    assert [m["id"] for m in members] == [original]
    assert attr(s, '[data-testid="review-status"]', "data-status") == "unreviewed"
    press(s, "send-to-review")
    s.wait(lambda d: attr(s, '[data-testid="review-status"]', "data-status") == "in_review")
    assert api(base, key, "GET", f"/api/assets/{original}/review")["status"] == "in_review"
    s.shoot("image-organized")

    # Revise with a prompt lands on the child.
    s.type("revise-prompt", "make the sky stormy")
    press(s, "revise")
    revised = wait_new_image(s, original)
    asset = api(base, key, "GET", f"/api/assets/{revised}")
    assert asset["parent_asset_id"] == original and asset["prompt"] == "make the sky stormy" and revised != masked

    # Variations: two more children of the original.
    s.open(f"/images/{original}", "image")
    before = len(api(base, key, "GET", f"/api/assets/{original}/lineage")["children"])
    press(s, "variations")
    varied = wait_new_image(s, original)
    children = api(base, key, "GET", f"/api/assets/{original}/lineage")["children"]
    assert len(children) == before + 2 and varied in [c["id"] for c in children]

    # Upscale 2× and promote: new images of the right size.
    press(s, "upscale")
    upscaled = wait_new_image(s, varied)
    assert (api(base, key, "GET", f"/api/assets/{upscaled}")["width"], api(base, key, "GET", f"/api/assets/{upscaled}")["height"]) == (2 * W, 2 * H)
    s.wait(lambda d: image_loaded(s) == 2 * W)
    assert s.tid("variations").get_attribute("disabled") is not None  # an upscale has no brief to re-run
    s.open(f"/images/{varied}", "image")
    press(s, "promote")
    promoted = wait_new_image(s, varied)
    final = api(base, key, "GET", f"/api/jobs/{api(base, key, 'GET', f'/api/assets/{promoted}')['job_id']}")
    assert final["params"]["quality"] == "high" and final["parent_asset_id"] == varied

    # A missing image: a deliberate error with a way back, not a blank page.
    s.expect_http_errors(1)
    s.open("/images/img_01JD0000000000000000000000", "image")
    assert "It is gone" in s.text("error"), s.text("error")
    assert s.css('a[href="/gallery"]')
    s.shoot("image-missing", widths=(390,))
