#!/usr/bin/env bash
# Create a tenant and a key for it with the admin key; prints the key as an `export` line.
#   WARAS_ADMIN_KEY=… examples/curl/tenant.sh [NAME]
set -euo pipefail
URL="${WARAS_URL:-http://127.0.0.1:8080}"
auth=(-H "Authorization: Bearer ${WARAS_ADMIN_KEY:?set WARAS_ADMIN_KEY (or use data/admin.key)}")

tenant=$(curl -fsS -X POST "$URL/api/v1/tenants" "${auth[@]}" -H 'Content-Type: application/json' \
    -d "{\"name\":\"${1:-demo}\"}" | jq -r .id)
key=$(curl -fsS -X POST "$URL/api/v1/tenants/$tenant/keys" "${auth[@]}" -H 'Content-Type: application/json' \
    -d '{"name":"examples","scopes":["read","send","manage"]}' | jq -r .key)
echo "# tenant $tenant; the key is shown only once"
echo "export WARAS_KEY=$key"
