#!/usr/bin/env bash
# Link a WhatsApp account to a new session by QR code.
#   examples/curl/link.sh [NAME]
# Saves each QR as qr.png for a real phone to scan (WhatsApp > Linked devices); with SANDBOX_PHONE
# set, that sandbox account's phone scans it instead. Prints the session id once it is WORKING.
set -euo pipefail
URL="${WARAS_URL:-http://127.0.0.1:8080}"
key=(-H "X-Api-Key: ${WARAS_KEY:?set WARAS_KEY to a tenant key}")

session=$(curl -fsS -X POST "$URL/api/v1/sessions" "${key[@]}" -H 'Content-Type: application/json' \
    -d "{\"name\":\"${1:-demo}\"}" | jq -r .id)
echo "session $session"
shown=""
while :; do
    status=$(curl -fsS "$URL/api/v1/sessions/$session" "${key[@]}" | jq -r .status)
    case "$status" in
        WORKING) break ;;
        LOGGED_OUT|FAILED|STOPPED) echo "session $status" >&2; exit 1 ;;
        SCAN_QR)
            qr=$(curl -fsS "$URL/api/v1/sessions/$session/qr" "${key[@]}" -H 'Accept: application/json')
            code=$(jq -r .code <<<"$qr")
            if [ "$code" != "$shown" ]; then
                shown="$code"
                curl -fsS "$URL/api/v1/sessions/$session/qr" "${key[@]}" -H 'Accept: image/png' -o qr.png
                echo "new QR saved to qr.png, valid until $(jq -r .expires_at <<<"$qr")"
                if [ -n "${SANDBOX_PHONE:-}" ]; then
                    curl -fsS -X POST "$URL/sandbox/accounts/$SANDBOX_PHONE/scan" -H 'Content-Type: application/json' \
                        -d "$(jq -n --arg qr "$code" '{qr: $qr}')" >/dev/null
                    echo "the sandbox phone $SANDBOX_PHONE scanned it"
                fi
            fi ;;
    esac
    sleep 1
done
echo "WORKING as $(curl -fsS "$URL/api/v1/sessions/$session" "${key[@]}" | jq -r .me.phone_jid)"
echo "export SESSION_ID=$session"
