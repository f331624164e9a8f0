"""A worker process killed with -9 mid-job must not lose the job: the API and the workers run as separate
processes on one data directory, as `easel serve --workers 0` plus `easel worker`."""
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.request

from conftest import ROOT, free_port, make_key


KEY = {}


def request(method, url, body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method,
                                 headers={"Content-Type": "application/json", "Authorization": "Bearer " + KEY["key"]})
    with urllib.request.urlopen(req, timeout=10) as response:
        return json.loads(response.read())


def test_killed_worker_loses_nothing():
    binary = os.environ.get("EASEL_BIN", os.path.join(ROOT, ".build", "debug", "easel"))
    data = tempfile.mkdtemp(prefix="easel-crash-")
    env = dict(os.environ, EASEL_DATA=data, EASEL_LEASE_MS="1500", EASEL_LOG_FORMAT="json")
    port = free_port()
    logs = open(os.path.join(data, "processes.log"), "w")
    api = subprocess.Popen([binary, "serve", "--port", str(port), "--workers", "0"], env=env, stdout=logs, stderr=subprocess.STDOUT)
    workers = []
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.time() + 60
        while True:
            try:
                urllib.request.urlopen(base + "/readyz", timeout=1)
                break
            except Exception:
                assert time.time() < deadline and api.poll() is None, "api did not start"
                time.sleep(0.1)
        KEY["key"] = make_key(binary, data)
        # A long job: ten large drafts take seconds, long enough to kill the worker in the middle.
        job = request("POST", base + "/api/jobs", {"prompt": "a slow mountain panorama", "size": "3840x2160", "n": 10,
                                                   "output_format": "webp"})
        assert job["status"] == "queued"

        first = subprocess.Popen([binary, "worker", "--workers", "1"], env=env, stdout=logs, stderr=subprocess.STDOUT)
        workers.append(first)
        deadline = time.time() + 60
        while request("GET", f"{base}/api/jobs/{job['id']}")["status"] != "running":
            assert time.time() < deadline, "the job never started"
            time.sleep(0.05)
        os.kill(first.pid, signal.SIGKILL)
        first.wait()
        assert request("GET", f"{base}/api/jobs/{job['id']}")["status"] == "running"  # its lease still holds

        second = subprocess.Popen([binary, "worker", "--workers", "1"], env=env, stdout=logs, stderr=subprocess.STDOUT)
        workers.append(second)
        deadline = time.time() + 120
        while True:
            state = request("GET", f"{base}/api/jobs/{job['id']}")
            if state["status"] in ("succeeded", "failed", "cancelled"):
                break
            assert time.time() < deadline, f"job stuck in {state['status']}"
            time.sleep(0.2)
        assert state["status"] == "succeeded"
        assert state["attempts"] == 2
        assert [e["error"]["code"] for e in state["attempt_errors"]] == ["worker_lost"]
        assert len(state["asset_ids"]) == 10
        asset = request("GET", f"{base}/api/assets/{state['asset_ids'][0]}")
        assert (asset["width"], asset["height"], asset["format"]) == (3840, 2160, "webp")
    finally:
        for process in workers + [api]:
            if process.poll() is None:
                process.terminate()
                process.wait(timeout=30)
        logs.close()
        shutil.rmtree(data, ignore_errors=True)
