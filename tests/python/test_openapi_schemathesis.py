"""The OpenAPI document against the real server: scripts/schemathesis starts its own `easel serve` and runs
schemathesis over every documented operation (no 5xx; statuses, content types and JSON bodies as documented)."""
import os
import signal
import subprocess

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCRIPT = os.path.join(ROOT, "scripts", "schemathesis")
# The run takes about two minutes (schemathesis' --max-time 120, plus the server's start); installing
# schemathesis the first time adds to it.
TIMEOUT_SECONDS = 300


def tail(output, lines):
    return "\n".join((output or "").splitlines()[-lines:])


def test_openapi_document_matches_the_server():
    # Its own process group, so a timeout stops the script, schemathesis and the server it started together.
    process = subprocess.Popen([SCRIPT], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        output, _ = process.communicate(timeout=TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            output, _ = process.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            output, _ = process.communicate()
        pytest.fail(f"scripts/schemathesis ran over {TIMEOUT_SECONDS} s; the end of its output:\n{tail(output, 80)}")
    if process.returncode != 0:
        pytest.fail(f"scripts/schemathesis failed (exit {process.returncode}); the end of its output:\n{tail(output, 150)}")
