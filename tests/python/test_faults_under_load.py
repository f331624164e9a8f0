"""Under steady load through the OpenAI provider, the fake OpenAI server fails 30% of image requests at random
with every kind of failure a provider or the network produces: 500, 503, 429 with retry-after, a dropped
connection, a request held past the read timeout, a body cut short, a body that is not JSON, and a PNG that does
not decode. Afterwards every job has ended; no job took more attempts than its budget and the retryable failures
were retried; every failed job got its whole reservation back exactly once and nothing is left reserved; the
circuit breaker opened and closed again; and `easel serve`'s memory is back near its level before the faults."""
import json
import os
import re
import shutil
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import ledger_check
from conftest import ROOT, free_port, start_fake_and_serve

KEY = "sk-fake-chaos-0000111122223333"
MAX_ATTEMPTS = 4
GRANT_USD = 200
CONFIG = """\
plans:
  load: {{ images_per_day: 100000, images_per_minute: 100000, max_n: 4, concurrent_jobs: 1000 }}
default_plan: load
providers:
  openai:
    type: openai-compatible
    base_url: http://127.0.0.1:{port}/v1
    api_key: {key}
    timeouts: {{ connect_seconds: 1, read_seconds: 1 }}
    circuit_breaker: {{ failures: 3, cooldown_seconds: 1 }}
routes:
  gpt-image-2: [openai]
"""


def call(base, key, method, path, body=None, timeout=30):
    request = urllib.request.Request(base + path, method=method, data=None if body is None else json.dumps(body).encode(),
                                     headers={"Authorization": "Bearer " + key, "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return json.loads(response.read())


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as status:
        return int(re.search(r"VmRSS:\s+(\d+) kB", status.read()).group(1))


def metric(base, name):
    text = urllib.request.urlopen(base + "/metrics", timeout=10).read().decode()
    found = re.search(r'^' + name + r'\{provider="openai"\} ([0-9.e+]+)$', text, re.M)
    return float(found.group(1)) if found else 0.0


def test_thirty_percent_faults_under_steady_load():
    binary = os.environ.get("EASEL_BIN", os.path.join(ROOT, ".build", "debug", "easel"))
    fake_port = free_port()
    data = tempfile.mkdtemp(prefix="easel-faults-")
    config = os.path.join(data, "easel.yaml")
    with open(config, "w") as f:
        f.write(CONFIG.format(port=fake_port, key=KEY))
    env = dict(os.environ, EASEL_LOG_FORMAT="json", EASEL_MAX_ATTEMPTS=str(MAX_ATTEMPTS), EASEL_CONFIG=config)
    env.pop("OPENAI_API_KEY", None)
    processes, base, log = start_fake_and_serve(binary, KEY, data, fake_port, env=env)
    serve, fake = processes
    fake_base = f"http://127.0.0.1:{fake_port}"

    def cli(*args):
        return subprocess.run([binary, *args, "--data", data, "--log-level", "error"], env=env, check=True, capture_output=True,
                              text=True, timeout=120).stdout.strip().splitlines()[-1]

    try:
        key = cli("keys", "create", "--user", "loader", "--plan", "load")
        cli("credits", "grant", "--user", "loader", "--usd", str(GRANT_USD))
        run_sql = ledger_check.runner(os.path.join(data, "easel.sqlite"))
        user_id = run_sql("SELECT id FROM users WHERE name = 'loader'")[0][0]

        def steady_load(jobs, label):
            """`jobs` generations submitted from 8 clients at a steady pace; returns their ids."""
            ids, lock = [], threading.Lock()

            def client(index):
                for k in range(index, jobs, 8):
                    job = call(base, key, "POST", "/api/jobs", {"model": "gpt-image-2", "prompt": f"{label} {k}", "size": "1024x1024",
                                                                "quality": "low"})
                    with lock:
                        ids.append(job["id"])
                    time.sleep(0.05)

            with ThreadPoolExecutor(8) as pool:
                list(pool.map(client, range(8)))
            return ids

        def wait_until_ended(ids, seconds):
            deadline = time.time() + seconds
            pending = set(ids)
            while pending:
                for job_id in list(pending):
                    if call(base, key, "GET", f"/api/jobs/{job_id}")["status"] in ("succeeded", "failed", "cancelled"):
                        pending.discard(job_id)
                assert time.time() < deadline, f"{len(pending)} jobs never ended, e.g. {sorted(pending)[:3]}"
                time.sleep(0.2)

        # Baseline: the same load without faults, then memory once it is over.
        warm = steady_load(60, "warm-up")
        wait_until_ended(warm, 120)
        time.sleep(1)
        baseline = rss_kib(serve.pid)

        chaos = {"rate": 0.3, "seed": 7, "hang_ms": 1500}
        urllib.request.urlopen(urllib.request.Request(fake_base + "/_fake/chaos", data=json.dumps(chaos).encode(), method="POST")).read()
        stormy = steady_load(160, "under faults")
        wait_until_ended(stormy, 240)
        played = json.loads(urllib.request.urlopen(fake_base + "/_fake/chaos").read())["played"]
        urllib.request.urlopen(urllib.request.Request(fake_base + "/_fake/chaos", data=b'{"rate": 0}', method="POST")).read()

        # Every kind of failure was played, at about the rate asked for.
        kinds = {"server_error_500", "server_error_503", "rate_limit", "reset", "hang", "truncated_body", "malformed_json", "bad_png"}
        assert kinds <= set(played), f"not every kind of fault was played: {played}"

        # Every job ended within its attempt budget; retryable failures were retried, and most jobs got through.
        jobs = {job_id: call(base, key, "GET", f"/api/jobs/{job_id}") for job_id in stormy}
        attempts = [job["attempts"] for job in jobs.values()]
        assert max(attempts) <= MAX_ATTEMPTS, f"a job took {max(attempts)} attempts, budget {MAX_ATTEMPTS}"
        retried = [job for job in jobs.values() if job["attempts"] > 1 and job["status"] == "succeeded"]
        assert len(retried) >= 10, f"only {len(retried)} jobs succeeded after a retry"
        failed = [job for job in jobs.values() if job["status"] == "failed"]
        for job in failed:
            # A job fails only once its budget is spent (all of these faults are retryable).
            assert job["attempts"] == MAX_ATTEMPTS, f"{job['id']} failed after {job['attempts']} attempts: {job.get('error')}"
            assert job["error"]["type"] != "invalid_request_error", job["error"]
        succeeded = sum(1 for job in jobs.values() if job["status"] == "succeeded")
        assert succeeded >= 0.8 * len(stormy), f"only {succeeded} of {len(stormy)} jobs succeeded"

        # The circuit opened during the faults and is closed again after them.
        assert metric(base, "easel_provider_circuit_opened") >= 1, "the circuit breaker never opened"
        cool = steady_load(60, "after faults")
        wait_until_ended(cool, 120)
        assert metric(base, "easel_provider_circuit_reclosed") >= 1, "the circuit breaker never closed again"
        assert metric(base, "easel_provider_circuit_open") == 0
        assert all(call(base, key, "GET", f"/api/jobs/{i}")["status"] == "succeeded" for i in cool), "jobs failed after the faults"

        # Money: each failed job refunded once, each success settled once, nothing reserved, the balance exact.
        time.sleep(1)
        statuses, _ = ledger_check.check(run_sql, user_id, GRANT_USD * 1_000_000)
        assert statuses.get("failed", 0) == len(failed)
        assert sum(statuses.values()) == len(warm) + len(stormy) + len(cool)

        # Memory: back near where it was before the faults, after the same clean load.
        time.sleep(1)
        after = rss_kib(serve.pid)
        print(f"faults played {played}; rss before {baseline} KiB, after {after} KiB; "
              f"{succeeded} succeeded, {len(failed)} failed, {len(retried)} after retries")
        assert after <= baseline * 1.25 + 16 * 1024, f"memory grew from {baseline} KiB to {after} KiB"
    except BaseException:
        log.flush()
        print(open(os.path.join(data, "processes.log")).read()[-6000:])
        raise
    finally:
        for process in processes:
            process.terminate()
            process.wait(timeout=30)
        log.close()
        shutil.rmtree(data, ignore_errors=True)
