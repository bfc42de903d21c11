#!/usr/bin/env bash
# One webhook delivery on stdin (the HTTP request), the answer on stdout; run by webhook-receiver.sh.
# The signature is `v1,` + base64(HMAC-SHA256(secret, "<webhook-id>.<webhook-timestamp>.<body>")),
# the secret being the base64 after `whsec_`; during a secret rotation several are sent, space-separated.
set -euo pipefail
declare -A header
read -r _request_line
while IFS= read -r line && line="${line%$'\r'}" && [ -n "$line" ]; do
    name="${line%%:*}"
    value="${line#*:}"
    header["${name,,}"]="${value# }"
done
body="$(mktemp)"
trap 'rm -f "$body"' EXIT
head -c "${header[content-length]}" >"$body"

secret_hex="$(base64 -d <<<"${WEBHOOK_SECRET#whsec_}" | od -An -tx1 | tr -d ' \n')"
expected="v1,$({ printf '%s.%s.' "${header[webhook-id]}" "${header[webhook-timestamp]}"; cat "$body"; } \
    | openssl dgst -sha256 -mac HMAC -macopt "hexkey:$secret_hex" -binary | base64 | tr -d '\n')"
age=$(($(date +%s) - ${header[webhook-timestamp]}))
if [[ " ${header[webhook-signature]} " == *" $expected "* ]] && [ "${age#-}" -le 300 ]; then
    jq -c '{id, type, session_id, data}' "$body" | cut -c1-240 >&2
    printf 'HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n'
else
    echo "REJECTED a delivery (bad signature or timestamp)" >&2
    printf 'HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\nConnection: close\r\n\r\n'
fi
