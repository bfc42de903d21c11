#!/usr/bin/env bash
# Receive events by webhook and verify each delivery's Standard Webhooks signature with openssl.
#   examples/curl/webhook-receiver.sh [PORT]
# Registers http://127.0.0.1:PORT/ (default 8093) for every event of the tenant, then serves it
# with socat (each delivery runs webhook-handler.sh); removes the webhook on Ctrl-C. A webhook on
# 127.0.0.1 needs the service started with WARAS_WEBHOOK_ALLOW_PRIVATE=true.
set -euo pipefail
URL="${WARAS_URL:-http://127.0.0.1:8080}"
key=(-H "X-Api-Key: ${WARAS_KEY:?set WARAS_KEY to a tenant key}")
port="${1:-8093}"
hook=$(curl -fsS -X POST "$URL/api/v1/webhooks" "${key[@]}" -H 'Content-Type: application/json' \
    -d "{\"url\":\"http://127.0.0.1:$port/\",\"events\":[\"*\"]}")
id=$(jq -r .id <<<"$hook")
export WEBHOOK_SECRET=$(jq -r .secret <<<"$hook") # whsec_…, shown only now
trap 'curl -fsS -X DELETE "$URL/api/v1/webhooks/$id" "${key[@]}" >/dev/null; echo "webhook removed"' EXIT
echo "webhook $id listening on port $port"
socat "TCP-LISTEN:$port,bind=127.0.0.1,reuseaddr,fork" EXEC:"$(dirname "$0")/webhook-handler.sh" || true
