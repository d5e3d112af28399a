#!/usr/bin/env bash
# Every check CI makes, from a fresh clone: a Python venv with moto server, the SAM CLI, cfn-lint,
# the OpenAPI validator, schemathesis and cargo-lambda; moto started on free loopback ports; the
# template and OpenAPI validators, formatting, clippy, every test, schemathesis against the local
# server, and the arm64 Lambda build. Whatever it starts, it stops, pass or fail.
set -euo pipefail
cd "$(dirname "$0")/.."

venv="${PAYLINKS_VENV:-target/venv}"
mkdir -p target
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
"$venv/bin/pip" install --quiet --disable-pip-version-check -r infra/requirements-test.txt

free_port() {
  "$venv/bin/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
# Two moto servers: DynamoDB on one, SES and SNS on the other, so that reading sent messages back
# (moto's data.json dumps its whole state) stays quick however many tables the tests made.
db_port=$(free_port)
mail_port=$(free_port)
"$venv/bin/python" infra/moto_server.py 127.0.0.1 "$db_port" > target/moto.log 2>&1 &
db_pid=$!
"$venv/bin/python" infra/moto_server.py 127.0.0.1 "$mail_port" > target/moto-messaging.log 2>&1 &
mail_pid=$!
started=""
stop_started() {
  # shellcheck disable=SC2086
  kill $started 2>/dev/null || true
  # shellcheck disable=SC2086
  wait $started 2>/dev/null || true
}
trap stop_started EXIT
started="$db_pid $mail_pid"

export AWS_ENDPOINT_URL="http://127.0.0.1:$db_port"
# The SDK's service-specific endpoint variables send SES and SNS to the second server.
export AWS_ENDPOINT_URL_SESV2="http://127.0.0.1:$mail_port" AWS_ENDPOINT_URL_SNS="http://127.0.0.1:$mail_port" AWS_ENDPOINT_URL_SQS="http://127.0.0.1:$mail_port"
export AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1
export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing
export AWS_EC2_METADATA_DISABLED=true SAM_CLI_TELEMETRY=0

"$venv/bin/python" - "$AWS_ENDPOINT_URL" "$AWS_ENDPOINT_URL_SNS" <<'PY'
import sys, time, urllib.request
for url in sys.argv[1:]:
    for _ in range(120):
        try:
            urllib.request.urlopen(url + "/moto-api/", timeout=1)
            break
        except Exception:
            time.sleep(0.25)
    else:
        sys.exit("moto server did not start; see target/moto*.log")
PY

# The browser checks (tests/src/browser.rs) look at pages and emails in Debian's chromium (with
# CJK fonts for the Japanese email); CHROMIUM names another browser binary.
packages=""
command -v "${CHROMIUM:-chromium}" > /dev/null || packages="chromium"
[ -d /usr/share/fonts/opentype/noto ] || packages="$packages fonts-noto-cjk"
if [ -n "$packages" ]; then
  echo "== installing$packages for the browser checks"
  as_root=""
  [ "$(id -u)" = 0 ] || as_root="sudo"
  $as_root apt-get update -qq
  # shellcheck disable=SC2086
  DEBIAN_FRONTEND=noninteractive $as_root apt-get install -y -qq --no-install-recommends $packages \
    > target/apt-browser.log
fi

# The fake Stripe checks every request against Stripe's own typed parameters, taken from the
# pinned `stripe` package: the committed copy must be what that package says.
echo "== Stripe's typed parameters"
"$venv/bin/python" infra/stripe_params.py target/stripe-params.json
if ! cmp -s target/stripe-params.json tests/fixtures/stripe/params.json; then
  echo "tests/fixtures/stripe/params.json differs from what the pinned stripe package says; regenerate it:" >&2
  echo "  $venv/bin/python infra/stripe_params.py tests/fixtures/stripe/params.json" >&2
  exit 1
fi

echo "== template and API description"
"$venv/bin/cfn-lint" template.yaml
"$venv/bin/sam" validate --lint --template template.yaml --region us-east-1
"$venv/bin/openapi-spec-validator" openapi.yaml

echo "== formatting and lints"
cargo fmt --all --check
cargo clippy --workspace --all-targets --locked -- -D warnings

echo "== tests"
cargo test --workspace --locked 2>&1 | tee target/test-output.txt

echo "== schemathesis against the local server (embedded defaults)"
cargo build --locked -p local-server
st_port=$(free_port)
# The fuzzer is one merchant calling far faster than a dashboard: lift its per-merchant limit.
# Its Stripe webhook secret is named so infra/schemathesis_hooks.py can sign the events it draws.
export ST_WEBHOOK_SECRET="whsec_schemathesis$(date +%s%N)"
PORT="$st_port" MERCHANT_AUTH_SECRET="schemathesis-$(date +%s%N)-merchant-auth-secret" OUTBOX_DIR=target/st-outbox \
  MERCHANT_REQUESTS_PER_MINUTE=1000000 STRIPE_WEBHOOK_SECRET="$ST_WEBHOOK_SECRET" \
  target/debug/local-server > target/local-server.log 2>&1 &
started="$started $!"
for _ in $(seq 1 120); do
  # The line after the token: the token itself is written whole by then.
  grep -q "^Try: " target/local-server.log 2>/dev/null && break
  sleep 0.25
done
token=$(sed -n '/Dev merchant token/{n;p}' target/local-server.log)
# Without a token that works, schemathesis would test only the 401 answers and still pass.
if [ -z "$token" ] || [ "$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $token" \
    "http://127.0.0.1:$st_port/links")" != 200 ]; then
  echo "schemathesis: the local server gave no merchant token that GET /links accepts; see target/local-server.log" >&2
  exit 1
fi
# Test data first (infra/schemathesis_seed.py): links, orders, an endpoint, an event and a session
# whose ids infra/schemathesis.toml hands the id routes, so they reach their logic, not a 404; the
# config fails the run on an operation that only ever answered 404 or 401.
# (Captured first: `eval "$(…)"` would carry on past a seed that failed.)
seeded=$("$venv/bin/python" infra/schemathesis_seed.py "http://127.0.0.1:$st_port" "$token" target/openapi.schemathesis.yaml)
eval "$seeded"
export ST_BASE_URL="http://127.0.0.1:$st_port" ST_MERCHANT_TOKEN="$token"

echo "== a client generated from openapi.yaml: a merchant's journey through it"
# openapi-python-client drops what it cannot model and says so; a dropped schema fails the run.
rm -rf target/generated-client
if ! "$venv/bin/openapi-python-client" generate --path openapi.yaml --meta none \
    --output-path target/generated-client/paylinks_client > target/generated-client.log 2>&1 ||
  grep -q "Unable to process schema\|Endpoint will not be generated" target/generated-client.log; then
  cat target/generated-client.log >&2
  echo "openapi-python-client could not model part of openapi.yaml (above)" >&2
  exit 1
fi
"$venv/bin/python" tests/client/journey.py target/generated-client "http://127.0.0.1:$st_port" "$token"

echo "== schemathesis"
# infra/schemathesis_hooks.py swaps half of the drawn POST /links bodies for valid ones, so the
# stateful phase has ids to follow openapi.yaml's links with; a run that followed none fails.
# One worker: CPython 3.11's AST validator keeps its recursion depth per interpreter, and
# Hypothesis parsing lambdas on two threads at once failed a run with "AST constructor recursion
# depth mismatch": a CPython 3.11 bug, the tool's flake, not the API's.
SCHEMATHESIS_HOOKS=schemathesis_hooks PYTHONPATH=infra \
  "$venv/bin/st" --config-file infra/schemathesis.toml run target/openapi.schemathesis.yaml --url "http://127.0.0.1:$st_port" -H "Authorization: Bearer $token" \
  --checks not_a_server_error,response_schema_conformance,status_code_conformance,content_type_conformance --max-examples 25 --seed 20261124 --workers 1 \
  | tee target/schemathesis.log
if grep -Eq "API Links: +0 covered" target/schemathesis.log; then
  echo "schemathesis: the stateful phase followed no OpenAPI link; see target/schemathesis.log" >&2
  exit 1
fi

# Every function must build for Lambda (arm64, release). cargo-lambda runs `python3 -m ziglang`
# with the first python3 on PATH, so the venv goes first. PAYLINKS_SKIP_LAMBDA_BUILD=1 skips it
# while iterating locally; CI never sets it.
if [ "${PAYLINKS_SKIP_LAMBDA_BUILD:-0}" != 1 ]; then
  echo "== cargo lambda build --release --arm64"
  PATH="$PWD/$venv/bin:$PATH" cargo lambda build --release --arm64 --locked
  # Printed, not asserted (issue 9's target is 8 MiB each; infra/bench.sh prints the x86_64 sizes).
  for bootstrap in target/lambda/*/bootstrap; do
    awk -v name="$(basename "$(dirname "$bootstrap")")" -v bytes="$(stat -c %s "$bootstrap")" \
      'BEGIN { printf "  %-16s %5.2f MiB\n", name, bytes / 1048576 }'
  done
fi

# One closing line for the whole run (cargo's own last line is a doc-test run of zero tests).
awk '/^test result:/ { passed += $4; failed += $6 } END { printf "tests: %d passed, %d failed\n", passed, failed }' target/test-output.txt
