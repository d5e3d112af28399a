#!/usr/bin/env bash
# Builds the functions for release and prints their numbers: size, cold start, peak memory,
# handler time on the embedded adapters. Numbers only; nothing here passes or fails.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --locked -p create-link -p send-email -p send-sms -p redeem-link -p stripe-webhook -p manage-links
cargo run --release --locked -p bench -- target/release
