"""Economy batches across real processes: the fake OpenAI's Files and Batch APIs as the openai SDK reads them,
and an Easel batch with `service_tier: economy` sent through them at half price."""
import io
import json
import os
import tempfile
import time
import urllib.request

import openai
import pytest
from openai import OpenAI

from conftest import ROOT, free_port, make_key, start_fake_and_serve, stop

KEY = "sk-fake-economy-0000111122223333"


@pytest.fixture(scope="module")
def economy():
    """`easel fake-openai` and `easel serve` whose OpenAI provider collects and polls within a second."""
    binary = os.environ.get("EASEL_BIN", os.path.join(ROOT, ".build", "debug", "easel"))
    fake_port = free_port()
    data = tempfile.mkdtemp(prefix="easel-economy-")
    config = os.path.join(data, "easel.yaml")
    with open(config, "w") as f:
        f.write(
            "providers:\n"
            "  openai:\n"
            "    type: openai\n"
            f"    base_url: http://127.0.0.1:{fake_port}/v1\n"
            f"    api_key: {KEY}\n"
            "    batch: {collect_seconds: 0.2, poll_seconds: 0.1, max_poll_seconds: 0.4}\n"
            "routes:\n"
            "  gpt-image-2: [openai]\n"
        )
    env = dict(os.environ, EASEL_LOG_FORMAT="json")
    env.pop("OPENAI_API_KEY", None)
    processes, base, log = start_fake_and_serve(binary, KEY, data, fake_port, serve_args=("--config", config), env=env)
    # An unlimited key pays afterwards: each job's cost and saving are charged once it ends.
    api_key = make_key(binary, data, user="saver")
    yield {"base": base, "fake": f"http://127.0.0.1:{fake_port}", "data": data, "api_key": api_key}
    stop(processes, log, data)


def call(economy, method, path, body=None):
    request = urllib.request.Request(economy["base"] + path, method=method,
                                     data=None if body is None else json.dumps(body).encode(),
                                     headers={"Authorization": "Bearer " + economy["api_key"], "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def test_the_fakes_batch_api_reads_as_openais_through_the_sdk(economy):
    fake = OpenAI(base_url=economy["fake"] + "/v1", api_key=KEY, max_retries=0)
    lines = [json.dumps({"custom_id": f"job_{i}", "method": "POST", "url": "/v1/images/generations",
                         "body": {"model": "gpt-image-2", "prompt": f"mug {i}", "size": "1024x1024", "quality": "low"}})
             for i in range(3)]
    uploaded = fake.files.create(file=("in.jsonl", io.BytesIO("\n".join(lines).encode())), purpose="batch")
    assert uploaded.purpose == "batch" and uploaded.id.startswith("file-")
    batch = fake.batches.create(input_file_id=uploaded.id, endpoint="/v1/images/generations", completion_window="24h",
                                metadata={"easel_batch": "ubt_test"})
    assert batch.status == "validating" and batch.metadata == {"easel_batch": "ubt_test"}
    deadline = time.time() + 30
    while batch.status not in ("completed", "failed", "expired", "cancelled") and time.time() < deadline:
        time.sleep(0.1)
        batch = fake.batches.retrieve(batch.id)
    assert batch.status == "completed"
    assert (batch.request_counts.total, batch.request_counts.completed, batch.request_counts.failed) == (3, 3, 0)
    output = [json.loads(line) for line in fake.files.content(batch.output_file_id).text.splitlines()]
    assert sorted(line["custom_id"] for line in output) == ["job_0", "job_1", "job_2"]
    assert all(line["response"]["status_code"] == 200 and line["response"]["body"]["data"][0]["b64_json"] for line in output)
    assert batch.id in [b.id for b in fake.batches.list(limit=5).data]
    with pytest.raises(openai.NotFoundError):
        fake.batches.retrieve("batch_does_not_exist")
    # A batch still running can be cancelled; it ends `cancelled`.
    slow = urllib.request.Request(economy["fake"] + "/_fake/batches", method="POST", data=json.dumps({"run_ms": 60000}).encode(),
                                  headers={"Content-Type": "application/json"})
    urllib.request.urlopen(slow).read()
    try:
        second = fake.batches.create(input_file_id=uploaded.id, endpoint="/v1/images/generations", completion_window="24h")
        assert fake.batches.cancel(second.id).status in ("cancelling", "cancelled")
        deadline = time.time() + 30
        while fake.batches.retrieve(second.id).status != "cancelled" and time.time() < deadline:
            time.sleep(0.1)
        assert fake.batches.retrieve(second.id).status == "cancelled"
    finally:
        reset = urllib.request.Request(economy["fake"] + "/_fake/batches", method="POST", data=b"{}",
                                       headers={"Content-Type": "application/json"})
        urllib.request.urlopen(reset).read()


def test_an_economy_batch_runs_upstream_at_half_price(economy):
    spec = {"brief": {"subject": "{subject}", "style": "photorealistic"}, "model": "gpt-image-2", "size": "1024x1024",
            "quality": "low", "service_tier": "economy", "rows": [{"subject": s} for s in ("a mug", "a lamp", "a chair")]}
    dry = call(economy, "POST", "/api/batches", dict(spec, dry_run=True))
    assert dry["economy"]["routes"][0]["runs"] == "provider_batch"
    assert dry["economy"]["saving"]["micros"] > 0
    batch = call(economy, "POST", "/api/batches", spec)
    deadline = time.time() + 60
    while batch["status"] != "finished" and time.time() < deadline:
        time.sleep(0.2)
        batch = call(economy, "GET", f"/api/batches/{batch['id']}")
    assert batch["counts"]["succeeded"] == 3
    assert [u["upstream_status"] for u in batch["upstream_batches"]] == ["completed"]
    for item in batch["items"]:
        job = call(economy, "GET", f"/api/jobs/{item['job_id']}")
        assert (job["service_tier"], job["price_percent"]) == ("economy", 50)
    usage = call(economy, "GET", "/api/usage")
    assert float(usage["total_saved_usd"]) > 0
    assert abs(float(usage["total_saved_usd"]) - float(usage["total_cost_usd"])) < 0.00001


def test_the_openai_door_refuses_economy_by_name(economy):
    client = OpenAI(base_url=economy["base"] + "/v1", api_key=economy["api_key"], max_retries=0)
    with pytest.raises(openai.BadRequestError) as info:
        client.images.generate(model="gpt-image-2", prompt="a mug", extra_body={"service_tier": "economy"})
    assert info.value.param == "service_tier"
