"""Receive events live from the WebSocket stream.

    python3 examples/python/websocket.py [AFTER_ID]

Prints each event envelope: first the stored ones (all of them, or those after AFTER_ID), then
each new one as it happens, with no gap and no duplicate. Authenticates with the key in a header.
"""

import asyncio
import json
import os
import sys

import websockets

URL = os.environ.get("WARAS_URL", "http://127.0.0.1:8080")
KEY = os.environ["WARAS_KEY"]  # a tenant key with the `read` scope


async def main():
    url = URL.replace("http", "ws", 1) + "/api/v1/events/ws"
    if len(sys.argv) > 1:
        url += f"?after={sys.argv[1]}"
    async with websockets.connect(url, additional_headers={"X-Api-Key": KEY}) as ws:
        print("connected to", url)
        async for frame in ws:  # one text frame = one event envelope
            event = json.loads(frame)
            print(event["id"], event["type"], event["session_id"], json.dumps(event["data"])[:200])


asyncio.run(main())
