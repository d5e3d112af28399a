#!/usr/bin/env bash
# Builds the functions for release and prints their numbers: size, cold start, peak memory,
# handler time on the embedded adapters. Numbers only; nothing here passes or fails.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --locked -p create-link -p send-email -p send-sms -p redeem-link -p stripe-webhook -p manage-links
cargo run --release --locked -p bench -- target/release

# DynamoDB round trips per route, counted at the wire: the local server on moto, behind the
# recording proxy the tests use (tests/tests/round_trips.rs, which also holds the floors).
venv="${PAYLINKS_VENV:-target/venv}"
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r infra/requirements-test.txt
fi
port=$("$venv/bin/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$venv/bin/python" infra/moto_server.py 127.0.0.1 "$port" > target/moto-bench.log 2>&1 &
moto=$!
trap 'kill $moto 2>/dev/null || true' EXIT
export AWS_ENDPOINT_URL="http://127.0.0.1:$port" AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1
export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_EC2_METADATA_DISABLED=true
"$venv/bin/python" - "$AWS_ENDPOINT_URL" <<'PY'
import sys, time, urllib.request
for _ in range(120):
    try:
        urllib.request.urlopen(sys.argv[1] + "/moto-api/", timeout=1)
        break
    except Exception:
        time.sleep(0.25)
PY
echo
echo "DynamoDB round trips per route (target in brackets)"
cargo test --locked -q -p paylinks-tests --test round_trips -- --nocapture 2>&1 | sed -n 's/^ROUNDTRIPS /  /p'
