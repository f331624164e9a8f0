"""images.edit through the official openai SDK, unchanged, against a live Easel (multipart on the wire)."""
import base64
import json
import struct
import urllib.request
import zlib

import openai
import pytest
from openai import OpenAI


def png_size(data: bytes):
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    return struct.unpack(">II", data[16:24])


def rgba_png(width: int, height: int, alpha_at) -> bytes:
    """A minimal RGBA PNG whose alpha is alpha_at(x, y)."""
    rows = b"".join(b"\x00" + b"".join(bytes((255, 255, 255, alpha_at(x, y))) for x in range(width)) for y in range(height))

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


@pytest.fixture()
def client(easel):
    return OpenAI(base_url=easel["base"] + "/v1", api_key=easel["api_key"], max_retries=0)


@pytest.fixture()
def picture(client):
    result = client.images.generate(model="easel-draft", prompt="blue harbour with boats", size="320x240")
    return base64.b64decode(result.data[0].b64_json)


def job_of(easel, raw):
    job_id = raw.headers["x-easel-job-id"]
    request = urllib.request.Request(f"{easel['base']}/api/jobs/{job_id}", headers={"Authorization": "Bearer " + easel["api_key"]})
    with urllib.request.urlopen(request) as response:
        return json.load(response)


def test_edit_with_one_image(client, easel, picture):
    raw = client.images.with_raw_response.edit(model="easel-draft", image=("harbour.png", picture, "image/png"),
                                               prompt="turn it into a sunset")
    result = raw.parse()
    assert png_size(base64.b64decode(result.data[0].b64_json)) == (320, 240)
    assert result.size == "320x240"
    job = job_of(easel, raw)
    assert job["kind"] == "edit" and len(job["input_asset_ids"]) == 1 and job["mask_asset_id"] is None


def test_edit_with_three_images_as_a_list(client, easel, picture):
    images = [(f"ref-{i}.png", picture, "image/png") for i in range(3)]
    raw = client.images.with_raw_response.edit(model="easel-draft", image=images, prompt="combine these", n=2)
    result = raw.parse()
    assert len(result.data) == 2
    assert len(job_of(easel, raw)["input_asset_ids"]) == 3


def test_edit_with_a_mask(client, easel, picture):
    mask = rgba_png(320, 240, lambda x, y: 0 if 80 <= x < 240 and 60 <= y < 180 else 255)
    raw = client.images.with_raw_response.edit(model="easel-draft", image=("harbour.png", picture, "image/png"),
                                               mask=("mask.png", mask, "image/png"), prompt="a red lighthouse in the middle")
    result = raw.parse()
    assert png_size(base64.b64decode(result.data[0].b64_json)) == (320, 240)
    assert job_of(easel, raw)["mask_asset_id"].startswith("img_")


def test_edit_streams_partials(client, picture):
    stream = client.images.edit(model="easel-draft", image=("harbour.png", picture, "image/png"), prompt="night",
                                stream=True, partial_images=1)
    assert [event.type for event in stream] == ["image_edit.partial_image", "image_edit.completed"]


def test_mask_of_the_wrong_size_is_a_bad_request(client, picture):
    mask = rgba_png(64, 64, lambda x, y: 0)
    with pytest.raises(openai.BadRequestError) as info:
        client.images.edit(model="easel-draft", image=("harbour.png", picture, "image/png"),
                           mask=("mask.png", mask, "image/png"), prompt="x")
    assert info.value.param == "mask"
    assert info.value.code == "invalid_mask"


def test_a_text_file_is_not_an_image(client):
    with pytest.raises(openai.BadRequestError) as info:
        client.images.edit(model="easel-draft", image=("notes.png", b"hello, not an image", "image/png"), prompt="x")
    assert info.value.param == "image"
    assert info.value.code == "unsupported_file_type"
