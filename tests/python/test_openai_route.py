"""The openai SDK through Easel to an OpenAI route (the fake OpenAI server standing in for api.openai.com)."""
import base64
import json
import struct
import urllib.request

import openai
import pytest
from openai import OpenAI


def faults(easel_openai, *items):
    request = urllib.request.Request(easel_openai["fake"] + "/_fake/faults", method="POST",
                                     data=json.dumps({"faults": list(items)}).encode(),
                                     headers={"Content-Type": "application/json"})
    urllib.request.urlopen(request).read()


@pytest.fixture()
def client(easel_openai):
    return OpenAI(base_url=easel_openai["base"] + "/v1", api_key=easel_openai["api_key"], max_retries=0)


def test_gpt_image_2_through_the_route(client, easel_openai):
    assert "gpt-image-2" in [m.id for m in client.models.list()]
    result = client.images.generate(model="gpt-image-2", prompt="a lighthouse at dusk", size="1536x864", quality="low")
    image = base64.b64decode(result.data[0].b64_json)
    assert image[:8] == b"\x89PNG\r\n\x1a\n"
    assert struct.unpack(">II", image[16:24]) == (1536, 864)
    assert result.usage.output_tokens > 0
    with urllib.request.urlopen(easel_openai["fake"] + "/_fake/requests") as response:
        sent = json.loads(response.read())[-1]
    # What reached "OpenAI" is what the SDK itself would have sent: no defaults, no Easel-only fields.
    assert sent["json"] == {"model": "gpt-image-2", "prompt": "a lighthouse at dusk", "size": "1536x864", "quality": "low"}


def test_streaming_through_the_route(client):
    events = list(client.images.generate(model="gpt-image-2", prompt="x", size="1024x1024", stream=True, partial_images=1))
    assert [e.type for e in events] == ["image_generation.partial_image", "image_generation.completed"]


def test_moderation_block_reaches_the_sdk(client, easel_openai):
    faults(easel_openai, {"kind": "moderation_blocked"})
    with pytest.raises(openai.BadRequestError) as info:
        client.images.generate(model="gpt-image-2", prompt="blocked please")
    assert info.value.code == "moderation_blocked"
    assert info.value.body["moderation_details"]["categories"] == ["violence"]


def test_rejected_provider_key_is_explained_and_never_shown(client, easel_openai):
    faults(easel_openai, {"kind": "invalid_api_key"})
    with pytest.raises(openai.APIStatusError) as info:
        client.images.generate(model="gpt-image-2", prompt="x")
    assert info.value.status_code == 502
    assert "provider key for route 'gpt-image-2'" in info.value.message
    assert easel_openai["key"] not in str(info.value.body)
    assert easel_openai["key"][-4:] not in info.value.message


def test_key_is_not_in_the_server_log(client, easel_openai):
    import os
    faults(easel_openai, {"kind": "server_error", "status": 500}, {"kind": "invalid_api_key"})
    with pytest.raises(openai.APIStatusError):
        client.images.generate(model="gpt-image-2", prompt="x")
    log = open(os.path.join(easel_openai["data"], "processes.log")).read()
    assert "request" in log  # the log is real and has content
    assert easel_openai["key"] not in log
