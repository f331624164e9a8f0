"""Webhooks on the studio's account page: add an endpoint (its signing secret shown once), send a test, read the
delivery log, replay a delivery. A receiver on loopback checks each signature as Standard Webhooks says."""
import base64
import hashlib
import hmac
import http.server
import json
import threading
import uuid

from studio_kit import make_user


class Receiver:
    def __init__(self):
        self.received = []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                outer.received.append((dict(self.headers), body))
                self.send_response(200)
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def stop(self):
        self.server.shutdown()


def signed(headers, body, secret):
    key = base64.b64decode(secret[len("whsec_"):])
    message = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + body
    expected = "v1," + base64.b64encode(hmac.new(key, message, hashlib.sha256).digest()).decode()
    return headers["webhook-signature"] == expected


def test_webhooks_are_added_tested_logged_and_replayed_from_the_account_page(studio, easel):
    receiver = Receiver()
    try:
        s = studio
        key = make_user(easel["data"], "hooks-" + uuid.uuid4().hex[:8], plan="premium")
        s.sign_in_with_key(key, next_path="/account")
        s.wait_page("account")
        s.wait(lambda d: s.tid("webhooks-card").is_displayed())
        s.type("webhook-url", receiver.url)
        s.click("webhook-event-review.approved")
        s.click("webhook-create")
        card = s.tid("webhooks-card")
        s.wait(lambda d: s.tid("key-secret", within=card).get_attribute("value").startswith("whsec_"))
        secret = s.tid("key-secret", within=card).get_attribute("value")
        s.wait(lambda d: len(s.tids("webhook-row")) == 1)
        assert receiver.url in s.text("webhook-row")
        assert "review.approved" in s.text("webhook-row") and "job.succeeded" in s.text("webhook-row")

        s.click("webhook-test")
        s.wait(lambda d: len(receiver.received) == 1)
        headers, body = receiver.received[0]
        assert signed(headers, body, secret)
        assert json.loads(body)["type"] == "webhook.test"
        s.wait(lambda d: len(s.tids("webhook-delivery")) == 1 and s.tids("webhook-delivery")[0].get_attribute("data-status") == "delivered")
        assert "HTTP 200" in s.text("webhook-delivery")

        s.click("webhook-replay")
        s.wait(lambda d: len(receiver.received) == 2)
        assert receiver.received[1][0]["webhook-id"] != headers["webhook-id"]
        assert signed(*receiver.received[1], secret)
        s.wait(lambda d: len(s.tids("webhook-delivery")) == 2)
        s.shoot("account-webhooks")
    finally:
        receiver.stop()
