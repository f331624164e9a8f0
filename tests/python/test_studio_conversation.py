"""The studio's conversation view on the Image page: the Responses API turns behind an image, and the next turn
sent from the page as `POST /v1/responses` with `previous_response_id`, followed to its new image."""
import uuid

from studio_kit import api, make_draft_image, make_user


def path_of(s):
    return s.driver.execute_script("return location.pathname")


def turn_texts(s):
    return [t.find_element("css selector", ".conversation-text").text for t in s.tids("conversation-turn")]


def test_a_conversation_is_shown_and_continued_from_the_image_page(studio, easel):
    base, s = easel["base"], studio
    key = make_user(easel["data"], "talk-" + uuid.uuid4().hex[:8], plan="premium")
    tool = {"type": "image_generation", "model": "easel-draft", "size": "512x384"}
    first = api(base, key, "POST", "/v1/responses", {"model": "gpt-5.4", "input": "a lighthouse on a cliff", "tools": [tool]})
    asset = api(base, key, "GET", f"/api/conversations/{first['id']}")["turns"][0]["asset_id"]

    s.sign_in_with_key(key)
    s.open(f"/images/{asset}", "image")
    s.wait(lambda d: len(s.tids("conversation-turn")) == 1)
    assert turn_texts(s) == ["a lighthouse on a cliff"]
    assert "this image" in s.tids("conversation-turn")[0].text
    assert s.text("conversation-send") == "Continue the conversation"

    # An empty turn is caught on the page; a real one runs and opens its image.
    s.click("conversation-send")
    s.wait(lambda d: "Say what the next turn" in s.text("conversation-status"))
    s.type("conversation-input", "now at night with stars")
    s.click("conversation-send")
    s.wait(lambda d: path_of(s) != f"/images/{asset}", timeout=60)
    s.wait(lambda d: len(s.tids("conversation-turn")) == 2)
    assert turn_texts(s) == ["a lighthouse on a cliff", "now at night with stars"]
    turns = s.tids("conversation-turn")
    assert "this image" in turns[1].text and "edit" in turns[1].text and "this image" not in turns[0].text
    new_asset = path_of(s).rsplit("/", 1)[1]
    chain = api(base, key, "GET", f"/api/conversations/{new_asset}")["turns"]
    assert [t["asset_id"] for t in chain] == [asset, new_asset]
    assert api(base, key, "GET", f"/api/assets/{new_asset}")["parent_asset_id"] == asset
    s.shoot("image-conversation")

    # An earlier turn's picture links back to it.
    turns[0].find_element("css selector", "a").click()
    s.wait(lambda d: path_of(s) == f"/images/{asset}")


def test_an_image_no_turn_made_starts_a_conversation_with_itself(studio, easel):
    base, s = easel["base"], studio
    key = make_user(easel["data"], "start-" + uuid.uuid4().hex[:8], plan="premium")
    _, original = make_draft_image(base, key, "a teal bottle on sand", "384x384")
    s.sign_in_with_key(key)
    s.open(f"/images/{original}", "image")
    s.wait(lambda d: s.text("conversation-send") == "Start a conversation")
    assert not s.tids("conversation-turn")
    s.type("conversation-input", "put it on a marble table")
    s.click("conversation-send")
    s.wait(lambda d: path_of(s) != f"/images/{original}", timeout=60)
    s.wait(lambda d: len(s.tids("conversation-turn")) == 1)
    assert turn_texts(s) == ["put it on a marble table"]
    made = path_of(s).rsplit("/", 1)[1]
    assert api(base, key, "GET", f"/api/assets/{made}")["parent_asset_id"] == original
