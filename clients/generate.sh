#!/usr/bin/env bash
# Regenerates the typed clients from WARAS's OpenAPI document:
#   clients/openapi.json                    the served /openapi.json, pretty-printed (prepare_spec.py normalise)
#   clients/typescript/src/schema.ts      openapi-typescript (used through openapi-fetch, see src/index.ts)
#   clients/python/waras-client/            openapi-python-client (the whole generated project)
#
# Usage: clients/generate.sh [--url BASE_URL] [--out DIR]
#   --url BASE_URL  read BASE_URL/openapi.json from a running service (e.g. http://127.0.0.1:8080).
#                   Without it, the script starts `$WARAS_BIN serve` (default target/debug/waras) on a
#                   free loopback port with an empty temporary data dir, reads the document and stops it.
#   --out DIR       write the three outputs under DIR (same layout) instead of into clients/; the CI
#                   check (tests/clients.rs) generates into a temporary DIR and compares.
# Needs curl, Node.js with `npm ci --prefix clients/typescript`, and python3 with
# `pip install -r clients/python/requirements.txt` (the pinned generator versions).
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/.." && pwd)"
url=""
out="$here"
while [ $# -gt 0 ]; do
    case "$1" in
        --url) url="${2:?--url needs a value}"; shift 2 ;;
        --out) out="${2:?--out needs a value}"; shift 2 ;;
        -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
        *) echo "generate.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
    esac
done

die() { echo "generate.sh: $*" >&2; exit 1; }
command -v curl >/dev/null || die "curl is missing"
command -v node >/dev/null || die "node is missing (Node.js 20 or later)"
command -v python3 >/dev/null || die "python3 is missing"
ots="$here/typescript/node_modules/openapi-typescript/bin/cli.js"
[ -f "$ots" ] || die "openapi-typescript is missing: run \`npm ci --prefix clients/typescript\`"
# The generated Python code depends on the generator's version and on ruff's (it formats the code).
for package in openapi-python-client ruff; do
    want="$(sed -n "s/^$package==//p" "$here/python/requirements.txt")"
    have="$(python3 -c "import importlib.metadata as m; print(m.version('$package'))" 2>/dev/null)" \
        || die "$package is missing: run \`python3 -m pip install -r clients/python/requirements.txt\`"
    [ "$have" = "$want" ] || die "$package $have is installed, clients/python/requirements.txt pins $want"
done

work="$(mktemp -d)"
server_pid=""
cleanup() {
    if [ -n "$server_pid" ]; then
        kill "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT

if [ -z "$url" ]; then
    bin="${WARAS_BIN:-$repo/target/debug/waras}"
    [ -x "$bin" ] || die "$bin is missing: run \`cargo build --features sandbox --bin waras\`, set WARAS_BIN or pass --url"
    port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
    mkdir -p "$work/config" "$work/data"
    # A clean environment: no WARAS_* setting of the caller's (a database URL, say) reaches it. No
    # session runs, so the WhatsApp URL is never dialled; a loopback one is what a sandbox build accepts.
    env -i PATH="$PATH" HOME="$work" WARAS_LISTEN="127.0.0.1:$port" WARAS_DATA_DIR="$work/data" WARAS_LOG=warn \
        WARAS_WA_URL=ws://127.0.0.1:9/ws/chat \
        "$bin" --config-dir "$work/config" serve >"$work/server.log" 2>&1 &
    server_pid=$!
    url="http://127.0.0.1:$port"
    for _ in $(seq 1 200); do
        curl -fsS -o /dev/null "$url/readyz" 2>/dev/null && break
        kill -0 "$server_pid" 2>/dev/null || die "$bin exited: $(cat "$work/server.log")"
        sleep 0.1
    done
fi

curl -fsS "${url%/}/openapi.json" -o "$work/served.json" || die "cannot read ${url%/}/openapi.json"
mkdir -p "$out/typescript/src" "$out/python"
python3 "$here/prepare_spec.py" normalise "$work/served.json" "$out/openapi.json"
python3 "$here/prepare_spec.py" typescript "$work/served.json" "$work/typescript.json"
python3 "$here/prepare_spec.py" python "$work/served.json" "$work/python.json"

node "$ots" "$work/typescript.json" -o "$out/typescript/src/schema.ts" >"$work/typescript.log" 2>&1 \
    || die "openapi-typescript failed: $(cat "$work/typescript.log")"

# openapi-python-client writes the whole project into a fresh directory and runs its post hooks
# (ruff) inside it, which leave a cache behind.
(cd "$work" && python3 -m openapi_python_client generate --path "$work/python.json" --meta pdm \
    --config "$here/python/config.yml" --output-path "$work/waras-client" --fail-on-warning >"$work/python.log" 2>&1) \
    || die "openapi-python-client failed: $(cat "$work/python.log")"
rm -rf "$work/waras-client/.ruff_cache"
find "$work/waras-client" -name __pycache__ -type d -prune -exec rm -rf {} +
rm -rf "$out/python/waras-client"
cp -R "$work/waras-client" "$out/python/waras-client"

echo "generated from ${url%/}/openapi.json into $out: openapi.json, typescript/src/schema.ts, python/waras-client/"
