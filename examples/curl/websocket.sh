#!/usr/bin/env bash
# Receive events live from the WebSocket stream with curl alone.
#   examples/curl/websocket.sh [AFTER_ID]
# curl performs the upgrade and passes the frames through; decode_frames turns them back into one
# event envelope per line. curl cannot answer the service's pings, so the service closes the
# connection after a minute: the loop then reconnects with `after=` the last id seen, which replays
# what happened meanwhile (no gap, no duplicate). A WebSocket client (websocat, or the Python and
# JavaScript examples) stays connected instead.
set -euo pipefail
URL="${WARAS_URL:-http://127.0.0.1:8080}"
WS_KEY="${WARAS_KEY:?set WARAS_KEY to a tenant key}"
last="$(mktemp)"
trap 'rm -f "$last"' EXIT
echo "${1:-}" >"$last"

bytes() { head -c "$1" | od -An -tu1; } # the next $1 bytes, as decimal numbers
decode_frames() {
    local b len
    while b=($(bytes 2)) && [ ${#b[@]} -eq 2 ]; do
        len=$((b[1] & 127))
        if [ "$len" -eq 126 ]; then b2=($(bytes 2)); len=$((b2[0] * 256 + b2[1]))
        elif [ "$len" -eq 127 ]; then len=0; for x in $(bytes 8); do len=$((len * 256 + x)); done
        fi
        case $((b[0] & 15)) in
            1) head -c "$len"; echo ;;            # a text frame: one envelope
            8) head -c "$len" >/dev/null; return ;; # the service closes
            *) head -c "$len" >/dev/null ;;       # ping, pong
        esac
    done
}

while :; do
    after="$(cat "$last")"
    curl -sS -N --http1.1 "$URL/api/v1/events/ws${after:+?after=$after}" -H "X-Api-Key: $WS_KEY" \
        -H 'Connection: Upgrade' -H 'Upgrade: websocket' -H 'Sec-WebSocket-Version: 13' \
        -H "Sec-WebSocket-Key: $(head -c 16 /dev/urandom | base64)" --output - \
        | decode_frames | while IFS= read -r envelope; do
            jq -c '{id, type, session_id, data}' <<<"$envelope" | cut -c1-240
            jq -r .id <<<"$envelope" >"$last"
        done
    sleep 1
done
