"""Send a text and an image, with the generated Python client, and wait until both are delivered.

python3 examples/python/send.py TO [IMAGE_FILE]     (TO: +4915100000001, a JID or a group JID)
"""

import base64
import os
import sys
import time

from waras_client import AuthenticatedClient
from waras_client.api.messages import messages_get as get
from waras_client.api.messages import messages_send as send
from waras_client.models import MediaInput, MessageKind, SendMessage

URL = os.environ.get("WARAS_URL", "http://127.0.0.1:8080")
KEY = os.environ["WARAS_KEY"]  # a tenant key with the `send` and `read` scopes
SESSION = os.environ["SESSION_ID"]
to = sys.argv[1]
# A 1x1 PNG unless a file is given.
PIXEL = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGP4z8DwHwAFAAH/iZk9HQAAAABJRU5ErkJggg=="
image = open(sys.argv[2], "rb").read() if len(sys.argv) > 2 else base64.b64decode(PIXEL)

with AuthenticatedClient(base_url=URL, token=KEY, raise_on_unexpected_status=True) as client:
    text = send.sync(SESSION, client=client, body=SendMessage(to=to, type_=MessageKind.TEXT, text="Hello from Python"))
    picture = send.sync(
        SESSION,
        client=client,
        body=SendMessage(
            to=to,
            type_=MessageKind.IMAGE,
            image=MediaInput(data=base64.b64encode(image).decode(), mimetype="image/png"),
            caption="a picture from Python",
        ),
        idempotency_key=f"picture-{time.time_ns()}",  # a retry with the same key sends once
    )
    for accepted in (text, picture):
        print("accepted", accepted.id, accepted.status)
        for _ in range(30):
            message = get.sync(SESSION, accepted.id, client=client)
            if message.status in ("delivered", "read", "failed"):
                break
            time.sleep(1)
        print(accepted.id, message.type_, message.status)
