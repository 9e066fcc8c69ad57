#!/usr/bin/env bash
# Webhook delivery figures (see bench/webhooks.mjs): builds Release, starts the service on a fresh SQLite database
# (or PostgreSQL with SB_BENCH_PG="Host=…;Username=…;Password=…;Database=…"), installs EVENTS times and measures.
#   bench/webhooks.sh [EVENTS] [CONCURRENCY]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TMP="$(mktemp -d)"
PID=""
trap '[ -n "$PID" ] && kill "$PID" 2>/dev/null; rm -rf "$TMP"' EXIT
dotnet build "$ROOT/src/Switchboard" -c Release -v q --artifacts-path "$TMP/build" >/dev/null
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
export ASPNETCORE_ENVIRONMENT=Production Logging__LogLevel__Default=Warning Switchboard__Bootstrap=true \
  Switchboard__Crypto__Keys="k1:$(head -c 32 /dev/urandom | base64)" Switchboard__RateLimit__Enabled=false \
  Switchboard__Health__Enabled=false Switchboard__Health__CheckOnInstall=false \
  Switchboard__Outbound__AllowedNetworks=127.0.0.0/8
if [ -n "${SB_BENCH_PG:-}" ]; then
  export Switchboard__Database__Provider=postgres Switchboard__Database__ConnectionString="$SB_BENCH_PG"
else
  export Switchboard__Database__ConnectionString="Data Source=$TMP/bench.db"
fi
(cd "$TMP" && exec "$TMP/build/bin/Switchboard/release/Switchboard" --urls "http://127.0.0.1:$PORT" >"$TMP/log" 2>&1) &
PID=$!
for _ in $(seq 1 150); do grep -q 'sk_live_' "$TMP/log" 2>/dev/null && break; sleep 0.2; done
KEY="$(grep -o 'sk_live_[A-Za-z0-9_]*' "$TMP/log" | awk 'length($0) >= 40' | head -n 1)"
SB_URL="http://127.0.0.1:$PORT" SB_KEY="$KEY" EVENTS="${1:-2000}" CONCURRENCY="${2:-16}" node "$ROOT/bench/webhooks.mjs"
