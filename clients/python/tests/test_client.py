"""The generated Python client against a real `waras serve --sandbox` (temporary SQLite data dir).

Links a session by QR through the sandbox, sends a text and sees it arrive on the other phone, gets
the answer back in the messages list, and receives it by a webhook verified with the official
Standard Webhooks library. Run: `python3 -m unittest discover -s clients/python/tests -v` (WARAS_BIN
defaults to target/debug/waras; build it with `cargo build --features sandbox --bin waras`).
"""

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[2]
sys.path.insert(0, str(HERE.parent / "waras-client"))

import httpx  # noqa: E402
from standardwebhooks.webhooks import Webhook, WebhookVerificationError  # noqa: E402
from waras_client import AuthenticatedClient  # noqa: E402
from waras_client.api.admin import admin_create as create_tenant  # noqa: E402
from waras_client.api.admin import admin_create_key as create_key  # noqa: E402
from waras_client.api.messages import messages_get as get_message  # noqa: E402
from waras_client.api.messages import messages_list_messages as list_messages  # noqa: E402
from waras_client.api.messages import messages_send as send  # noqa: E402
from waras_client.api.sessions import sessions_create as create_session  # noqa: E402
from waras_client.api.sessions import sessions_get as get_session  # noqa: E402
from waras_client.api.sessions import sessions_list as list_sessions  # noqa: E402
from waras_client.api.sessions import sessions_qr as qr  # noqa: E402
from waras_client.api.webhooks import webhooks_create as create_webhook  # noqa: E402
from waras_client.models import (  # noqa: E402
    Accepted,
    CreatedKey,
    CreateKey,
    CreateSession,
    CreateTenant,
    CreateWebhook,
    MessageKind,
    Problem,
    QrCode,
    ScopeName,
    SendMessage,
    Session,
    Tenant,
    Webhook as WebhookModel,
)

BIN = Path(os.environ.get("WARAS_BIN") or REPO / "target/debug/waras").resolve()
ADMIN_KEY = "clients-py-admin-key-0123456789"
ALICE = "4915100000021"
ME = "4915100000022"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Receiver(BaseHTTPRequestHandler):
    """The webhook endpoint: keeps every delivery (headers and raw body) for the test to verify."""

    deliveries: list[tuple[dict[str, str], str]] = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0"))).decode()
        Receiver.deliveries.append(({k.lower(): v for k, v in self.headers.items()}, body))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


class ClientAgainstSandbox(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not BIN.is_file():
            raise RuntimeError(
                f"the waras binary {BIN} is missing: run `cargo build --features sandbox --bin waras` or set WARAS_BIN"
            )
        cls.receiver = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
        threading.Thread(target=cls.receiver.serve_forever, daemon=True).start()
        cls.dir = Path(tempfile.mkdtemp(prefix="waras-py-client-"))
        (cls.dir / "config").mkdir()
        port = free_port()
        cls.base = f"http://127.0.0.1:{port}"
        env = {k: v for k, v in os.environ.items() if not k.startswith("WARAS_")}
        env.update(
            WARAS_LISTEN=f"127.0.0.1:{port}",
            WARAS_DATA_DIR=str(cls.dir / "data"),
            WARAS_ADMIN_KEY=ADMIN_KEY,
            WARAS_WEBHOOK_ALLOW_PRIVATE="true",
            WARAS_LOG="warn",
        )
        cls.log = open(cls.dir / "waras.log", "w+b")  # noqa: SIM115 (closed in tearDownClass)
        cls.server = subprocess.Popen(
            [str(BIN), "--config-dir", str(cls.dir / "config"), "serve", "--sandbox"],
            env=env,
            stdout=cls.log,
            stderr=subprocess.STDOUT,
        )
        cls.eventually("waras to be ready", cls.ready, 20)

    @classmethod
    def tearDownClass(cls):
        cls.server.terminate()
        try:
            cls.server.wait(5)
        except subprocess.TimeoutExpired:
            cls.server.kill()
        cls.receiver.shutdown()
        cls.receiver.server_close()
        cls.log.close()
        shutil.rmtree(cls.dir, ignore_errors=True)

    @classmethod
    def server_log(cls) -> str:
        cls.log.seek(0)
        return cls.log.read().decode(errors="replace")

    @classmethod
    def ready(cls):
        if cls.server.poll() is not None:
            raise RuntimeError(f"waras exited with {cls.server.returncode}:\n{cls.server_log()}")
        try:
            return True if httpx.get(f"{cls.base}/readyz").status_code == 200 else None
        except httpx.TransportError:
            return None

    @classmethod
    def eventually(cls, what, probe, seconds=30.0):
        until = time.monotonic() + seconds
        while True:
            value = probe()
            if value is not None:
                return value
            if time.monotonic() > until:
                raise AssertionError(f"timed out waiting for {what}\n--- waras log ---\n{cls.server_log()}")
            time.sleep(0.15)

    def sandbox(self, path, body=None):
        """The sandbox's admin API (not part of the OpenAPI document): the other people's phones."""
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(
            f"{self.base}/sandbox{path}", data=data, headers={"content-type": "application/json"}
        )
        with urllib.request.urlopen(req) as res:
            text = res.read().decode()
        return json.loads(text) if text else None

    def test_client_against_the_sandbox(self):
        # The admin makes a tenant and a key for it.
        admin = self.enterContext(AuthenticatedClient(base_url=self.base, token=ADMIN_KEY))
        tenant = create_tenant.sync(client=admin, body=CreateTenant(name="py-client"))
        self.assertIsInstance(tenant, Tenant)
        key = create_key.sync(
            tenant.id,
            client=admin,
            body=CreateKey(name="py", scopes=[ScopeName.READ, ScopeName.SEND, ScopeName.MANAGE]),
        )
        self.assertIsInstance(key, CreatedKey)
        self.assertTrue(key.key.startswith("waras_"))
        client = self.enterContext(AuthenticatedClient(base_url=self.base, token=key.key))

        # A wrong key: the answer is the typed problem document.
        wrong = self.enterContext(AuthenticatedClient(base_url=self.base, token="waras_wrong"))
        refused = list_sessions.sync(client=wrong)
        self.assertIsInstance(refused, Problem)
        self.assertEqual(refused.code, "unauthorized")

        self.sandbox("/accounts", {"phone": ALICE, "name": "Alice"})
        self.sandbox("/accounts", {"phone": ME, "name": "Me"})

        # The session, linked by QR: the sandbox account's phone scans the code the API serves.
        session = create_session.sync(client=client, body=CreateSession(name="py-demo"))
        self.assertIsInstance(session, Session)
        # The QR also comes as PNG or SVG (the default): ask for the JSON form the client parses.
        as_json = self.enterContext(
            AuthenticatedClient(base_url=self.base, token=key.key, headers={"Accept": "application/json"})
        )

        def qr_code():
            answer = qr.sync(session.id, client=as_json)
            return answer if isinstance(answer, QrCode) else None

        code = self.eventually("the QR code", qr_code)
        self.sandbox(f"/accounts/{ME}/scan", {"qr": code.code})

        def working():
            s = get_session.sync(session.id, client=client)
            return s if isinstance(s, Session) and s.status == "WORKING" else None

        linked = self.eventually("the session to be WORKING", working)
        self.assertTrue(linked.me.phone_jid.startswith(ME), linked.me)

        # The webhook, before anything is received; its secret is shown once.
        hook = create_webhook.sync(
            client=client,
            body=CreateWebhook(url=self.receiver_url(), events=["message.received"], session_id=session.id),
        )
        self.assertIsInstance(hook, WebhookModel)
        self.assertTrue(hook.secret.startswith("whsec_"))

        # A text to Alice: accepted (202), then on her phone, then delivered.
        sent = send.sync(
            session.id,
            client=client,
            body=SendMessage(to=f"+{ALICE}", type_=MessageKind.TEXT, text="hello from the Python client"),
        )
        self.assertIsInstance(sent, Accepted)
        self.assertIn(sent.status, ("queued", "sent"))
        self.eventually(
            "the text on Alice's phone",
            lambda: next(
                (
                    m
                    for m in self.sandbox(f"/accounts/{ALICE}/messages")
                    if m.get("text") == "hello from the Python client"
                ),
                None,
            ),
        )

        def delivered():
            m = get_message.sync(session.id, sent.id, client=client)
            return m if getattr(m, "status", None) in ("delivered", "read") else None

        self.eventually("the send to be delivered", delivered)

        # Alice answers: the message is in the list, and the webhook brought it, signed.
        self.sandbox(f"/accounts/{ALICE}/messages", {"to": ME, "text": "hi back, Python"})

        def answer():
            page = list_messages.sync(session.id, client=client)
            return next((m for m in page.data if not m.from_me and m.text == "hi back, Python"), None)

        got = self.eventually("the answer in the messages list", answer)
        self.assertEqual(got.status, "received")
        self.assertIn(ALICE, got.from_phone or got.from_)

        headers, body = self.eventually(
            "the signed webhook delivery",
            lambda: next((d for d in Receiver.deliveries if "hi back, Python" in d[1]), None),
        )
        verifier = Webhook(hook.secret)
        envelope = verifier.verify(body, headers)
        self.assertEqual(envelope["type"], "message.received")
        self.assertEqual(envelope["session_id"], session.id)
        self.assertEqual(envelope["id"], headers["webhook-id"])
        self.assertEqual(envelope["data"]["text"], "hi back, Python")
        # The same check refuses a body that was changed, and another secret.
        with self.assertRaises(WebhookVerificationError):
            verifier.verify(body.replace("hi back", "hi BACK"), headers)
        with self.assertRaises(WebhookVerificationError):
            Webhook("whsec_" + "QW5vdGhlciBzZWNyZXQsIDMyIGJ5dGVzIGxvbmchIQ==").verify(body, headers)

    def receiver_url(self):
        return f"http://127.0.0.1:{self.receiver.server_address[1]}/hook"


if __name__ == "__main__":
    unittest.main()
