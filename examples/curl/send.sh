#!/usr/bin/env bash
# Send a text (JSON) and an image (multipart upload of a file), then show their status.
#   examples/curl/send.sh TO [IMAGE_FILE]      (TO: +4915100000001, a JID or a group JID)
set -euo pipefail
URL="${WARAS_URL:-http://127.0.0.1:8080}"
key=(-H "X-Api-Key: ${WARAS_KEY:?set WARAS_KEY to a tenant key}")
messages="$URL/api/v1/sessions/${SESSION_ID:?set SESSION_ID (examples/curl/link.sh prints it)}/messages"
to="${1:?usage: send.sh TO [IMAGE_FILE]}"
image="${2:-}"
if [ -z "$image" ]; then # a 1x1 PNG
    image="$(mktemp)"
    trap 'rm -f "$image"' EXIT
    base64 -d >"$image" <<<'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGP4z8DwHwAFAAH/iZk9HQAAAABJRU5ErkJggg=='
fi

text=$(curl -fsS -X POST "$messages" "${key[@]}" -H 'Content-Type: application/json' \
    -d "$(jq -n --arg to "$to" '{to: $to, type: "text", text: "Hello from curl"}')" | jq -r .id)
# A retry with the same Idempotency-Key sends once.
picture=$(curl -fsS -X POST "$messages" "${key[@]}" -H "Idempotency-Key: picture-$(date +%s%N)" \
    -F to="$to" -F type=image -F caption='a picture from curl' -F "file=@$image;type=image/png;filename=picture.png" | jq -r .id)
for id in "$text" "$picture"; do
    for _ in $(seq 30); do
        status=$(curl -fsS "$messages/$id" "${key[@]}" | jq -r .status)
        case "$status" in delivered|read|failed) break ;; esac
        sleep 1
    done
    echo "$id $status"
done
