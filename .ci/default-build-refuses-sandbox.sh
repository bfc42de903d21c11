#!/usr/bin/env bash
# Proves that a default (release-shaped) build keeps WhatsApp certificate verification on: it
# reports it, and its sessions cannot complete a handshake with a sandbox (whose certificate chain
# is signed by the sandbox's own root, not WhatsApp's). Usage: default-build-refuses-sandbox.sh
# <default waras binary> <sandbox-build waras binary>
set -euo pipefail
default_bin=$(realpath "$1")
sandbox_bin=$(realpath "$2")
work=$(mktemp -d)
cleanup() {
    status=$?
    if [ "$status" -ne 0 ]; then
        echo "--- waras log"; tail -30 "$work/waras.log" 2>/dev/null || true
        echo "--- sandbox log"; tail -10 "$work/sandbox.out" 2>/dev/null || true
    fi
    kill "${pids[@]}" 2>/dev/null || true
    rm -rf "$work"
}
pids=()
trap cleanup EXIT

"$default_bin" --version | grep -q "cert_verification on" || { echo "default build does not report cert_verification on"; exit 1; }
"$sandbox_bin" --version | grep -q "cert_verification off" || { echo "sandbox build does not report cert_verification off"; exit 1; }

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
sbx_port=$(free_port); api_port=$(free_port)
"$sandbox_bin" sandbox --listen "127.0.0.1:$sbx_port" > "$work/sandbox.out" 2>&1 & pids+=($!)
(cd "$work" && exec env WARAS_LISTEN="127.0.0.1:$api_port" WARAS_WA_URL="ws://127.0.0.1:$sbx_port/ws/chat" \
    WARAS_WA_VERSION=2.3000.1 WARAS_ADMIN_KEY=ci-admin-key-0123456789 WARAS_LOG=info \
    "$default_bin" serve > "$work/waras.log" 2>&1) & pids+=($!)
for _ in $(seq 1 300); do curl -sf "127.0.0.1:$api_port/readyz" >/dev/null && break; sleep 0.1; done
curl -sf "127.0.0.1:$api_port/readyz" >/dev/null || { echo "the default build did not become ready"; exit 1; }
api="http://127.0.0.1:$api_port/api/v1"
tenant=$(curl -sf -X POST "$api/tenants" -H "X-Api-Key: ci-admin-key-0123456789" -d '{"name":"ci"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
key=$(curl -sf -X POST "$api/tenants/$tenant/keys" -H "X-Api-Key: ci-admin-key-0123456789" -d '{"name":"ci","scopes":["read","manage"]}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["key"])')
session=$(curl -sf -X POST "$api/sessions" -H "X-Api-Key: $key" -d '{"name":"probe"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
sleep 8
status=$(curl -sf "$api/sessions/$session" -H "X-Api-Key: $key" | python3 -c 'import json,sys; print(json.load(sys.stdin)["status"])')
if [ "$status" != "STARTING" ]; then
    echo "a default build reached $status against the sandbox: certificate verification is not on"; exit 1
fi
grep -qiE "handshake|certificate|cert" "$work/waras.log" || { echo "no handshake failure logged:"; tail -20 "$work/waras.log"; exit 1; }
echo "default build: cert_verification on; its session stayed STARTING against the sandbox (handshake refused)"
