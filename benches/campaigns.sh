#!/usr/bin/env bash
# Campaign benchmark: creates a campaign of N recipients (default 100,000) from a CSV upload on a
# `waras serve --sandbox` with one linked session, then reads it back, and measures the idle CPU
# and memory of the process while the campaign waits for its pace (1 per minute).
#
#   cargo build --release --features sandbox --bin waras
#   benches/campaigns.sh                       # SQLite, the embedded default
#   DATABASE_URL=postgres://postgres@127.0.0.1/waras_bench benches/campaigns.sh
#
# Settings: WARAS_BIN (default target/release/waras), RECIPIENTS (100000), IDLE_SECS (60).
set -euo pipefail
cd "$(dirname "$0")/.."

BIN=${WARAS_BIN:-target/release/waras}
N=${RECIPIENTS:-100000}
IDLE=${IDLE_SECS:-60}
PORT=${PORT:-18089}
S=http://127.0.0.1:$PORT
ADMIN=bench-admin-key-0123456789abcdef
DIR=$(mktemp -d)
trap 'kill $PID 2>/dev/null || true; rm -rf "$DIR"' EXIT

mkdir "$DIR/config"
env -u WARAS_LOG WARAS_LISTEN=127.0.0.1:$PORT WARAS_DATA_DIR="$DIR/data" WARAS_ADMIN_KEY=$ADMIN \
  ${DATABASE_URL:+WARAS_DATABASE_URL=$DATABASE_URL} WARAS_LOG=warn \
  "$BIN" --config-dir "$DIR/config" serve --sandbox >"$DIR/log" 2>&1 &
PID=$!
until curl -sf $S/readyz >/dev/null; do sleep 0.1; done

post() { curl -sf -X POST "$S$1" -H "X-Api-Key: $2" -H 'Content-Type: application/json' -d "$3"; }
TENANT=$(post /api/v1/tenants $ADMIN '{"name":"bench"}' | jq -r .id)
KEY=$(post /api/v1/tenants/$TENANT/keys $ADMIN '{"name":"k","scopes":["read","send","manage"]}' | jq -r .key)
curl -sf -X POST $S/sandbox/accounts -d '{"phone":"4915100000002","name":"Me"}' >/dev/null
SID=$(post /api/v1/sessions "$KEY" '{"name":"bench"}' | jq -r .id)
until QR=$(curl -sf $S/api/v1/sessions/$SID/qr -H "X-Api-Key: $KEY" -H 'Accept: application/json' | jq -e .code); do sleep 0.2; done
curl -sf -X POST $S/sandbox/accounts/4915100000002/scan -d "{\"qr\":$QR}" >/dev/null
until [ "$(curl -sf $S/api/v1/sessions/$SID -H "X-Api-Key: $KEY" | jq -r .status)" = WORKING ]; do sleep 0.2; done
post /api/v1/templates "$KEY" '{"name":"offer","type":"text","text":"Hi {{first_name}}, your code is {{code}}"}' >/dev/null

python3 - "$N" >"$DIR/list.csv" <<'PY'
import sys
n = int(sys.argv[1])
print("to,first_name,code")
for i in range(n):
    print(f"+491700{i:07d},Person{i},C{i:06d}")
PY
echo "recipients: $N ($(wc -c <"$DIR/list.csv") bytes of CSV)"

OUT=$(curl -s -o "$DIR/created.json" -w '%{http_code} %{time_total}' -X POST $S/api/v1/campaigns \
  -H "X-Api-Key: $KEY" -F name=bench -F session_ids=$SID -F template=offer \
  -F 'pacing={"per_minute":1}' -F recipients=@"$DIR/list.csv")
CID=$(jq -r .id "$DIR/created.json")
echo "create: HTTP ${OUT% *} in ${OUT#* } s (id $CID, total $(jq .counts.total "$DIR/created.json"))"
GET=$(curl -sf -o "$DIR/got.json" -w '%{time_total}' $S/api/v1/campaigns/$CID -H "X-Api-Key: $KEY")
echo "get with counts: $GET s ($(jq -c .counts "$DIR/got.json"))"
PAGE=$(curl -sf -o /dev/null -w '%{time_total}' "$S/api/v1/campaigns/$CID/recipients?limit=200&cursor=99000" -H "X-Api-Key: $KEY")
echo "a page of 200 recipients deep in the list: $PAGE s"

sleep 5
ticks() { awk '{print $14 + $15}' /proc/$PID/stat; }
T0=$(ticks); sleep "$IDLE"; T1=$(ticks)
HZ=$(getconf CLK_TCK)
echo "idle with the campaign running at 1/min: $(python3 -c "print(round(100*($T1-$T0)/$HZ/$IDLE, 2))") % of a core over $IDLE s"
echo "RSS: $(( $(awk '/VmRSS/{print $2}' /proc/$PID/status) / 1024 )) MiB"
