"""Templates and briefs from the unchanged openai SDK (extra_body), and `easel batch` from the terminal."""
import base64
import csv
import json
import os
import subprocess
import tempfile

import openai
import pytest
from openai import OpenAI


@pytest.fixture()
def client(easel):
    return OpenAI(base_url=easel["base"] + "/v1", api_key=easel["api_key"], max_retries=0)


def png_size(data: bytes):
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def test_a_template_through_extra_body(client):
    # The SDK insists on a prompt; beside a template it is extra words at the end of the brief.
    response = client.images.with_raw_response.generate(
        model="easel-draft", prompt="", size="256x256",
        extra_body={"template": "product-hero", "variables": {"product": "a matte teal bottle"}},
    )
    result = response.parse()
    assert png_size(base64.b64decode(result.data[0].b64_json)) == (256, 256)
    job = response.headers["x-easel-job-id"]
    assert job.startswith("job_")


def test_a_brief_through_extra_body_picks_the_size_from_its_format(client):
    result = client.images.generate(
        model="easel-draft", prompt="soft morning light",
        extra_body={"brief": {"subject": "a ceramic mug", "format": "16:9", "style": "flat"}},
    )
    width, height = png_size(base64.b64decode(result.data[0].b64_json))
    assert width > height


def test_template_errors_reach_the_sdk_as_its_own_exceptions(client):
    with pytest.raises(openai.BadRequestError) as missing:
        client.images.generate(model="easel-draft", prompt="", extra_body={"template": "product-hero"})
    assert missing.value.code == "missing_required_parameter"
    assert missing.value.param == "variables.product"
    with pytest.raises(openai.BadRequestError) as unknown:
        client.images.generate(model="easel-draft", prompt="", extra_body={"template": "no-such-thing"})
    assert unknown.value.param == "template"


def test_the_cache_answers_an_identical_request_for_nothing(client):
    body = dict(model="easel-draft", prompt="a cached lighthouse", size="128x128",
                extra_body={"seed": 11, "cache": "reuse"})
    first = client.images.with_raw_response.generate(**body)
    second = client.images.with_raw_response.generate(**body)
    assert first.headers["x-easel-cache"] == "miss"
    assert second.headers["x-easel-cache"] == "hit"
    assert second.headers["x-easel-cost-usd"] == "0.000000"
    assert first.parse().data[0].b64_json == second.parse().data[0].b64_json


def test_easel_batch_writes_images_and_a_manifest(easel):
    binary = os.environ.get("EASEL_BIN")
    work = tempfile.mkdtemp(prefix="easel-batch-")
    rows = os.path.join(work, "products.csv")
    with open(rows, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["product"])
        writer.writerow(["a {red|blue} mug"])
        writer.writerow(["春季海报"])
    out = os.path.join(work, "out")
    done = subprocess.run(
        [binary, "batch", "--template", "product-hero", "--rows", rows, "--size", "256x256", "-o", out,
         "--data", os.path.join(work, "data")],
        capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    files = sorted(os.listdir(out))
    images = [name for name in files if name.endswith(".png")]
    assert len(images) == 3
    assert "manifest.csv" in files and "manifest.json" in files
    manifest = json.load(open(os.path.join(out, "manifest.json"), encoding="utf-8"))
    assert [item["status"] for item in manifest["items"]] == ["succeeded"] * 3
    assert sorted(name for item in manifest["items"] for name in item["files"]) == images
    assert any("春季海报" in item["prompt"] for item in manifest["items"])
    # A row that breaks the template is refused before anything runs, with a non-zero exit.
    with open(rows, "w", encoding="utf-8") as handle:
        handle.write("colour\nred\n")
    refused = subprocess.run([binary, "batch", "--template", "product-hero", "--rows", rows, "-o", out, "--data", os.path.join(work, "data")],
                             capture_output=True, text=True, timeout=300)
    assert refused.returncode != 0
    assert "colour" in refused.stderr
