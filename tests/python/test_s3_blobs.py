"""`easel serve` with its image files on an S3-compatible store (moto's S3 server on loopback): images made
through the openai SDK land in the bucket under the prefix, nothing under the data directory, and come back
through Easel's file and thumbnail routes."""
import base64
import os
import re
import shutil
import subprocess
import tempfile
import time
import urllib.error
import urllib.request

import pytest
from openai import OpenAI

from conftest import free_port, make_key

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def wait_for(url, process, log_path):
    deadline = time.time() + 60
    while True:
        try:
            urllib.request.urlopen(url, timeout=1).read()
            return
        except Exception:
            if process.poll() is not None or time.time() > deadline:
                raise RuntimeError(f"{url} did not answer:\n" + open(log_path).read())
            time.sleep(0.1)


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


@pytest.mark.parametrize("redirect", [False, True], ids=["through-easel", "presigned-redirect"])
def test_images_live_in_the_bucket(redirect):
    binary = os.environ.get("EASEL_BIN", os.path.join(ROOT, ".build", "debug", "easel"))
    data = tempfile.mkdtemp(prefix="easel-s3-")
    moto_port, port = free_port(), free_port()
    log_path = os.path.join(data, "processes.log")
    log = open(log_path, "w")
    moto = subprocess.Popen(["moto_server", "-H", "127.0.0.1", "-p", str(moto_port)], stdout=log, stderr=subprocess.STDOUT)
    secret = "moto-secret-never-logged"
    env = dict(os.environ, EASEL_BLOB_URL=f"s3://easel-e2e/tenant/images?endpoint=http://127.0.0.1:{moto_port}&region=us-east-1",
               AWS_ACCESS_KEY_ID="AKIDE2E", AWS_SECRET_ACCESS_KEY=secret, EASEL_LOG_FORMAT="json")
    if redirect:
        env["EASEL_BLOB_REDIRECT"] = "300"
    serve = None
    try:
        wait_for(f"http://127.0.0.1:{moto_port}/moto-api/", moto, log_path)
        serve = subprocess.Popen([binary, "serve", "--data", data, "--port", str(port), "--log-level", "debug"],
                                 stdout=log, stderr=subprocess.STDOUT, env=env)
        base = f"http://127.0.0.1:{port}"
        wait_for(base + "/readyz", serve, log_path)
        key = make_key(binary, data)
        client = OpenAI(base_url=base + "/v1", api_key=key, max_retries=0)
        result = client.images.generate(model="easel-draft", prompt="a teal lighthouse", size="256x256")
        image = base64.b64decode(result.data[0].b64_json)
        assert image[:8] == b"\x89PNG\r\n\x1a\n"

        asset = urllib.request.urlopen(urllib.request.Request(base + "/api/assets?limit=1", headers={"Authorization": f"Bearer {key}"}))
        asset_id = re.search(r'"id":"(img_[^"]+)"', asset.read().decode()).group(1)
        for path, magic in ((f"/files/{asset_id}", b"\x89PNG"), (f"/files/{asset_id}/thumb", b"RIFF")):
            with urllib.request.urlopen(urllib.request.Request(base + path, headers={"Authorization": f"Bearer {key}"})) as response:
                assert response.read()[:4] == magic, path
            if redirect:
                # Easel answers 302 to a presigned GET on the store; the bytes never pass through Easel.
                opener = urllib.request.build_opener(NoRedirect)
                with pytest.raises(urllib.error.HTTPError) as answer:
                    opener.open(urllib.request.Request(base + path, headers={"Authorization": f"Bearer {key}"}))
                assert answer.value.code == 302
                location = answer.value.headers["Location"]
                assert location.startswith(f"http://127.0.0.1:{moto_port}/easel-e2e/tenant/images/")
                assert "X-Amz-Signature=" in location and "X-Amz-Expires=300" in location and secret not in location
                # A download keeps its file name, so it still passes through Easel.
                download = urllib.request.urlopen(urllib.request.Request(base + path + "?download=1", headers={"Authorization": f"Bearer {key}"}))
                assert download.status == 200 and "attachment" in download.headers["Content-Disposition"]

        # In the bucket, under the prefix: the image and its thumbnail; nothing under the data directory.
        listing = urllib.request.urlopen(f"http://127.0.0.1:{moto_port}/easel-e2e?prefix=tenant/images/").read().decode()
        keys = re.findall(r"<Key>([^<]+)</Key>", listing)
        assert any(k.endswith(".png") for k in keys) and any(k.endswith(".webp") for k in keys), keys
        assert all(k.startswith("tenant/images/") for k in keys)
        local = os.path.join(data, "blobs")
        assert not os.path.exists(local) or not any(f for _, _, fs in os.walk(local) for f in fs if not f.endswith(".part"))
    finally:
        for process in (serve, moto):
            if process is not None:
                process.terminate()
                process.wait(timeout=30)
        log.close()
        text = open(log_path).read()
        shutil.rmtree(data, ignore_errors=True)
    assert secret not in text, "the secret key reached a log line"


def test_signatures_are_checked_by_the_store():
    """moto with authentication on (after three open requests that make an IAM user and its key): Easel's
    SigV4 requests are accepted with the right secret (a real check of the signer, beside the offline
    vectors); with a wrong one the server refuses to start, saying what to check and never the secret."""
    import hashlib
    import json

    import boto3

    binary = os.environ.get("EASEL_BIN", os.path.join(ROOT, ".build", "debug", "easel"))
    data = tempfile.mkdtemp(prefix="easel-s3-auth-")
    moto_port, port = free_port(), free_port()
    log_path = os.path.join(data, "processes.log")
    log = open(log_path, "w")
    endpoint = f"http://127.0.0.1:{moto_port}"
    moto = subprocess.Popen(["moto_server", "-H", "127.0.0.1", "-p", str(moto_port)], stdout=log, stderr=subprocess.STDOUT,
                            env=dict(os.environ, INITIAL_NO_AUTH_ACTION_COUNT="3"))
    processes = [moto]
    try:
        wait_for(endpoint + "/moto-api/", moto, log_path)
        iam = boto3.client("iam", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="setup", aws_secret_access_key="setup")
        iam.create_user(UserName="easel")
        iam.put_user_policy(UserName="easel", PolicyName="s3", PolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}))
        made = iam.create_access_key(UserName="easel")["AccessKey"]
        blob_url = f"s3://signed-e2e/images?endpoint={endpoint}"

        wrong = subprocess.run([binary, "serve", "--data", data, "--port", str(port), "--blobs", blob_url],
                               env=dict(os.environ, AWS_ACCESS_KEY_ID=made["AccessKeyId"], AWS_SECRET_ACCESS_KEY="not-the-secret-xyz"),
                               capture_output=True, text=True, timeout=60)
        assert wrong.returncode != 0
        said = wrong.stdout + wrong.stderr
        assert "answered 403" in said and "check AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY" in said, said
        assert "not-the-secret-xyz" not in said

        env = dict(os.environ, AWS_ACCESS_KEY_ID=made["AccessKeyId"], AWS_SECRET_ACCESS_KEY=made["SecretAccessKey"])
        serve = subprocess.Popen([binary, "serve", "--data", data, "--port", str(port), "--blobs", blob_url],
                                 stdout=log, stderr=subprocess.STDOUT, env=env)
        processes.append(serve)
        base = f"http://127.0.0.1:{port}"
        wait_for(base + "/readyz", serve, log_path)
        client = OpenAI(base_url=base + "/v1", api_key=make_key(binary, data), max_retries=0)
        image = base64.b64decode(client.images.generate(model="easel-draft", prompt="a signed kite", size="256x256").data[0].b64_json)
        assert image[:8] == b"\x89PNG\r\n\x1a\n"
        s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                          aws_access_key_id=made["AccessKeyId"], aws_secret_access_key=made["SecretAccessKey"])
        # Content-addressed: the image is stored under the SHA-256 of its bytes.
        stored = s3.get_object(Bucket="signed-e2e", Key=f"images/{hashlib.sha256(image).hexdigest()}.png")["Body"].read()
        assert stored == image
    finally:
        for process in reversed(processes):
            process.terminate()
            process.wait(timeout=30)
        log.close()
        text = open(log_path).read()
        shutil.rmtree(data, ignore_errors=True)
    assert made["SecretAccessKey"] not in text
