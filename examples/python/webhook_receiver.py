"""Receive events by webhook and verify each delivery's Standard Webhooks signature.

    python3 examples/python/webhook_receiver.py [PORT]

Registers http://127.0.0.1:PORT/ (default 8091) for every event of the tenant with the generated
client, prints each verified delivery, and removes the webhook on Ctrl-C. A webhook on 127.0.0.1
needs the service started with WARAS_WEBHOOK_ALLOW_PRIVATE=true.
"""

import json
import os
import sys
from http.server import BaseHTTPRequestHandler, HTTPServer

from standardwebhooks.webhooks import Webhook, WebhookVerificationError
from waras_client import AuthenticatedClient
from waras_client.api.webhooks import webhooks_create as create
from waras_client.api.webhooks import webhooks_delete as delete
from waras_client.models import CreateWebhook

URL = os.environ.get("WARAS_URL", "http://127.0.0.1:8080")
KEY = os.environ["WARAS_KEY"]  # a tenant key with the `manage` scope
PORT = int(sys.argv[1]) if len(sys.argv) > 1 else 8091


class Receiver(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"])).decode()
        try:
            event = verifier.verify(body, {k.lower(): v for k, v in self.headers.items()})
        except WebhookVerificationError as e:
            print("REJECTED a delivery:", e)
            self.send_response(401)
        else:
            print(event["id"], event["type"], json.dumps(event["data"])[:200])
            self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


with AuthenticatedClient(base_url=URL, token=KEY, raise_on_unexpected_status=True) as client:
    hook = create.sync(client=client, body=CreateWebhook(url=f"http://127.0.0.1:{PORT}/", events=["*"]))
    verifier = Webhook(hook.secret)  # the secret (whsec_…) is shown only now
    print("webhook", hook.id, "listening on port", PORT)
    try:
        HTTPServer(("127.0.0.1", PORT), Receiver).serve_forever()
    except KeyboardInterrupt:
        delete.sync_detailed(hook.id, client=client)
        print("webhook removed")
