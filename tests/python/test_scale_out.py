"""Easel scaled out: two `easel serve --workers 0` and two `easel worker` processes on one PostgreSQL database and
one S3-compatible bucket (moto). Each process has an empty data directory of its own and keeps it empty: the
deployment's signing secret is in the database, so signed file links open on any process. Work goes in through both serves
at once (openai SDK generations and edits, signed URLs, a batch, slow jobs), and one worker is killed with -9
while it runs jobs. Afterwards every job succeeded exactly once, the killed worker's jobs were taken over, every
image opens through either serve and is in the bucket, and the ledger balances to the micro-dollar."""
import base64
import hashlib
import json
import os
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
from concurrent.futures import ThreadPoolExecutor

from openai import OpenAI

from conftest import ROOT, free_port

PRICE_MICROS = 10_000  # easel-draft at $0.01 an image (config below), so the ledger moves real money
GRANT_USD = "10"
BUCKET, PREFIX = "easel-scale", "imgs/"
CONFIG = """\
plans:
  scale: { images_per_day: 5000, images_per_minute: 5000, max_n: 10, max_megapixels: 10, concurrent_jobs: 64 }
default_plan: scale
prices:
  easel-draft: { per_image_usd: 0.01 }
"""
TERMINAL = ("succeeded", "failed", "cancelled")


class Deadline:
    """The whole test's time budget; every wait takes what is left of it."""

    def __init__(self, seconds):
        self.end = time.time() + seconds

    def left(self):
        return max(0.0, self.end - time.time())

    def check(self, what):
        assert time.time() < self.end, f"out of time waiting for {what}"


def psql(url, sql):
    """Rows of a query through `psql` (unaligned, tuples only), each a list of strings."""
    out = subprocess.run(["psql", url, "-v", "ON_ERROR_STOP=1", "-Atc", sql], check=True, capture_output=True, text=True, timeout=30).stdout
    return [line.split("|") for line in out.splitlines() if line]


def with_database(url, name):
    parts = urllib.parse.urlsplit(url)
    return urllib.parse.urlunsplit(parts._replace(path="/" + name))


def call(base, key, method, path, body=None):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(base + path, data=data, method=method,
                                     headers={"Content-Type": "application/json", "Authorization": "Bearer " + key})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read())
    except urllib.error.HTTPError as error:
        raise AssertionError(f"{method} {base}{path} answered {error.code}: {error.read().decode(errors='replace')}") from None


def fetch(url, key=None):
    headers = {"Authorization": "Bearer " + key} if key else {}
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=30) as response:
            return response.read()
    except urllib.error.HTTPError as error:
        raise AssertionError(f"GET {url} answered {error.code}: {error.read().decode(errors='replace')}") from None


def wait_for(url, process, log_path, deadline):
    while True:
        try:
            urllib.request.urlopen(url, timeout=1).read()
            return
        except Exception:
            if process.poll() is not None or deadline.left() == 0:
                raise RuntimeError(f"{url} did not answer:\n" + open(log_path).read()[-20000:])
            time.sleep(0.1)


def test_two_serves_and_two_workers_share_one_database_and_one_bucket():
    deadline = Deadline(150)
    binary = os.environ.get("EASEL_BIN", os.path.join(ROOT, ".build", "debug", "easel"))
    work = tempfile.mkdtemp(prefix="easel-scale-")
    logs = os.path.join(work, "logs")
    os.makedirs(logs)
    processes = {}  # name -> (Popen, log path)
    cleanups = []

    def start(name, command, env=None):
        """Starts a process whose output goes to logs/NAME.log (shown if the test fails)."""
        path = os.path.join(logs, name + ".log")
        with open(path, "w") as log:
            processes[name] = (subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env), path)
        return processes[name]

    try:
        # One PostgreSQL database: on EASEL_TEST_POSTGRES's server when CI names one, else a throwaway cluster.
        server = os.environ.get("EASEL_TEST_POSTGRES")
        if server:
            name = "easel_scale_" + uuid.uuid4().hex[:12]
            psql(server, f"CREATE DATABASE {name}")
            cleanups.append(lambda: psql(server, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        else:
            pg_dir = f"/tmp/easel-scale-pg.{uuid.uuid4().hex[:12]}"  # not under `work`: the postgres user must reach it
            cleanups.append(lambda: subprocess.run([os.path.join(ROOT, "scripts", "postgres"), "stop", pg_dir], timeout=60))
            server = subprocess.run([os.path.join(ROOT, "scripts", "postgres"), "start", pg_dir, str(free_port())],
                                    check=True, capture_output=True, text=True, timeout=90).stdout.strip().splitlines()[-1]
            name = "easel_scale"
            psql(server, f"CREATE DATABASE {name}")
        database = with_database(server, name)

        # One bucket on moto's S3 server.
        moto_port = free_port()
        endpoint = f"http://127.0.0.1:{moto_port}"
        wait_for(endpoint + "/moto-api/", *start("moto", ["moto_server", "-H", "127.0.0.1", "-p", str(moto_port)]), deadline)

        config = os.path.join(work, "easel.yaml")
        with open(config, "w") as handle:
            handle.write(CONFIG)
        env = {k: v for k, v in os.environ.items() if not k.startswith("EASEL_")}
        env.update(EASEL_DATABASE_URL=database, EASEL_BLOB_URL=f"s3://{BUCKET}/{PREFIX.rstrip('/')}?endpoint={endpoint}&region=us-east-1",
                   AWS_ACCESS_KEY_ID="AKIDSCALE", AWS_SECRET_ACCESS_KEY="moto-scale-secret", EASEL_LEASE_MS="3000",
                   EASEL_LOG_FORMAT="json", EASEL_CONFIG=config, EASEL_AUTO_MIGRATE="false")

        # A data directory per process, as on separate machines: nothing is shared through them.
        dirs = {}
        for process_name in ("admin", "serve-a", "serve-b", "worker-1", "worker-2"):
            dirs[process_name] = os.path.join(work, "data-" + process_name)
            os.makedirs(dirs[process_name], mode=0o700)

        def cli(*args):
            done = subprocess.run([binary, *args, "--data", dirs["admin"], "--log-level", "error"], env=env,
                                  capture_output=True, text=True, timeout=max(5, deadline.left()))
            assert done.returncode == 0, f"easel {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"
            return done.stdout

        # Migrations once, before any process starts (they refuse to start with pending ones: EASEL_AUTO_MIGRATE=false).
        cli("migrate")
        assert psql(database, "SELECT count(*) FROM ledger") == [["0"]]

        ports = {"serve-a": free_port(), "serve-b": free_port()}
        for serve_name, port in ports.items():
            start(serve_name, [binary, "serve", "--data", dirs[serve_name], "--port", str(port), "--workers", "0", "--log-level", "info"], env)
        for worker_name in ("worker-1", "worker-2"):
            start(worker_name, [binary, "worker", "--data", dirs[worker_name], "--workers", "4", "--log-level", "info"], env)
        bases = [f"http://127.0.0.1:{ports['serve-a']}", f"http://127.0.0.1:{ports['serve-b']}"]
        for serve_name, base in zip(ports, bases):
            wait_for(base + "/readyz", processes[serve_name][0], processes[serve_name][1], deadline)
        for worker_name in ("worker-1", "worker-2"):
            process, path = processes[worker_name]
            while "worker started" not in open(path).read():
                assert process.poll() is None, f"{worker_name} exited:\n" + open(path).read()
                deadline.check(f"{worker_name} to start")
                time.sleep(0.1)
        worker_pids = {processes[w][0].pid: w for w in ("worker-1", "worker-2")}

        key = cli("keys", "create", "--user", "scaler").strip().splitlines()[-1]
        cli("credits", "grant", "--user", "scaler", "--usd", GRANT_USD)
        user_id = psql(database, "SELECT id FROM users WHERE name = 'scaler'")[0][0]
        clients = [OpenAI(base_url=base + "/v1", api_key=key, max_retries=0, timeout=100) for base in bases]

        made = []  # (job id, images expected, [b64 images returned], [signed urls returned])
        made_lock = threading.Lock()

        def generate(i):
            client = clients[i % 2]
            response_format = "url" if i % 3 == 0 else "b64_json"
            raw = client.images.with_raw_response.generate(model="easel-draft", prompt=f"scale-out lighthouse number {i}",
                                                           size="256x256", response_format=response_format)
            result = raw.parse()
            assert len(result.data) == 1
            entry = (raw.headers["x-easel-job-id"], 1,
                     [base64.b64decode(d.b64_json) for d in result.data if d.b64_json],
                     [d.url for d in result.data if d.url])
            with made_lock:
                made.append(entry)

        def edit(i):
            # The source from one serve, the edit through the other.
            source = clients[i % 2].images.with_raw_response.generate(model="easel-draft", prompt=f"harbour to edit {i}", size="320x240")
            picture = base64.b64decode(source.parse().data[0].b64_json)
            raw = clients[(i + 1) % 2].images.with_raw_response.edit(model="easel-draft", image=("harbour.png", picture, "image/png"),
                                                                     prompt=f"turn harbour {i} into a sunset")
            result = raw.parse()
            assert base64.b64decode(result.data[0].b64_json)[:8] == b"\x89PNG\r\n\x1a\n"
            with made_lock:
                made.append((source.headers["x-easel-job-id"], 1, [picture], []))
                made.append((raw.headers["x-easel-job-id"], 1, [base64.b64decode(result.data[0].b64_json)], []))

        def stream_through_a():
            """A stream through serve A while the job runs in a worker process: the partial images reach A through
            the database (a NOTIFY wakes A, which reads them from the table), then the final image."""
            events = list(clients[0].images.generate(model="easel-draft", prompt="a streamed harbour at dawn",
                                                     size="1024x1024", stream=True, partial_images=2))
            kinds = [event.type for event in events]
            assert kinds == ["image_generation.partial_image"] * 2 + ["image_generation.completed"], kinds
            assert [event.partial_image_index for event in events[:2]] == [0, 1]
            job_id = psql(database, "SELECT id FROM jobs WHERE payload LIKE '%streamed harbour%'")[0][0]
            with made_lock:
                made.append((job_id, 1, [base64.b64decode(events[-1].b64_json)], []))

        def finished_per_worker():
            return dict((int(w.split(":")[-2]), int(n)) for w, n in psql(
                database, "SELECT worker_id, count(*) FROM jobs WHERE status = 'succeeded' GROUP BY worker_id"))

        pool = ThreadPoolExecutor(max_workers=8)

        # First round: a batch through serve B, followed through serve A, beside generations through both, until
        # both workers have finished jobs.
        cities = ["Paris", "Tokyo", "Lima", "Oslo", "Cairo", "Quito"]
        batch = call(bases[1], key, "POST", "/api/batches", {"brief": {"subject": "a travel poster of {city}"}, "model": "easel-draft",
                                                             "size": "256x256", "rows": [{"city": c} for c in cities]})
        assert batch["total"] == len(cities), batch
        warm = 0
        while True:
            for future in [pool.submit(generate, 100 + warm + i) for i in range(4)]:
                future.result(timeout=max(1, deadline.left()))
            warm += 4
            while batch["status"] != "finished":
                deadline.check("the batch")
                time.sleep(0.2)
                batch = call(bases[0], key, "GET", f"/api/batches/{batch['id']}")
            if set(finished_per_worker()) == set(worker_pids):
                break
            assert warm < 16, f"one worker took every job: {finished_per_worker()}"
        assert batch["counts"]["succeeded"] == len(cities), batch["counts"]
        before_kill = finished_per_worker()

        # Then slow jobs (three 4K drafts each, seconds of work), so a worker is surely busy when it is killed,
        # and a burst of generations and edits through both serves.
        slow = {}
        for i in range(2):
            job = call(bases[i % 2], key, "POST", "/api/jobs",
                       {"model": "easel-draft", "prompt": f"a slow mountain panorama {i}", "size": "3840x2160", "n": 3, "output_format": "webp"})
            slow[job["id"]] = 3
        slow_list = ", ".join(f"'{job_id}'" for job_id in slow)
        while not psql(database, f"SELECT 1 FROM jobs WHERE status = 'running' AND id IN ({slow_list})"):
            deadline.check("a slow job to start")
            time.sleep(0.02)
        futures = [pool.submit(generate, i) for i in range(12)] + [pool.submit(edit, i) for i in range(4)]
        futures.append(pool.submit(stream_through_a))

        # Midway: kill -9 a worker while it runs a slow job (and whatever else it holds) and requests through both
        # serves still wait on the queue.
        victim = None
        while victim is None:
            deadline.check("a worker to run a slow job")
            if sum(f.done() for f in futures) >= 2:
                running = psql(database, f"""SELECT worker_id FROM jobs WHERE status = 'running' AND worker_id IS NOT NULL
                                             ORDER BY id IN ({slow_list}) DESC""")  # a worker with a slow job first
                if running:
                    victim = int(running[0][0].split(":")[-2])
            time.sleep(0.02)
        assert victim in worker_pids, victim
        os.kill(victim, signal.SIGKILL)
        processes[worker_pids[victim]][0].wait(timeout=10)
        lost = {row[0] for row in psql(database, f"SELECT id FROM jobs WHERE status = 'running' AND worker_id LIKE '%:{victim}:%'")}
        assert lost, "the killed worker held no running job"
        done_at_kill = sum(f.done() for f in futures)
        assert done_at_kill < len(futures), "every request had finished before the kill"

        for future in futures:
            future.result(timeout=max(1, deadline.left()))
        pool.shutdown()

        # Every job, listed page by page through serve A, until none is left waiting or running.
        expected = {job_id: n for job_id, n, _, _ in made}
        expected.update(slow)
        expected.update({item["job_id"]: 1 for item in batch["items"]})
        assert len(expected) == warm + 12 + 4 * 2 + 2 + len(cities) + 1
        while True:
            jobs, before = [], None
            while True:
                page = call(bases[0], key, "GET", "/api/jobs?limit=7" + (f"&before={before}" if before else ""))
                jobs += page["data"]
                if not page["has_more"]:
                    break
                before = page["next_cursor"]
            if all(j["status"] in TERMINAL for j in jobs):
                break
            deadline.check("every job to end: " + str({j["id"]: j["status"] for j in jobs if j["status"] not in TERMINAL}))
            time.sleep(0.3)
        assert {j["id"] for j in jobs} == set(expected), "the listing holds exactly the jobs made"
        assert len(jobs) == len(expected), "no job listed twice across pages"
        assert [j["id"] for j in jobs if j["status"] != "succeeded"] == [], [(j["id"], j["status"], j["error"]) for j in jobs]
        for job in jobs:
            assert len(job["asset_ids"]) == expected[job["id"]], job
        assert psql(database, "SELECT count(*) FROM jobs") == [[str(len(expected))]]

        # The killed worker's jobs were taken over after their lease ran out, and ran again to success.
        for job_id in lost:
            shown = call(bases[1], key, "GET", f"/api/jobs/{job_id}")
            assert shown["status"] == "succeeded" and shown["attempts"] >= 2, shown
            assert "worker_lost" in [e["error"]["code"] for e in shown["attempt_errors"]], shown
        survivor = next(pid for pid in worker_pids if pid != victim)
        # Both workers did work: what the victim finished before the kill keeps its id; the survivor took the rest.
        finishers = finished_per_worker()
        assert set(finishers) == set(worker_pids), finishers
        assert finishers[victim] >= before_kill[victim] > 0, (before_kill, finishers)
        assert finishers[survivor] >= before_kill[survivor] + len(lost), (before_kill, finishers)

        # No job completed twice: one asset per job, role and output index, and none beyond what was asked.
        assert psql(database, "SELECT job_id, idx, role, count(*) FROM assets WHERE job_id IS NOT NULL GROUP BY 1, 2, 3 HAVING count(*) > 1") == []
        outputs = dict((row[0], int(row[1])) for row in psql(database, "SELECT job_id, count(*) FROM assets WHERE role = 'generated' GROUP BY 1"))
        assert outputs == expected

        # Every image opens through either serve, byte for byte what was stored (its SHA-256) and returned.
        assets = {row[0]: row[1:] for row in psql(database, "SELECT id, job_id, role, blob_key, COALESCE(thumb_key, ''), sha256 FROM assets")}
        by_sha = {}
        for asset_id, (job_id, role, blob_key, thumb_key, sha) in assets.items():
            if role != "generated":
                continue
            copies = [fetch(f"{base}/files/{asset_id}", key) for base in bases]
            assert copies[0] == copies[1], asset_id
            assert hashlib.sha256(copies[0]).hexdigest() == sha, asset_id
            assert copies[0][:4] in (b"\x89PNG", b"RIFF"), asset_id
            by_sha[sha] = asset_id
        for job_id, _, images, urls in made:
            for image in images:
                assert hashlib.sha256(image).hexdigest() in by_sha, f"an image returned for {job_id} is not stored"
            for url in urls:
                # A signed link made by one serve opens, without a key, on both (one deployment secret).
                parts = urllib.parse.urlsplit(url)
                assert parts.path.startswith("/files/img_") and "sig=" in parts.query, url
                copies = [fetch(base + parts.path + "?" + parts.query) for base in bases]
                assert copies[0] == copies[1] and hashlib.sha256(copies[0]).hexdigest() in by_sha, url

        # Every stored object is in the bucket, under the prefix; nothing was written to any process's directory.
        import boto3
        s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="AKIDSCALE",
                          aws_secret_access_key="moto-scale-secret")
        stored = set()
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET):
            stored.update(o["Key"] for o in page.get("Contents", []))
        assert stored and all(k.startswith(PREFIX) for k in stored), sorted(stored)[:5]
        missing = [(asset_id, k) for asset_id, (_, _, blob_key, thumb_key, _) in assets.items()
                   for k in (blob_key, thumb_key) if k and PREFIX + k not in stored]
        assert missing == [], missing
        assert {a[1] for a in assets.values()} >= {"generated", "upload"}, "edits stored their inputs too"
        for process_name, directory in dirs.items():
            files = sorted(os.path.relpath(os.path.join(d, f), directory) for d, _, fs in os.walk(directory) for f in fs)
            assert files == [], f"{process_name} wrote {files} to its data directory"

        # The ledger: one reserve and one final row per job, each job settled at its images' price, the sum of
        # every row (the grant included) equal to the balance, nothing left active or reserved.
        ledger_query = """
            SELECT j.id,
                   count(*) FILTER (WHERE l.phase = 'reserve'),
                   count(*) FILTER (WHERE l.phase = 'final'),
                   COALESCE(string_agg(l.kind, ',') FILTER (WHERE l.phase = 'final'), ''),
                   COALESCE(sum(l.amount_micros) FILTER (WHERE l.phase = 'reserve'), 0),
                   COALESCE(sum(l.cost_micros) FILTER (WHERE l.phase = 'final'), 0),
                   COALESCE(sum(l.images) FILTER (WHERE l.phase = 'final'), 0)
            FROM jobs j LEFT JOIN ledger l ON l.job_id = j.id GROUP BY j.id"""
        rows = psql(database, ledger_query)
        while any(r[2] != "1" for r in rows):  # money follows a job's end by a moment
            deadline.check("every job to be settled")
            time.sleep(0.2)
            rows = psql(database, ledger_query)
        ledger = {r[0]: (int(r[1]), int(r[2]), r[3], int(r[4]), int(r[5]), int(r[6])) for r in rows}
        assert set(ledger) == set(expected)
        for job_id, n in expected.items():
            assert ledger[job_id] == (1, 1, "settle", -n * PRICE_MICROS, n * PRICE_MICROS, n), (job_id, ledger[job_id])
        assert psql(database, "SELECT count(*) FROM ledger WHERE job_id IS NOT NULL AND job_id NOT IN (SELECT id FROM jobs)") == [["0"]]
        images = sum(expected.values())
        grant = int(GRANT_USD) * 1_000_000
        (balance, active), = psql(database, f"SELECT balance_micros, active_jobs FROM users WHERE id = '{user_id}'")
        (total,), = psql(database, f"SELECT sum(amount_micros) FROM ledger WHERE user_id = '{user_id}'")
        assert int(balance) == grant - images * PRICE_MICROS, "each image charged once"
        assert int(total) == int(balance), "the grant, reserves and settlements sum to the balance"
        assert int(active) == 0, "no job left counted as active"
        (used,), = psql(database, f"SELECT sum(images) FROM daily_images WHERE user_id = '{user_id}'")
        assert int(used) == images, "the day's images count each delivered image once"
        usage = call(bases[1], key, "GET", "/api/usage")
        assert usage["total_images"] == images, usage

        # The other three processes lived through it all.
        for process_name in ("serve-a", "serve-b", worker_pids[survivor]):
            assert processes[process_name][0].poll() is None, f"{process_name} exited"
        print(f"{len(expected)} jobs, {images} images, {len(assets)} assets, {len(stored)} objects; worker {victim} killed "
              f"with {len(lost)} running job(s) after {done_at_kill}/{len(futures)} requests; jobs finished per worker: {finishers}")
    except BaseException:
        for process_name, (process, path) in processes.items():
            text = open(path, errors="replace").read()
            lines = text.splitlines()[-(30 if process_name == "moto" else 200):]
            print(f"===== {process_name} (exit {process.poll()}) =====\n" + "\n".join(lines))
        raise
    finally:
        for process, _ in processes.values():
            if process.poll() is None:
                process.terminate()
        for process, _ in processes.values():
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        for cleanup in reversed(cleanups):
            try:
                cleanup()
            except Exception as error:
                print("cleanup failed:", error)
        shutil.rmtree(work, ignore_errors=True)
