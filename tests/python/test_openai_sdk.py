"""The official openai Python SDK, unchanged, against a live Easel."""
import base64
import struct

import openai
import pytest
from openai import OpenAI


def png_size(data: bytes):
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    return struct.unpack(">II", data[16:24])


@pytest.fixture()
def client(easel):
    return OpenAI(base_url=easel["base"] + "/v1", api_key=easel["api_key"], max_retries=0)


def test_generate_returns_a_png_of_the_requested_size(client):
    result = client.images.generate(model="easel-draft", prompt="a lighthouse at dusk, dark cinematic palette", size="1536x1024")
    assert len(result.data) == 1
    image = base64.b64decode(result.data[0].b64_json)
    assert png_size(image) == (1536, 1024)
    assert result.size == "1536x1024"
    assert result.output_format == "png"
    assert result.quality == "medium"
    assert result.background == "opaque"
    assert result.usage.total_tokens == 0  # drafts use no model


def test_generate_several_webp_images(client):
    result = client.images.generate(model="easel-draft", prompt="teal bottle", size="256x256", n=2,
                                    output_format="webp", output_compression=50)
    assert len(result.data) == 2
    for item in result.data:
        data = base64.b64decode(item.b64_json)
        assert data[:4] == b"RIFF" and data[8:12] == b"WEBP"


def test_stream_sends_partials_then_completed(client):
    stream = client.images.generate(model="easel-draft", prompt="red mountains under a yellow sun",
                                    size="1024x1024", stream=True, partial_images=2)
    events = list(stream)
    kinds = [event.type for event in events]
    assert kinds == ["image_generation.partial_image", "image_generation.partial_image", "image_generation.completed"]
    assert [event.partial_image_index for event in events[:2]] == [0, 1]
    for event in events:
        assert png_size(base64.b64decode(event.b64_json)) == (1024, 1024)
    assert events[-1].usage.total_tokens == 0


def test_invalid_size_is_a_bad_request_naming_the_param(client):
    with pytest.raises(openai.BadRequestError) as info:
        client.images.generate(model="easel-draft", prompt="x", size="1920x1080")
    assert info.value.status_code == 400
    assert info.value.param == "size"
    assert info.value.code == "invalid_value"
    assert info.value.request_id.startswith("req_")


def test_too_long_prompt_is_rejected(client):
    with pytest.raises(openai.BadRequestError) as info:
        client.images.generate(model="easel-draft", prompt="x" * 32001, size="256x256")
    assert info.value.param == "prompt"


def test_unknown_model_is_not_found(client):
    with pytest.raises(openai.NotFoundError) as info:
        client.images.generate(model="gpt-image-99", prompt="x")
    assert info.value.code == "model_not_found"


def test_models_list(client):
    ids = [model.id for model in client.models.list()]
    assert "easel-draft" in ids


def test_url_response_format_links_open_without_a_key(client, easel):
    """As at OpenAI, a returned URL opens as it is (an <img src>, a CMS, a download link) until it expires."""
    import json
    import urllib.error
    import urllib.request
    result = client.images.generate(model="easel-draft", prompt="green forest", size="128x128", response_format="url")
    url = result.data[0].url
    assert url.startswith(easel["base"] + "/files/img_") and "exp=" in url and "sig=" in url
    with urllib.request.urlopen(url) as response:
        assert response.headers["Content-Type"] == "image/png"
        assert png_size(response.read()) == (128, 128)
    # The thumbnail is not covered by the file's signature; the path without a signature still needs a key.
    path, query = url.split("?", 1)
    for changed in (path + "/thumb?" + query, url.replace("sig=", "sig=A"), url.replace("exp=", "exp=1")):
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(changed)
        assert refused.value.code == 403
        error = json.loads(refused.value.read())["error"]
        assert error["code"] == "invalid_file_link" and "img_" not in error["message"]
    with pytest.raises(urllib.error.HTTPError) as anonymous:
        urllib.request.urlopen(path)
    assert anonymous.value.code == 401


def test_first_run_says_how_to_create_the_first_admin(easel):
    import os
    log = open(os.path.join(easel["data"], "serve.log")).read()
    assert "No users yet" in log and "easel keys create --user admin --role admin" in log
    assert easel["api_key"] not in log  # the key made afterwards is never logged


def test_a_request_without_a_key_is_refused_in_the_openai_envelope(easel):
    anonymous = OpenAI(base_url=easel["base"] + "/v1", api_key="esk_wrong", max_retries=0)
    with pytest.raises(openai.AuthenticationError) as info:
        anonymous.images.generate(model="easel-draft", prompt="x", size="64x64")
    assert info.value.status_code == 401
    assert info.value.code == "invalid_api_key"
