"""The Responses API door with the official openai SDK, unchanged: image conversations turn after turn, in the
default client and the strict one (`_strict_response_validation=True`, which checks every field and event)."""
import base64
import json
import struct
import urllib.request
import zlib

import openai
import pytest
from openai import OpenAI

TOOL = {"type": "image_generation", "size": "256x256"}


def png_size(data: bytes):
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    return struct.unpack(">II", data[16:24])


def png(width, height, rgba):
    """A one-colour RGBA PNG."""
    raw = b"".join(b"\x00" + bytes(rgba) * width for _ in range(height))

    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


def data_url(data):
    return "data:image/png;base64," + base64.b64encode(data).decode()


@pytest.fixture(params=["default", "strict"])
def client(request, easel):
    return OpenAI(base_url=easel["base"] + "/v1", api_key=easel["api_key"], max_retries=0,
                  _strict_response_validation=request.param == "strict")


def api(easel, path):
    """Easel's own API, to check the job and lineage behind a turn."""
    req = urllib.request.Request(easel["base"] + path, headers={"Authorization": "Bearer " + easel["api_key"]})
    return json.loads(urllib.request.urlopen(req, timeout=30).read())


def create_with_job(client, **kwargs):
    raw = client.responses.with_raw_response.create(**kwargs)
    return raw.parse(), raw.headers["x-easel-job-id"]


def image_call(response):
    calls = [item for item in response.output if item.type == "image_generation_call"]
    assert len(calls) == 1
    return calls[0]


def test_create_answers_the_whole_response_with_the_image(client):
    response = client.responses.create(model="gpt-5.4", input="A gray tabby cat hugging an otter", tools=[TOOL],
                                       metadata={"campaign": "spring"}, safety_identifier="user-42")
    assert response.id.startswith("resp_") and response.object == "response"
    assert response.status == "completed" and response.model == "gpt-5.4" and response.error is None
    call = image_call(response)
    assert call.id.startswith("ig_") and call.status == "completed"
    assert png_size(base64.b64decode(call.result)) == (256, 256)
    assert call.size == "256x256" and call.output_format == "png" and call.action == "generate"
    assert call.revised_prompt == "A gray tabby cat hugging an otter"
    assert response.output_text == "Here is the image."
    assert response.metadata == {"campaign": "spring"} and response.safety_identifier == "user-42"
    assert response.tools[0].type == "image_generation" and response.tools[0].size == "256x256"
    assert response.tool_choice == "auto" and response.parallel_tool_calls is True
    assert response.usage.total_tokens == 0 and response.usage.input_tokens_details.cache_write_tokens == 0
    assert response.tool_usage.image_gen.total_tokens == 0  # the draft renderer uses no model tokens
    assert response.tool_usage.web_search.num_requests == 0


def test_follow_up_by_previous_response_id_edits_the_earlier_image(client, easel):
    first, first_job = create_with_job(client, model="gpt-5.4", input="A lighthouse at dusk", tools=[TOOL])
    second, second_job = create_with_job(client, model="gpt-5.4", input="Now make it look realistic",
                                         previous_response_id=first.id, tools=[{"type": "image_generation"}])
    assert second.previous_response_id == first.id
    call = image_call(second)
    assert call.action == "edit" and call.status == "completed"
    assert "A lighthouse at dusk" in call.revised_prompt and "Now make it look realistic" in call.revised_prompt
    # The follow-up's image is a child of the earlier one, and the edit ran on the same size.
    earlier = api(easel, f"/api/jobs/{first_job}")["asset_ids"][0]
    follow = api(easel, f"/api/jobs/{second_job}")
    assert follow["kind"] == "edit" and follow["parent_asset_id"] == earlier
    assert png_size(base64.b64decode(call.result)) == (256, 256)
    # A third turn continues the chain from the second image.
    third, third_job = create_with_job(client, model="gpt-5.4", input="Add snow", previous_response_id=second.id,
                                       tools=[{"type": "image_generation"}])
    assert api(easel, f"/api/jobs/{third_job}")["parent_asset_id"] == follow["asset_ids"][0]


def test_follow_up_by_image_generation_call_id_and_by_the_whole_item(client, easel):
    first, first_job = create_with_job(client, model="gpt-5.4", input="A teal bottle on sand", tools=[TOOL])
    call = image_call(first)
    by_id, by_id_job = create_with_job(client, model="gpt-5.4", tools=[TOOL], input=[
        {"role": "user", "content": [{"type": "input_text", "text": "Now on a marble table"}]},
        {"type": "image_generation_call", "id": call.id},
    ])
    assert image_call(by_id).action == "edit"
    earlier = api(easel, f"/api/jobs/{first_job}")["asset_ids"][0]
    assert api(easel, f"/api/jobs/{by_id_job}")["parent_asset_id"] == earlier
    # The stateless form: the earlier item replayed whole, with its base64 result, on a turn that is not stored.
    replay = client.responses.create(model="gpt-5.4", store=False, tools=[TOOL], input=[
        {"role": "user", "content": [{"type": "input_text", "text": "Warmer light"}]},
        {"type": "image_generation_call", "id": call.id, "status": "completed", "result": call.result},
    ])
    assert image_call(replay).action == "edit" and image_call(replay).status == "completed"
    with pytest.raises(openai.NotFoundError):
        client.responses.retrieve(replay.id)
    with pytest.raises(openai.BadRequestError) as error:
        client.responses.create(model="gpt-5.4", input="more", previous_response_id=replay.id, tools=[TOOL])
    assert error.value.code == "previous_response_not_found" and error.value.param == "previous_response_id"


def test_input_image_data_url_edit_with_a_mask(client, easel):
    picture = png(128, 128, (200, 40, 40, 255))
    mask = png(128, 128, (0, 0, 0, 0))
    raw = client.responses.with_raw_response.create(
        model="gpt-5.4",
        tools=[{"type": "image_generation", "input_image_mask": {"image_url": data_url(mask)}}],
        input=[{"role": "user", "content": [
            {"type": "input_text", "text": "Put a sun in the sky"},
            {"type": "input_image", "image_url": data_url(picture)},
        ]}],
    )
    response = raw.parse()
    call = image_call(response)
    assert call.action == "edit" and png_size(base64.b64decode(call.result)) == (128, 128)
    job = api(easel, f"/api/jobs/{raw.headers['x-easel-job-id']}")
    assert job["kind"] == "edit" and job["mask_asset_id"] and len(job["input_asset_ids"]) == 1
    # The mask is echoed as the asset it was stored as, not as its bytes.
    assert response.tools[0].input_image_mask.file_id == job["mask_asset_id"]
    items = client.responses.input_items.list(response.id)
    image_part = items.data[0].content[1]
    assert image_part.type == "input_image" and image_part.file_id == job["input_asset_ids"][0]


def test_stream_helper_and_raw_stream_with_partial_images(client):
    tool = {"type": "image_generation", "size": "256x256", "partial_images": 2}
    with client.responses.stream(model="gpt-5.4", input="A red kite over hills", tools=[tool]) as stream:
        types = [event.type for event in stream]
        final = stream.get_final_response()
    assert types[:5] == ["response.created", "response.in_progress", "response.output_item.added",
                         "response.image_generation_call.in_progress", "response.image_generation_call.generating"]
    assert types.count("response.image_generation_call.partial_image") == 2
    assert types[-1] == "response.completed"
    assert final.status == "completed" and png_size(base64.b64decode(image_call(final).result)) == (256, 256)

    events = list(client.responses.create(model="gpt-5.4", input="A blue kite", tools=[tool], stream=True))
    assert [event.sequence_number for event in events] == list(range(len(events)))
    partials = [event for event in events if event.type == "response.image_generation_call.partial_image"]
    assert [event.partial_image_index for event in partials] == [0, 1]
    assert all(base64.b64decode(event.partial_image_b64)[:4] == b"\x89PNG" for event in partials)
    done = [event for event in events if event.type == "response.output_item.done" and event.item.type == "image_generation_call"]
    assert done[0].item.status == "completed" and done[0].item.result
    assert events[-1].type == "response.completed" and events[-1].response.id == events[0].response.id

    # Resuming after event 4 replays the rest with the same numbers, partials included.
    resumed = list(client.responses.retrieve(events[0].response.id, stream=True, starting_after=4))
    assert [event.sequence_number for event in resumed] == list(range(5, len(events)))
    assert [event.type for event in resumed] == [event.type for event in events[5:]]


def test_retrieve_delete_and_input_items(client):
    response = client.responses.create(model="gpt-5.4", tools=[TOOL], instructions="Flat illustration style", input=[
        {"role": "user", "content": [{"type": "input_text", "text": "A fox"}]},
        {"role": "user", "content": "in the snow"},
    ])
    again = client.responses.retrieve(response.id)
    assert again.id == response.id and again.status == "completed" and again.instructions == "Flat illustration style"
    assert image_call(again).result == image_call(response).result
    assert "Flat illustration style" in image_call(again).revised_prompt

    page = client.responses.input_items.list(response.id, order="asc", limit=1)
    assert [item.content[0].text for item in page.data] == ["A fox"] and page.has_more
    every = [item.id for item in client.responses.input_items.list(response.id, order="asc", limit=1)]
    assert len(every) == 2 and len(set(every)) == 2
    newest_first = client.responses.input_items.list(response.id)
    assert newest_first.data[0].content[0].text == "in the snow"

    client.responses.delete(response.id)
    with pytest.raises(openai.NotFoundError):
        client.responses.retrieve(response.id)
    with pytest.raises(openai.BadRequestError) as error:
        client.responses.create(model="gpt-5.4", input="again", previous_response_id=response.id, tools=[TOOL])
    assert error.value.code == "previous_response_not_found"


def test_refusals_in_the_openai_envelope(client):
    def refused(**kwargs):
        with pytest.raises(openai.BadRequestError) as error:
            client.responses.create(model="gpt-5.4", **kwargs)
        return error.value

    other_tool = refused(input="x", tools=[{"type": "web_search"}])
    assert other_tool.param == "tools"
    unknown = refused(input="x", tools=[{"type": "image_generation", "n": 2}])
    assert unknown.code == "unknown_parameter" and unknown.param == "tools[0].n"
    assert refused(input="x").param == "tools"
    assert refused(input="x", tools=[TOOL], tool_choice="none").param == "tool_choice"
    assert refused(input="x", tools=[TOOL], background=True).code == "unsupported_parameter"
    missing = refused(input="x", tools=[TOOL], previous_response_id="resp_doesnotexist")
    assert missing.code == "previous_response_not_found"
    foreign_call = refused(tools=[TOOL], input=[{"role": "user", "content": "again"},
                                                  {"type": "image_generation_call", "id": "ig_nothing"}])
    assert foreign_call.code == "item_not_found"
    assert refused(input="x", tools=[{"type": "image_generation", "action": "edit"}]).param == "tools[0].action"
    assert refused(input="x", tools=[{"type": "image_generation", "size": "17x5"}]).param == "tools[0].size"
    remote = refused(tools=[TOOL], input=[{"role": "user", "content": [
        {"type": "input_text", "text": "x"}, {"type": "input_image", "image_url": "https://example.com/cat.png"}]}])
    assert remote.code == "invalid_image_url"
    with pytest.raises(openai.NotFoundError):
        client.responses.retrieve("resp_nothing")


@pytest.fixture(scope="module")
def forwarding():
    """Easel whose gpt-image-2 route forwards Responses turns to the fake OpenAI server's /v1/responses, and
    whose gpt-image-1.5 route runs them through the fake's Images API."""
    import os
    import tempfile
    from conftest import ROOT, free_port, make_key, start_fake_and_serve, stop
    binary = os.environ.get("EASEL_BIN", os.path.join(ROOT, ".build", "debug", "easel"))
    key = "sk-fake-responses-0000111122223333"
    fake_port = free_port()
    data = tempfile.mkdtemp(prefix="easel-responses-")
    config = os.path.join(data, "easel.yaml")
    with open(config, "w") as file:
        file.write(f"providers:\n  upstream: {{type: openai, base_url: \"http://127.0.0.1:{fake_port}/v1\", api_key: {key}}}\n"
                   "routes:\n  gpt-image-2: {providers: [upstream], responses: forward}\n  gpt-image-1.5: [upstream]\n")
    env = dict(os.environ, EASEL_CONFIG=config, EASEL_LOG_FORMAT="json")
    processes, base, log = start_fake_and_serve(binary, key, data, fake_port, env=env)
    yield {"base": base, "fake": f"http://127.0.0.1:{fake_port}", "key": key, "api_key": make_key(binary, data)}
    stop(processes, log, data)


def last_upstream_request(forwarding):
    with urllib.request.urlopen(forwarding["fake"] + "/_fake/requests") as response:
        return json.loads(response.read())[-1]


@pytest.mark.parametrize("strict", [False, True])
def test_a_forwarding_route_sends_the_turn_to_the_providers_responses_api(forwarding, strict):
    client = OpenAI(base_url=forwarding["base"] + "/v1", api_key=forwarding["api_key"], max_retries=0,
                    _strict_response_validation=strict)
    tool = {"type": "image_generation", "model": "gpt-image-2", "size": "1024x1024", "quality": "low"}
    first = client.responses.create(model="gpt-5.4", input="A lighthouse at dusk", tools=[tool])
    sent = last_upstream_request(forwarding)
    assert sent["path"] == "/v1/responses"
    assert sent["json"]["model"] == "gpt-5.4" and sent["json"]["store"] is False
    assert sent["json"]["tools"][0]["model"] == "gpt-image-2" and sent["json"]["tools"][0]["action"] == "generate"
    call = image_call(first)
    assert call.status == "completed" and png_size(base64.b64decode(call.result)) == (1024, 1024)
    assert call.revised_prompt == "A picture: A lighthouse at dusk"  # what the provider said, stored and echoed
    assert first.tool_usage.image_gen.output_tokens > 0
    assert client.responses.retrieve(first.id).tool_usage.image_gen.output_tokens == first.tool_usage.image_gen.output_tokens

    # The follow-up goes upstream as an edit carrying the earlier image, since the provider keeps nothing.
    second = client.responses.create(model="gpt-5.4", input="Now at night", previous_response_id=first.id, tools=[tool])
    sent = last_upstream_request(forwarding)
    content = sent["json"]["input"][0]["content"]
    assert sent["json"]["tools"][0]["action"] == "edit"
    assert [part["type"] for part in content] == ["input_text", "input_image"]
    assert content[1]["image_url"].startswith("data:image/png;base64,")
    assert image_call(second).action == "edit" and image_call(second).status == "completed"

    # Unknown tool keys are refused by Easel before anything goes upstream, as OpenAI itself refuses them.
    with pytest.raises(openai.BadRequestError) as error:
        client.responses.create(model="gpt-5.4", input="x", tools=[{**tool, "n": 2}])
    assert error.value.code == "unknown_parameter"


def test_an_images_route_runs_the_turn_through_the_images_api(forwarding):
    client = OpenAI(base_url=forwarding["base"] + "/v1", api_key=forwarding["api_key"], max_retries=0)
    response = client.responses.create(model="gpt-5.4", input="A teal bottle",
                                       tools=[{"type": "image_generation", "model": "gpt-image-1.5", "size": "1024x1024"}])
    assert last_upstream_request(forwarding)["path"] == "/v1/images/generations"
    assert image_call(response).status == "completed" and response.tool_usage.image_gen.output_tokens > 0
