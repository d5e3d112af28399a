#!/usr/bin/env bash
# Builds the functions for release and prints their numbers beside an empty lambda_runtime function
# built in the same run: size, code by crate, init and first invocation, peak memory, handler time,
# DynamoDB round trips per route. Numbers only; nothing here passes or fails.
set -euo pipefail
cd "$(dirname "$0")/.."
functions=(create-link send-email send-sms redeem-link stripe-webhook manage-links link-cleanup send-reminders
  delivery-events send-webhooks link-qr)
# Built with the functions (the same SDK features): lambda_runtime + one DynamoDB read, the SDK's share.
references=(sdk-floor)

# The release profile with symbols kept (`symbols` in Cargo.toml), all functions in one invocation
# as `cargo lambda build --release` builds them; a stripped copy of each is what ships and starts.
# The floor is built alone, so nothing the functions need is compiled into it.
# shellcheck disable=SC2046
cargo build --profile symbols --locked $(printf -- '-p %s ' "${functions[@]}" "${references[@]}")
cargo build --profile symbols --locked -p floor
mkdir -p target/bench/bin
for binary in floor "${references[@]}" "${functions[@]}"; do
  strip -o "target/bench/bin/$binary" "target/symbols/$binary"
done

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

# The first events are made on moto and the fake Stripe (see infra/bench/src/scenario.rs).
cargo run --profile symbols --locked -p bench -- target/bench/bin target/symbols

# DynamoDB round trips per route, counted at the wire: the local server on moto, behind the
# recording proxy the tests use (tests/tests/round_trips.rs, which also holds the floors).
echo
echo "DynamoDB round trips per route (target in brackets)"
cargo test --locked -q -p paylinks-tests --test round_trips -- --nocapture 2>&1 | sed -n 's/^ROUNDTRIPS /  /p'
