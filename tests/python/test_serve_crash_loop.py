"""`easel serve` (API and workers in one process) killed with -9 twenty times in a row while clients keep sending
work, on SQLite and on PostgreSQL. After one last start, every job a client was told about has ended, every
image of every success is stored and opens, no job was charged twice, and the ledger balances to the micro-dollar."""
import json
import os
import random
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid

import pytest

import ledger_check
from conftest import ROOT, free_port

KILLS = 20
PRICE_MICROS = 10_000
GRANT_USD = 500
CONFIG = """\
plans:
  crash: { images_per_day: 100000, images_per_minute: 100000, max_n: 4, concurrent_jobs: 1000 }
default_plan: crash
prices:
  easel-draft: { per_image_usd: 0.01 }
"""


def postgres_database():
    """A fresh database on EASEL_TEST_POSTGRES's server (CI names one), or on a throwaway cluster; and its cleanup."""
    server = os.environ.get("EASEL_TEST_POSTGRES")
    cleanups = []
    if not server:
        pg_dir = f"/tmp/easel-crash-pg.{uuid.uuid4().hex[:12]}"
        cleanups.append(lambda: subprocess.run([os.path.join(ROOT, "scripts", "postgres"), "stop", pg_dir], timeout=60))
        server = subprocess.run([os.path.join(ROOT, "scripts", "postgres"), "start", pg_dir, str(free_port())],
                                check=True, capture_output=True, text=True, timeout=90).stdout.strip().splitlines()[-1]
    name = "easel_crash_" + uuid.uuid4().hex[:12]
    subprocess.run(["psql", server, "-v", "ON_ERROR_STOP=1", "-c", f"CREATE DATABASE {name}"], check=True, capture_output=True, timeout=30)
    cleanups.insert(0, lambda: subprocess.run(["psql", server, "-c", f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"],
                                              capture_output=True, timeout=30))
    url = urllib.parse.urlunsplit(urllib.parse.urlsplit(server)._replace(path="/" + name))
    return url, lambda: [cleanup() for cleanup in cleanups]


def call(base, key, method, path, body=None, timeout=10):
    request = urllib.request.Request(base + path, method=method, data=None if body is None else json.dumps(body).encode(),
                                     headers={"Authorization": "Bearer " + key, "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return json.loads(response.read())


@pytest.mark.parametrize("engine", ["sqlite", "postgres"])
def test_serve_killed_twenty_times_under_load_loses_nothing(engine):
    binary = os.environ.get("EASEL_BIN", os.path.join(ROOT, ".build", "debug", "easel"))
    data = tempfile.mkdtemp(prefix=f"easel-crash-{engine}-")
    config = os.path.join(data, "easel.yaml")
    with open(config, "w") as f:
        f.write(CONFIG)
    env = {k: v for k, v in os.environ.items() if not k.startswith("EASEL_") and k != "OPENAI_API_KEY"}
    # Short leases and a quick reconciler: a killed process's jobs and orphaned reservations come back within seconds.
    env.update(EASEL_CONFIG=config, EASEL_LOG_FORMAT="json", EASEL_LEASE_MS="1500", EASEL_RECONCILE_SECONDS="3",
               EASEL_ORPHAN_RESERVATION_SECONDS="15")
    cleanup = lambda: None
    if engine == "postgres":
        database, cleanup = postgres_database()
        env["EASEL_DATABASE_URL"] = database
    else:
        database = os.path.join(data, "easel.sqlite")
    log_path = os.path.join(data, "serve.log")
    log = open(log_path, "a")
    serve = None

    def cli(*args):
        return subprocess.run([binary, *args, "--data", data, "--log-level", "error"], env=env, check=True, capture_output=True,
                              text=True, timeout=120).stdout.strip().splitlines()[-1]

    def start():
        port = free_port()
        process = subprocess.Popen([binary, "serve", "--data", data, "--port", str(port), "--workers", "4", "--log-level", "info"],
                                   stdout=log, stderr=subprocess.STDOUT, env=env)
        base = f"http://127.0.0.1:{port}"
        deadline = time.time() + 60
        while True:
            try:
                urllib.request.urlopen(base + "/readyz", timeout=1).read()
                return process, base
            except Exception:
                assert process.poll() is None and time.time() < deadline, "serve did not start:\n" + open(log_path).read()[-5000:]
                time.sleep(0.05)

    try:
        cli("migrate")
        key = cli("keys", "create", "--user", "crasher")
        cli("credits", "grant", "--user", "crasher", "--usd", str(GRANT_USD))
        accepted = {}  # job id -> images asked for
        lock = threading.Lock()
        chance = random.Random(20261129)
        for round_number in range(KILLS):
            serve, base = start()
            stop = threading.Event()

            def client(index):
                k = 0
                while not stop.is_set():
                    n = 1 + (index + k) % 2
                    try:
                        job = call(base, key, "POST", "/api/jobs", {"model": "easel-draft", "prompt": f"round {round_number} client {index} job {k}",
                                                                    "size": "1024x1024", "n": n})
                    except (urllib.error.URLError, ConnectionError, OSError):
                        return  # the server is gone: what it answered before is what counts
                    with lock:
                        accepted[job["id"]] = n
                    k += 1
                    time.sleep(0.2)

            clients = [threading.Thread(target=client, args=(i,)) for i in range(3)]
            for thread in clients:
                thread.start()
            time.sleep(chance.uniform(0.4, 1.2))
            os.kill(serve.pid, signal.SIGKILL)
            serve.wait()
            stop.set()
            for thread in clients:
                thread.join(timeout=30)
        assert len(accepted) >= KILLS * 3, f"only {len(accepted)} jobs were accepted in {KILLS} rounds"

        # One last start: expired leases go back to the queue and every job ends.
        serve, base = start()
        run_sql = ledger_check.runner(database)
        user_id = run_sql("SELECT id FROM users WHERE name = 'crasher'")[0][0]
        deadline = time.time() + 180
        while True:
            (open_jobs,), = run_sql(f"SELECT count(*) FROM jobs WHERE user_id = '{user_id}' AND status NOT IN ('succeeded', 'failed', 'cancelled')")
            if int(open_jobs) == 0:
                break
            assert time.time() < deadline, f"{open_jobs} jobs never ended"
            time.sleep(0.5)
        # A reservation made just before a kill, whose job was never stored, is refunded by the reconciler.
        while True:
            (open_reservations,), = run_sql(f"""SELECT count(*) FROM ledger r WHERE r.user_id = '{user_id}' AND r.phase = 'reserve'
                AND NOT EXISTS (SELECT 1 FROM ledger f WHERE f.job_id = r.job_id AND f.phase = 'final')""")
            if int(open_reservations) == 0:
                break
            assert time.time() < deadline, f"{open_reservations} reservations were never settled or refunded"
            time.sleep(0.5)
        orphans = run_sql(f"""SELECT count(*) FROM ledger r WHERE r.user_id = '{user_id}' AND r.phase = 'reserve'
            AND NOT EXISTS (SELECT 1 FROM jobs j WHERE j.id = r.job_id)""")[0][0]

        # Nothing lost: every accepted job is stored and ended, and every image of every success opens.
        stored = {row[0]: row[1] for row in run_sql(f"SELECT id, status FROM jobs WHERE user_id = '{user_id}'")}
        missing = set(accepted) - set(stored)
        assert not missing, f"{len(missing)} accepted jobs were lost, e.g. {sorted(missing)[:3]}"
        images = 0
        for job_id, n in accepted.items():
            job = call(base, key, "GET", f"/api/jobs/{job_id}")
            assert job["status"] in ("succeeded", "failed"), job
            if job["status"] == "failed":
                # Only a job whose every attempt died with a killed process fails (a job that keeps killing its
                # process must not loop for ever); it is refunded below like any failure.
                assert job["error"]["code"] == "worker_lost" and job["attempts"] == job["max_attempts"], job
            if job["status"] == "succeeded":
                assert len(job["asset_ids"]) == n, job
                for asset_id in job["asset_ids"]:
                    request = urllib.request.Request(f"{base}/files/{asset_id}", headers={"Authorization": "Bearer " + key})
                    with urllib.request.urlopen(request, timeout=10) as response:
                        assert response.read(8) == b"\x89PNG\r\n\x1a\n"
                images += n

        # Money: one reserve and one final per job, no double charge, the balance exact.
        statuses, spent = ledger_check.check(run_sql, user_id, GRANT_USD * 1_000_000)
        assert sum(statuses.values()) == len(stored)
        print(f"{engine}: {KILLS} kills, {len(accepted)} jobs accepted ({len(stored)} stored), {statuses}, {images} images, "
              f"spent {spent} micro-dollars; {orphans} reservations refunded with no job stored")
    except BaseException:
        log.flush()
        print(open(log_path).read()[-6000:])
        raise
    finally:
        if serve is not None and serve.poll() is None:
            serve.terminate()
            serve.wait(timeout=30)
        log.close()
        cleanup()
        shutil.rmtree(data, ignore_errors=True)
