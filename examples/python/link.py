"""Link a WhatsApp account to a new session by QR code, with the generated Python client.

    python3 examples/python/link.py [NAME]

Saves each QR as qr.png for a real phone to scan (WhatsApp > Linked devices); with SANDBOX_PHONE
set, that sandbox account's phone scans it instead. Prints the session id once it is WORKING.
"""

import os
import sys
import time

from waras_client import AuthenticatedClient
from waras_client.api.sessions import sessions_create as create
from waras_client.api.sessions import sessions_get as get
from waras_client.api.sessions import sessions_qr as qr
from waras_client.models import CreateSession, QrCode

URL = os.environ.get("WARAS_URL", "http://127.0.0.1:8080")
KEY = os.environ["WARAS_KEY"]  # a tenant key with the `manage` scope
SANDBOX_PHONE = os.environ.get("SANDBOX_PHONE")

with AuthenticatedClient(base_url=URL, token=KEY, raise_on_unexpected_status=True) as client:
    session = create.sync(client=client, body=CreateSession(name=sys.argv[1] if len(sys.argv) > 1 else "demo"))
    print("session", session.id, session.status)
    http = client.get_httpx_client()  # the same connection, for the PNG and the sandbox's phone
    shown = None
    while (session := get.sync(session.id, client=client)).status != "WORKING":
        if session.status == "SCAN_QR":
            code = qr.sync(session.id, client=client.with_headers({"Accept": "application/json"}))
            if isinstance(code, QrCode) and code.code != shown:
                shown = code.code
                png = http.get(f"/api/v1/sessions/{session.id}/qr", headers={"Accept": "image/png"})
                open("qr.png", "wb").write(png.content)
                print("new QR saved to qr.png, valid until", code.expires_at)
                if SANDBOX_PHONE:
                    http.post(f"/sandbox/accounts/{SANDBOX_PHONE}/scan", json={"qr": code.code}).raise_for_status()
                    print(f"the sandbox phone {SANDBOX_PHONE} scanned it")
        elif session.status in ("LOGGED_OUT", "FAILED", "STOPPED"):
            sys.exit(f"session {session.status}: {session.status_reason}")
        time.sleep(1)
    print("WORKING as", session.me.phone_jid)
    print(f"export SESSION_ID={session.id}")
