"""Starts a real `easel serve` on a free port with a throwaway data directory."""
import os
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.request

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def make_key(binary, data, user="sdk", plan="unlimited"):
    """An API key from `easel keys create` (creating the user), as an operator would make one."""
    out = subprocess.run([binary, "keys", "create", "--user", user, "--plan", plan, "--data", data, "--log-level", "error"],
                         check=True, capture_output=True, text=True, timeout=120).stdout
    return out.strip().splitlines()[-1]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def easel():
    binary = os.environ.get("EASEL_BIN", os.path.join(ROOT, ".build", "debug", "easel"))
    assert os.path.exists(binary), f"build Easel first: {binary} is missing"
    port = free_port()
    data = tempfile.mkdtemp(prefix="easel-sdk-")
    log = open(os.path.join(data, "serve.log"), "w")
    # Webhook tests run a receiver on loopback, which Easel otherwise refuses to call.
    env = dict(os.environ, EASEL_LOG_FORMAT="json", EASEL_WEBHOOK_ALLOW="127.0.0.1")
    process = subprocess.Popen(
        [binary, "serve", "--data", data, "--port", str(port), "--log-level", "info"],
        stdout=log, stderr=subprocess.STDOUT, env=env,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while True:
        try:
            urllib.request.urlopen(base + "/readyz", timeout=1).read()
            break
        except Exception:
            if process.poll() is not None or time.time() > deadline:
                log.close()
                raise RuntimeError("easel serve did not start:\n" + open(os.path.join(data, "serve.log")).read())
            time.sleep(0.1)
    yield {"base": base, "data": data, "process": process, "api_key": make_key(binary, data)}
    process.terminate()
    process.wait(timeout=30)
    log.close()
    shutil.rmtree(data, ignore_errors=True)


def start_fake_and_serve(binary, key, data, fake_port, serve_args=(), env=None):
    """`easel fake-openai` with `key`, then `easel serve` on a free port; waits until both answer.
    Returns (processes, base URL, log file)."""
    port = free_port()
    log = open(os.path.join(data, "processes.log"), "w")
    fake = subprocess.Popen([binary, "fake-openai", "--port", str(fake_port), "--key", key], stdout=log, stderr=subprocess.STDOUT)
    serve = subprocess.Popen([binary, "serve", "--data", data, "--port", str(port), "--log-level", "info", *serve_args],
                             stdout=log, stderr=subprocess.STDOUT, env=env)
    base = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    for url in (f"http://127.0.0.1:{fake_port}/v1/models", base + "/readyz"):
        while True:
            try:
                urllib.request.urlopen(url, timeout=1).read()
                break
            except Exception:
                if fake.poll() is not None or serve.poll() is not None or time.time() > deadline:
                    log.close()
                    raise RuntimeError("easel or the fake did not start:\n" + open(os.path.join(data, "processes.log")).read())
                time.sleep(0.1)
    return (serve, fake), base, log


def stop(processes, log, data):
    for process in processes:
        process.terminate()
        process.wait(timeout=30)
    log.close()
    shutil.rmtree(data, ignore_errors=True)


@pytest.fixture(scope="session")
def easel_openai():
    """Easel with its OpenAI route pointed at `easel fake-openai` (no real key, no network)."""
    binary = os.environ.get("EASEL_BIN", os.path.join(ROOT, ".build", "debug", "easel"))
    key = "sk-fake-python-0000111122223333"
    fake_port = free_port()
    data = tempfile.mkdtemp(prefix="easel-sdk-openai-")
    env = dict(os.environ, OPENAI_API_KEY=key, OPENAI_BASE_URL=f"http://127.0.0.1:{fake_port}/v1", EASEL_LOG_FORMAT="json")
    processes, base, log = start_fake_and_serve(binary, key, data, fake_port, env=env)
    yield {"base": base, "fake": f"http://127.0.0.1:{fake_port}", "key": key, "data": data, "api_key": make_key(binary, data)}
    stop(processes, log, data)


@pytest.fixture()
def studio(easel):
    """A fresh headless Chromium on the shared `easel serve` (no cookies), closed after the test."""
    from studio_kit import Studio, new_driver
    driver = new_driver()
    yield Studio(driver, easel["base"])
    driver.quit()


@pytest.fixture()
def studio_openai(easel_openai):
    """A fresh headless Chromium on the Easel whose OpenAI route is the fake (pages that run a provider model)."""
    from studio_kit import Studio, new_driver
    driver = new_driver()
    yield Studio(driver, easel_openai["base"])
    driver.quit()
