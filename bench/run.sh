#!/usr/bin/env bash
# Switchboard throughput bench: one run, two comparisons, a report. See bench/README.md.
#
#   bench/run.sh [--smoke] [--duration N] [--connections N] [--writers N] [--accounts N]
#                [--nginx-workers N|auto] [--strict] [--keep]
#
#   1. GET /api/v1/integrations (authenticated) of the published Switchboard vs nginx serving the same
#      bytes as a static file: req/s and ratio (target >= 0.5).
#   2. POST /api/v1/integrations/stripe/install (params + encrypted secrets, durable commit) vs plain
#      single-row INSERT transactions into the same SQLite file at the same concurrency (target >= 0.7).
#   3. A tool call (POST /api/v1/native-tools/stripe.get_customer/invoke) and a proxied GET
#      (/api/v1/proxy/stripe/v1/customers/cus_bench) vs calling their stand-in (nginx) directly, at the
#      same concurrency: p50 overhead (target < 1 ms) and req/s ratio (target >= 0.5).
#
#   --smoke            CI mode: 2 s runs, one 1 s warm-up; always exits 0 (it only reports).
#   --duration N       seconds per measured run (default 15).
#   --connections N    wrk connections for the GET runs (default 64).
#   --writers N        concurrency of both write runs: wrk connections / baseline writers (default 16).
#   --accounts N       install into N accounts in rotation (default 1: every request re-installs stripe in
#                      the bootstrap account; N > 1 creates N-1 more accounts with the admin CLI).
#   --nginx-workers W  nginx worker_processes (default auto = one per core, i.e. 2 here).
#   --strict           exit 3 when a target is missed (never in --smoke).
#   --keep             keep the temp dir (logs, database, nginx config) and print its path.
#
# Needs dotnet, wrk, nginx, curl; as root, missing wrk/nginx/curl are installed with apt-get.
# Publishes Release builds of src/Switchboard and bench/InsertBaseline into a temp dir (obj/bin included:
# --artifacts-path), so it never writes into the source tree. A copy of the report goes to bench/out/.
set -uo pipefail

BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$BENCH_DIR/.." && pwd)"

DURATION=15
CONNECTIONS=64
WRITERS=16
ACCOUNTS=1
NGINX_WORKERS=auto
SMOKE=0
STRICT=0
KEEP=0
DURATION_SET=0

usage() { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "${BASH_SOURCE[0]}"; }
need_int() { [[ "$2" =~ ^[1-9][0-9]*$ ]] || { echo "$1 needs a positive integer, got '$2'" >&2; exit 2; }; }

while [ $# -gt 0 ]; do
  case "$1" in
    --smoke) SMOKE=1; shift ;;
    --duration) need_int "$1" "${2:-}"; DURATION="$2"; DURATION_SET=1; shift 2 ;;
    --connections) need_int "$1" "${2:-}"; CONNECTIONS="$2"; shift 2 ;;
    --writers) need_int "$1" "${2:-}"; WRITERS="$2"; shift 2 ;;
    --accounts) need_int "$1" "${2:-}"; ACCOUNTS="$2"; shift 2 ;;
    --nginx-workers) [[ "${2:-}" =~ ^([1-9][0-9]*|auto)$ ]] || { echo "--nginx-workers needs N or auto" >&2; exit 2; }
      NGINX_WORKERS="$2"; shift 2 ;;
    --strict) STRICT=1; shift ;;
    --keep) KEEP=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "unknown argument: $1 (see --help)" >&2; exit 2 ;;
  esac
done

# Warm-ups run in rounds until the rate settles: at least WARM_MIN rounds, then until two rounds in a row are within
# 5 % of each other (at most WARM_MAX). .NET's tiered JIT keeps recompiling hot code for a while under load (measured with
# DOTNET_JitDisasmSummary=1: methods still being compiled 20 s into a list load, its rate climbing from 9k to 34k req/s
# over 40 s), so a fixed short warm-up measures the JIT, not the service.
# Every rate curve measured here climbed for 25-35 s (one plateaued for a round on the way), hence 30 s at least.
WARM_ROUND=5
WARM_MIN=6
WARM_MAX=12
if [ "$SMOKE" -eq 1 ]; then
  [ "$DURATION_SET" -eq 1 ] || DURATION=2
  WARM_ROUND=1
  WARM_MIN=1
  WARM_MAX=1
  STRICT=0
fi
# The diagnostic GETs only explain the list figure; a third of a run is enough.
DIAG_DURATION=$(( DURATION >= 6 ? DURATION / 3 : 2 ))
[ "$SMOKE" -eq 1 ] && DIAG_DURATION=1
LIST_THREADS=$(( CONNECTIONS >= 2 ? 2 : 1 ))
WRITE_THREADS=$(( WRITERS >= 2 ? 2 : 1 ))
[ "$ACCOUNTS" -gt 64 ] && { echo "--accounts: at most 64" >&2; exit 2; }

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
# No build server or compiler server may outlive the script (they would hold CI's output pipe open).
export MSBUILDDISABLENODEREUSE=1 DOTNET_CLI_USE_MSBUILD_SERVER=0

say() { printf '==> %s\n' "$*" >&2; }
fail() {
  printf 'bench: ERROR: %s\n' "$*" >&2
  if [ "$SMOKE" -eq 1 ]; then echo "bench: smoke run could not measure (see above); exiting 0"; exit 0; fi
  exit 1
}

# ------------------------------------------------------------------ processes and cleanup
# Every long-running child is started with setsid, so it leads its own process group and the EXIT
# trap can end it (and whatever it spawned, e.g. MSBuild nodes) by that id alone.
PIDS=()
TMP=""
start_group() { # start_group LOGFILE CMD... -> sets STARTED_PID
  setsid "${@:2}" >"$1" 2>&1 </dev/null &
  STARTED_PID=$!
  PIDS+=("$STARTED_PID")
}
stop_group() { # stop_group PID: TERM, up to 5 s, then KILL
  local pid="$1"
  kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null
  for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL -- "-$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  forget "$pid"
}
# Cleanup never signals an id it has already waited for (it may since have been reused).
forget() {
  local keep=() p
  for p in "${PIDS[@]}"; do [ "$p" = "$1" ] || keep+=("$p"); done
  PIDS=("${keep[@]}")
}
cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do stop_group "$pid"; done
  PIDS=()
  if [ -n "$TMP" ] && [ -d "$TMP" ]; then
    if [ "$KEEP" -eq 1 ]; then echo "bench: kept $TMP" >&2; else rm -rf "$TMP"; fi
  fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
# Waits for a child (the INT/TERM traps still run at once), then forgets its id.
wait_for() {
  wait "$1"
  local rc=$?
  forget "$1"
  return "$rc"
}

# ------------------------------------------------------------------ tools
missing=()
command -v wrk >/dev/null 2>&1 || missing+=(wrk)
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || missing+=(nginx)
command -v curl >/dev/null 2>&1 || missing+=(curl)
if [ ${#missing[@]} -gt 0 ]; then
  [ "$(id -u)" -eq 0 ] || fail "missing ${missing[*]}: apt-get install -y ${missing[*]} (as root)"
  say "apt-get install ${missing[*]}"
  # Keep the nginx package's postinst from starting a server on :80.
  policy_created=0
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d && policy_created=1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt_ok=1
  apt-get install -y -q --no-install-recommends "${missing[@]}" </dev/null >/dev/null 2>&1 \
    || { apt-get update -q </dev/null >/dev/null 2>&1 && apt-get install -y -q --no-install-recommends "${missing[@]}" </dev/null >/dev/null 2>&1; } \
    || apt_ok=0
  [ "$policy_created" -eq 1 ] && rm -f /usr/sbin/policy-rc.d
  [ "$apt_ok" -eq 1 ] || fail "apt-get install ${missing[*]} failed"
fi
NGINX="$(command -v nginx || echo /usr/sbin/nginx)"
command -v dotnet >/dev/null 2>&1 || fail "dotnet SDK not found on PATH"

# ------------------------------------------------------------------ machine state before anything runs
cpu_busy_sample() { # prints busy% of all cores over 1 s
  local a b
  read -ra a < <(awk '/^cpu /{printf "%d %d\n", $2+$3+$4+$7+$8+$9, $5+$6}' /proc/stat); sleep 1
  read -ra b < <(awk '/^cpu /{printf "%d %d\n", $2+$3+$4+$7+$8+$9, $5+$6}' /proc/stat)
  awk -v bu=$((b[0] - a[0])) -v id=$((b[1] - a[1])) 'BEGIN { t = bu + id; printf "%.0f", (t > 0 ? 100 * bu / t : 0) }'
}
loadavg() { cut -d' ' -f1 /proc/loadavg; }
CORES="$(nproc)"
BUSY_BEFORE="$(cpu_busy_sample)"
LOAD_BEFORE="$(loadavg)"
STARTED_AT="$(date -u '+%Y-%m-%d %H:%M UTC')"
say "machine: $CORES cores, ${BUSY_BEFORE}% busy before the bench started (load avg $LOAD_BEFORE)"

TMP="$(mktemp -d /tmp/switchboard-bench.XXXXXX)" || fail "mktemp failed"
# nginx workers run as nobody and must reach www/; everything else stays in the 0700 private/ dir.
chmod 0755 "$TMP"
mkdir -p "$TMP/www" "$TMP/nginx" "$TMP/private/db" && chmod 0700 "$TMP/private"
PUB="$TMP/publish"
BASE="$TMP/baseline"
DB="$TMP/private/db/switchboard.db"

# ------------------------------------------------------------------ publish
say "publishing src/Switchboard and bench/InsertBaseline (Release) into $TMP"
publish_args=(-c Release --artifacts-path "$TMP/artifacts" -nodeReuse:false -p:UseSharedCompilation=false)
start_group "$TMP/publish-switchboard.log" dotnet publish "$REPO/src/Switchboard" "${publish_args[@]}" -o "$PUB"
pub_sb=$STARTED_PID
start_group "$TMP/publish-baseline.log" dotnet publish "$BENCH_DIR/InsertBaseline" "${publish_args[@]}" -o "$BASE"
pub_bl=$STARTED_PID
wait_for "$pub_sb" || { tail -n 30 "$TMP/publish-switchboard.log" >&2; fail "dotnet publish src/Switchboard failed"; }
wait_for "$pub_bl" || { tail -n 30 "$TMP/publish-baseline.log" >&2; fail "dotnet publish bench/InsertBaseline failed"; }

# ------------------------------------------------------------------ ports
port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
EPHEMERAL_LOW="$(cut -f1 /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || echo 32768)"
[[ "$EPHEMERAL_LOW" =~ ^[0-9]+$ ]] && [ "$EPHEMERAL_LOW" -gt 12000 ] || EPHEMERAL_LOW=32768
pick_port() {
  local p
  for _ in $(seq 1 200); do
    # Below the kernel's ephemeral range (ip_local_port_range, 32768-60999 here): a port that an outgoing connection
    # holds answers no connect, so it looks free, yet a listener cannot bind it (nginx once failed so in CI).
    p=$(( 10000 + RANDOM % (EPHEMERAL_LOW - 10000) ))
    [ "$p" != "${1:-}" ] && port_free "$p" && { echo "$p"; return 0; }
  done
  return 1
}
SB_PORT="$(pick_port)" || fail "no free port"
NGINX_PORT="$(pick_port "$SB_PORT")" || fail "no free port"
SB_URL="http://127.0.0.1:$SB_PORT"
NGINX_URL="http://127.0.0.1:$NGINX_PORT"

# ------------------------------------------------------------------ Switchboard
MASTER_KEY="$(head -c 32 /dev/urandom | base64)"
# Switched off, and why:
# - the per-key rate limit (Switchboard:RateLimit, 50 req/s per key by default): the bench measures capacity,
#   a limit would turn it into a count of 429s;
# - credential health checks (Switchboard:Health), at install and periodic: they call the provider's real API
#   (api.stripe.com here) with the installed secrets. A bench sends traffic to this machine only.
# Belt and braces: HTTP clients that honour proxy variables go through a proxy address on loopback where nothing
# listens, so they fail at once instead of leaving the machine. (The guarded outbound client, Http/Outbound, uses no
# proxy by design: a proxy would be the address it checks. Nothing in the bench reaches it: health checks are off.)
DEAD_PORT="$(pick_port "$SB_PORT")" || fail "no free port"
while [ "$DEAD_PORT" = "$NGINX_PORT" ]; do DEAD_PORT="$(pick_port "$SB_PORT")"; done
sb_env=(env ASPNETCORE_ENVIRONMENT=Production Logging__LogLevel__Default=Warning
  "Switchboard__Database__Provider=sqlite" "Switchboard__Database__ConnectionString=Data Source=$DB"
  "Switchboard__Crypto__Keys=k1:$MASTER_KEY" Switchboard__Bootstrap=true Switchboard__RateLimit__Enabled=false
  Switchboard__Health__Enabled=false Switchboard__Health__CheckOnInstall=false
  Switchboard__Outbound__AllowedNetworks=127.0.0.1/32 Switchboard__Health__AllowBaseUrlOverride=true
  "HTTP_PROXY=http://127.0.0.1:$DEAD_PORT" "HTTPS_PROXY=http://127.0.0.1:$DEAD_PORT" "ALL_PROXY=http://127.0.0.1:$DEAD_PORT"
  "http_proxy=http://127.0.0.1:$DEAD_PORT" "https_proxy=http://127.0.0.1:$DEAD_PORT" "all_proxy=http://127.0.0.1:$DEAD_PORT"
  NO_PROXY= no_proxy=)
# The content root is the publish dir, so its appsettings.json applies as in a deployment.
start_switchboard() {
  (cd "$PUB" && exec setsid "${sb_env[@]}" dotnet "$PUB/Switchboard.dll" --urls "$SB_URL") >"$TMP/private/switchboard.log" 2>&1 </dev/null &
  SB_PID=$!
  PIDS+=("$SB_PID")
}
say "starting Switchboard on $SB_URL"
start_switchboard
for _ in $(seq 1 240); do
  curl -sf -o /dev/null "$SB_URL/healthz" && break
  kill -0 "$SB_PID" 2>/dev/null || { tail -n 30 "$TMP/private/switchboard.log" >&2; fail "Switchboard exited at startup"; }
  sleep 0.25
done
curl -sf -o /dev/null "$SB_URL/healthz" || { tail -n 30 "$TMP/private/switchboard.log" >&2; fail "Switchboard not ready after 60 s"; }
# The bootstrap prints the key once; its "try: curl" line repeats only a shortened prefix.
API_KEY="$(grep -o 'sk_live_[A-Za-z0-9_]*' "$TMP/private/switchboard.log" | awk 'length($0) >= 40' | head -n 1)"
[ -n "$API_KEY" ] || fail "no API key (sk_live_…) in Switchboard's first-start output"
export BENCH_TOKEN="$API_KEY"

LIST_PATH="/api/v1/integrations"
status="$(curl -s -o "$TMP/www/integrations.json" -w '%{http_code}' -H "Authorization: Bearer $API_KEY" "$SB_URL$LIST_PATH")"
[ "$status" = 200 ] && [ -s "$TMP/www/integrations.json" ] || fail "GET $LIST_PATH answered $status"
chmod 0644 "$TMP/www/integrations.json"
LIST_BYTES="$(stat -c %s "$TMP/www/integrations.json")"
LIST_ITEMS="$(grep -o '"name":"[a-z0-9_]*","display_name"' "$TMP/www/integrations.json" | wc -l)"

# ------------------------------------------------------------------ nginx
cat >"$TMP/nginx/nginx.conf" <<EOF
# bench/run.sh: the same bytes as Switchboard's catalog list, as a static file.
worker_processes $NGINX_WORKERS;
pid $TMP/nginx/nginx.pid;
error_log $TMP/nginx/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  keepalive_timeout 65;
  keepalive_requests 1000000;
  client_body_temp_path $TMP/nginx/body;
  proxy_temp_path $TMP/nginx/proxy;
  fastcgi_temp_path $TMP/nginx/fastcgi;
  uwsgi_temp_path $TMP/nginx/uwsgi;
  scgi_temp_path $TMP/nginx/scgi;
  types { }
  default_type application/json;
  charset utf-8;
  charset_types application/json;
  server {
    listen 127.0.0.1:$NGINX_PORT;
    location = $LIST_PATH { alias $TMP/www/integrations.json; }
    # The stand-in provider of section 3: Stripe's GET /v1/customers/{id}.
    location = /v1/customers/cus_bench { return 200 '{"id":"cus_bench","object":"customer","email":"bench@example.com","name":"Bench"}'; }
  }
}
EOF
say "starting nginx ($NGINX_WORKERS workers) on $NGINX_URL"
start_group "$TMP/nginx/stdout.log" "$NGINX" -e "$TMP/nginx/error.log" -p "$TMP/nginx" -c "$TMP/nginx/nginx.conf" -g 'daemon off;'
NGINX_PID=$STARTED_PID
for _ in $(seq 1 40); do curl -sf -o /dev/null "$NGINX_URL$LIST_PATH" && break; sleep 0.25; done
cmp -s <(curl -sf "$NGINX_URL$LIST_PATH") "$TMP/www/integrations.json" \
  || { cat "$TMP/nginx/error.log" >&2; fail "nginx does not serve the list bytes"; }

# ------------------------------------------------------------------ wrk
# CPU time (clock ticks, user + system) of every process in a process group: the server's own cost,
# which the other work on the machine inflates far less than it cuts throughput.
CLK_TCK="$(getconf CLK_TCK 2>/dev/null || echo 100)"
group_cpu_ticks() { # group_cpu_ticks PGID
  local f line fields total=0
  for f in /proc/[0-9]*/stat; do
    { line="$(<"$f")"; } 2>/dev/null || continue
    # after "pid (comm) ": [0] state, [1] ppid, [2] pgrp, ..., [11] utime, [12] stime
    read -ra fields <<<"${line##*) }"
    [ "${fields[2]:-}" = "$1" ] && total=$(( total + fields[11] + fields[12] ))
  done
  echo "$total"
}
CPU_PGID="" # the server group that run_wrk charges CPU to
# run_wrk NAME THREADS CONNECTIONS SECONDS URL [SCRIPT [SCRIPT ARGS...]]: writes $TMP/wrk-NAME.txt
run_wrk() {
  local name="$1" threads="$2" conns="$3" secs="$4" url="$5" script="${6:-$BENCH_DIR/wrk-report.lua}"
  shift 6 2>/dev/null || shift $#
  local extra=()
  [ $# -gt 0 ] && extra=(-- "$@")
  local cpu0=0
  echo "load=$(loadavg)" >"$TMP/wrk-$name.txt"
  [ -n "$CPU_PGID" ] && cpu0="$(group_cpu_ticks "$CPU_PGID")"
  start_group "$TMP/wrk-$name.out" wrk "-t$threads" "-c$conns" "-d${secs}s" --timeout 10s -s "$script" "$url" "${extra[@]}"
  wait_for "$STARTED_PID"
  [ -n "$CPU_PGID" ] && echo "cpu_ticks=$(( $(group_cpu_ticks "$CPU_PGID") - cpu0 ))" >>"$TMP/wrk-$name.txt"
  cat "$TMP/wrk-$name.out" >>"$TMP/wrk-$name.txt"
}
# warm_up NAME THREADS CONNECTIONS URL [SCRIPT [ARGS...]]: rounds of WARM_ROUND s until the rate settles (at least
# MIN_ROUNDS, at most MAX_ROUNDS; defaults WARM_MIN, WARM_MAX); the rounds' rates go to $TMP/warm-NAME.rates.
warm_up() {
  local name="$1" round prev="" rate
  : >"$TMP/warm-$name.rates"
  for round in $(seq 1 "${MAX_ROUNDS:-$WARM_MAX}"); do
    run_wrk "warm-$name" "$2" "$3" "$WARM_ROUND" "${@:4}"
    rate="$(ok_rps "warm-$name")"
    printf '%s ' "$rate" >>"$TMP/warm-$name.rates"
    if [ "$round" -ge "${MIN_ROUNDS:-$WARM_MIN}" ] && [ -n "$prev" ] && awk -v a="$prev" -v b="$rate" 'BEGIN { exit !(a != "n/a" && b != "n/a" && a > 0 && (b - a) / a < 0.05 && (a - b) / a < 0.05) }'; then
      break
    fi
    prev="$rate"
  done
}
warm_rates() { sed 's/ $//; s/\([0-9]*\)\.[0-9]/\1/g' "$TMP/warm-$1.rates" 2>/dev/null | tr ' ' '\n' | awk 'NF { printf "%s%s", (n++ ? " > " : ""), $1 } END { print "" }'; }

# cpu_per_req NAME: the server's CPU milliseconds per successful response during the run
cpu_per_req() {
  local t r n
  t="$(sed -n 's/^cpu_ticks=//p' "$TMP/wrk-$1.txt" 2>/dev/null)"; r="$(field "$1" requests)"; n="$(field "$1" non2xx)"
  awk -v t="${t:-}" -v r="${r:-0}" -v n="${n:-0}" -v hz="$CLK_TCK" \
    'BEGIN { if (t == "" || r - n <= 0) print "n/a"; else printf "%.3f", t * 1000 / hz / (r - n) }'
}
# field NAME KEY: a value from the WRKRESULT line of a run
field() { grep -o "WRKRESULT.*" "$TMP/wrk-$1.txt" 2>/dev/null | tr ' ' '\n' | sed -n "s/^$2=//p" | head -n 1; }
# ok_rps NAME: successful (2xx/3xx) responses per second
ok_rps() {
  local r d n
  r="$(field "$1" requests)"; d="$(field "$1" duration_us)"; n="$(field "$1" non2xx)"
  [ -n "$r" ] && [ -n "$d" ] && [ "$d" -gt 0 ] || { echo "n/a"; return; }
  awk -v r="$r" -v n="${n:-0}" -v d="$d" 'BEGIN { printf "%.1f", (r - n) / (d / 1e6) }'
}
errs() { # errs NAME: "non-2xx N, socket errors N", empty when clean
  local n c=0 k v s=""
  n="$(field "$1" non2xx)"
  for k in connect read write timeout; do v="$(field "$1" "$k")"; c=$(( c + ${v:-0} )); done
  [ "${n:-0}" -gt 0 ] && s="non-2xx ${n}"
  [ "$c" -gt 0 ] && s="${s:+$s, }socket errors $c"
  echo "$s"
}
lat() { echo "p50 $(field "$1" p50_ms) ms, p99 $(field "$1" p99_ms) ms"; }
# combine_runs NAME PART...: one result from several runs: requests, durations, errors and CPU summed, latency the
# worst round's p50 and p99 (wrk's percentiles cannot be merged exactly), the first round's load.
combine_runs() {
  local name="$1" part; shift
  {
    sed -n 's/^load=/load=/p' "$TMP/wrk-$1.txt" | head -n 1
    for part in "$@"; do sed -n 's/^cpu_ticks=//p' "$TMP/wrk-$part.txt"; done | awk 'NF { t += $1; n++ } END { if (n) print "cpu_ticks=" t }'
    for part in "$@"; do grep -o 'WRKRESULT.*' "$TMP/wrk-$part.txt"; done | awk '
      { for (i = 2; i <= NF; i++) { split($i, kv, "="); k = kv[1]; v = kv[2]
          if (k == "p50_ms" || k == "p99_ms") { if (v + 0 > m[k] + 0) m[k] = v }
          else if (k == "codes") { n = split(v, cs, ","); for (j = 1; j <= n; j++) { split(cs[j], cc, ":"); codes[cc[1]] += cc[2] } }
          else s[k] += v } }
      END { out = ""; for (c in codes) out = out (out == "" ? "" : ",") c ":" codes[c]
        printf "WRKRESULT requests=%d duration_us=%d non2xx=%d connect=%d read=%d write=%d timeout=%d p50_ms=%s p99_ms=%s codes=%s\n",
          s["requests"], s["duration_us"], s["non2xx"], s["connect"], s["read"], s["write"], s["timeout"], m["p50_ms"], m["p99_ms"], out }'
  } >"$TMP/wrk-$name.txt"
}

say "GET $LIST_PATH: warm-up rounds of ${WARM_ROUND}s until the rate settles ($WARM_MIN to $WARM_MAX rounds), then ${DURATION}s each at -t$LIST_THREADS -c$CONNECTIONS"
warm_up sb "$LIST_THREADS" "$CONNECTIONS" "$SB_URL$LIST_PATH"
# nginx has no JIT to settle; its rate only wanders with the machine, so two rounds are enough.
MIN_ROUNDS=1 MAX_ROUNDS=$(( WARM_MAX < 2 ? WARM_MAX : 2 )) warm_up nginx "$LIST_THREADS" "$CONNECTIONS" "$NGINX_URL$LIST_PATH"
# The two sides alternate in LIST_ROUNDS rounds of DURATION/LIST_ROUNDS s each, so a drift of the machine's speed
# (common here: the same run differs by a third from one minute to the next) weighs on both sides alike.
LIST_ROUNDS=$(( SMOKE == 1 || DURATION < 6 ? 1 : 3 ))
LIST_ROUND_SECS=$(( DURATION / LIST_ROUNDS ))
sb_parts=(); nginx_parts=()
for round in $(seq 1 "$LIST_ROUNDS"); do
  CPU_PGID="$SB_PID" run_wrk "list-sb-$round" "$LIST_THREADS" "$CONNECTIONS" "$LIST_ROUND_SECS" "$SB_URL$LIST_PATH"
  CPU_PGID="$NGINX_PID" run_wrk "list-nginx-$round" "$LIST_THREADS" "$CONNECTIONS" "$LIST_ROUND_SECS" "$NGINX_URL$LIST_PATH"
  sb_parts+=("list-sb-$round"); nginx_parts+=("list-nginx-$round")
done
combine_runs list-sb "${sb_parts[@]}"
combine_runs list-nginx "${nginx_parts[@]}"
CPU_PGID="$SB_PID"

say "diagnostic GETs, ${DIAG_DURATION}s each: /healthz, /api/v1/native-tools, /api/v1/integrations/stripe, $LIST_PATH?limit=1"
run_wrk diag-healthz "$LIST_THREADS" "$CONNECTIONS" "$DIAG_DURATION" "$SB_URL/healthz"
run_wrk diag-auth "$LIST_THREADS" "$CONNECTIONS" "$DIAG_DURATION" "$SB_URL/api/v1/native-tools"
run_wrk diag-one "$LIST_THREADS" "$CONNECTIONS" "$DIAG_DURATION" "$SB_URL/api/v1/integrations/stripe"
run_wrk diag-limit1 "$LIST_THREADS" "$CONNECTIONS" "$DIAG_DURATION" "$SB_URL$LIST_PATH?limit=1"

# ------------------------------------------------------------------ install
: >"$TMP/private/keys.txt"
chmod 0600 "$TMP/private/keys.txt"
echo "$API_KEY" >>"$TMP/private/keys.txt"
if [ "$ACCOUNTS" -gt 1 ]; then
  say "creating $((ACCOUNTS - 1)) more accounts with the admin CLI"
  n=2
  while [ "$n" -le "$ACCOUNTS" ]; do
    batch=()
    for _ in 1 2 3 4; do
      [ "$n" -le "$ACCOUNTS" ] || break
      (cd "$PUB" && exec setsid "${sb_env[@]}" dotnet "$PUB/Switchboard.dll" accounts create --name "bench-$n") \
        >"$TMP/private/account-$n.json" 2>"$TMP/private/account-$n.err" </dev/null &
      batch+=($!); PIDS+=($!)
      n=$((n + 1))
    done
    for pid in "${batch[@]}"; do wait_for "$pid" || true; done
  done
  cat "$TMP"/private/account-*.json 2>/dev/null | grep -o '"api_key": *"sk_live_[A-Za-z0-9_]*"' \
    | grep -o 'sk_live_[A-Za-z0-9_]*' >>"$TMP/private/keys.txt"
  got="$(wc -l <"$TMP/private/keys.txt")"
  [ "$got" -eq "$ACCOUNTS" ] || say "warning: only $got of $ACCOUNTS accounts have a key"
  ACCOUNTS="$got"
fi
export BENCH_KEYS_FILE="$TMP/private/keys.txt"
INSTALL_PATH="/api/v1/integrations/stripe/install"
say "POST $INSTALL_PATH over $ACCOUNTS account(s) at -t$WRITE_THREADS -c$WRITERS: warm-up rounds until the rate settles"
# One sequential install per account first: it creates the rows (and JIT-compiles the path), so the
# warm-up and the measured run only re-install.
while read -r key; do
  curl -s -o /dev/null -H "Authorization: Bearer $key" -H 'Content-Type: application/json' \
    -d '{"params":{"api_version":"2024-06-20"},"secrets":{"api_key":"sk_test_abcdefghijklmnopqrstuvwx","webhook_secret":"whsec_abcdefghijklmnop"}}' \
    "$SB_URL$INSTALL_PATH"
done <"$BENCH_KEYS_FILE"
# run_baseline NAME SECONDS: InsertBaseline on the service's database file (the service idle meanwhile)
run_baseline() {
  echo "load=$(loadavg)" >"$TMP/baseline-$1.txt"
  start_group "$TMP/baseline-$1.out" dotnet "$BASE/InsertBaseline.dll" --db "$DB" --writers "$WRITERS" --duration "$2" --warmup 1
  wait_for "$STARTED_PID" || { cat "$TMP/baseline-$1.out" >&2; say "baseline run $1 failed"; }
  cat "$TMP/baseline-$1.out" >>"$TMP/baseline-$1.txt"
}
# The disk's fsync cost drifts with whatever else runs, so the baseline's time is split in two halves that
# bracket the measured install run, and the ratio uses their total.
B1=$(( (DURATION + 1) / 2 )); B2=$(( DURATION - B1 > 0 ? DURATION - B1 : 1 ))
warm_up install "$WRITE_THREADS" "$WRITERS" "$SB_URL" "$BENCH_DIR/install.lua" "$WRITE_THREADS"
say "baseline (1/2): $WRITERS writers, one-row INSERT transactions into the same file for ${B1}s"
run_baseline before "$B1"
say "POST $INSTALL_PATH: ${DURATION}s"
run_wrk install "$WRITE_THREADS" "$WRITERS" "$DURATION" "$SB_URL" "$BENCH_DIR/install.lua" "$WRITE_THREADS"
say "baseline (2/2): ${B2}s"
run_baseline after "$B2"
INSTALLED_STATUS="$(curl -s -H "Authorization: Bearer $API_KEY" "$SB_URL/api/v1/integrations/stripe" | grep -o '"status":"[a-z]*"' | head -n 1 | cut -d'"' -f4)"

# ------------------------------------------------------------------ invoke and proxy
# stripe points at nginx (base_url_override), which answers GET /v1/customers/cus_bench itself: the same request
# three ways at the same concurrency — straight to nginx, as a tool call, through the proxy.
export BENCH_DIR
INVOKE_PATH="/api/v1/native-tools/stripe.get_customer/invoke"
PROXY_PATH="/api/v1/proxy/stripe/v1/customers/cus_bench"
DIRECT_PATH="/v1/customers/cus_bench"
curl -s -o /dev/null -H "Authorization: Bearer $API_KEY" -H 'Content-Type: application/json' \
  -d "{\"secrets\":{\"api_key\":\"sk_test_abcdefghijklmnopqrstuvwx\"},\"base_url_override\":\"$NGINX_URL\"}" "$SB_URL$INSTALL_PATH"
INVOKE_CHECK="$(curl -s -H "Authorization: Bearer $API_KEY" -H 'Content-Type: application/json' -d '{"input":{"customer_id":"cus_bench"}}' "$SB_URL$INVOKE_PATH" | cut -c1-120)"
PROXY_CHECK="$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $API_KEY" "$SB_URL$PROXY_PATH")"
say "invoke and proxy vs calling nginx directly at -t$WRITE_THREADS -c$WRITERS: warm-up rounds until the rate settles"
warm_up invoke "$WRITE_THREADS" "$WRITERS" "$SB_URL$INVOKE_PATH" "$BENCH_DIR/invoke.lua"
warm_up proxy "$WRITE_THREADS" "$WRITERS" "$SB_URL$PROXY_PATH"
MIN_ROUNDS=1 MAX_ROUNDS=1 warm_up direct "$WRITE_THREADS" "$WRITERS" "$NGINX_URL$DIRECT_PATH"
INV_ROUNDS=$(( SMOKE == 1 || DURATION < 6 ? 1 : 3 ))
INV_ROUND_SECS=$(( DURATION / INV_ROUNDS ))
direct_parts=(); invoke_parts=(); proxy_parts=()
for round in $(seq 1 "$INV_ROUNDS"); do
  CPU_PGID="$NGINX_PID" run_wrk "direct-$round" "$WRITE_THREADS" "$WRITERS" "$INV_ROUND_SECS" "$NGINX_URL$DIRECT_PATH"
  CPU_PGID="$SB_PID" run_wrk "invoke-$round" "$WRITE_THREADS" "$WRITERS" "$INV_ROUND_SECS" "$SB_URL$INVOKE_PATH" "$BENCH_DIR/invoke.lua"
  CPU_PGID="$SB_PID" run_wrk "proxy-$round" "$WRITE_THREADS" "$WRITERS" "$INV_ROUND_SECS" "$SB_URL$PROXY_PATH"
  direct_parts+=("direct-$round"); invoke_parts+=("invoke-$round"); proxy_parts+=("proxy-$round")
done
combine_runs direct "${direct_parts[@]}"
combine_runs invoke "${invoke_parts[@]}"
combine_runs proxy "${proxy_parts[@]}"
stop_group "$NGINX_PID"

say "stopping Switchboard"
stop_group "$SB_PID"
# What the server logged as errors, counted: category, exception type, and SQLite's message if any.
awk 'function flush() { if (cat != "") print cat (exc != "" ? " " exc : "") (msg != "" ? " " msg : ""); cat = exc = msg = "" }
     /^(fail|crit):/ { flush(); cat = $0; next }
     cat != "" && exc == "" && match($0, /[A-Za-z.]*Exception[A-Za-z]*/) { exc = substr($0, RSTART, RLENGTH) }
     cat != "" && msg == "" && match($0, /SQLite Error [0-9]+: .[^\047]*/) { msg = substr($0, RSTART, RLENGTH) }
     END { flush() }' "$TMP/private/switchboard.log" | sort | uniq -c | sort -rn | head -n 6 >"$TMP/server-errors.txt" || true
# bfield KEY [RUN]: a value from a baseline run's BASELINE line (default: the first run)
bfield() { grep -o "BASELINE .*" "$TMP/baseline-${2:-before}.txt" 2>/dev/null | tr ' ' '\n' | sed -n "s/^$1=//p" | head -n 1; }
bload() { sed -n 's/^load=//p' "$TMP/baseline-$1.txt" 2>/dev/null; }

# ------------------------------------------------------------------ durability check
sync_name() { case "$1" in 0) echo "0 (OFF)" ;; 1) echo "1 (NORMAL)" ;; 2) echo "2 (FULL)" ;; 3) echo "3 (EXTRA)" ;; *) echo "${1:-?}" ;; esac; }
SERVICE_SYNC_SRC="$(grep -rIilE '(pragma|journal)[^a-z]*synchronous|synchronous *=' "$REPO/src/Switchboard" --include='*.cs' --include='appsettings*.json' 2>/dev/null \
  | grep -v '/Migrations/' | sed "s|$REPO/||" | tr '\n' ' ')"
lib_hash() { find "$1" -name 'libe_sqlite3.so' -path '*linux-x64*' -exec sha256sum {} \; 2>/dev/null | head -n 1 | cut -c1-16; }
SB_LIB="$(lib_hash "$PUB")"; BL_LIB="$(lib_hash "$BASE")"
FS_TYPE="$(df -T "$TMP" | awk 'NR == 2 { print $2 }')"

# ------------------------------------------------------------------ report
SB_RPS="$(ok_rps list-sb)"; NGINX_RPS="$(ok_rps list-nginx)"; INSTALL_RPS="$(ok_rps install)"
BASE_RPS="$(awk -v r1="$(bfield rows before)" -v s1="$(bfield seconds before)" -v r2="$(bfield rows after)" -v s2="$(bfield seconds after)" \
  'BEGIN { if (s1 + s2 > 0 && r1 != "" && r2 != "") printf "%.1f", (r1 + r2) / (s1 + s2); else print "n/a" }')"
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "n/a" || b == "n/a" || b + 0 == 0) print "n/a"; else printf "%.2f", a / b }'; }
verdict() { awk -v r="$1" -v t="$2" 'BEGIN { if (r == "n/a") print "NOT MEASURED"; else if (r + 0 >= t) print "met"; else print "MISSED" }'; }
LIST_RATIO="$(ratio "$SB_RPS" "$NGINX_RPS")"; INSTALL_RATIO="$(ratio "$INSTALL_RPS" "$BASE_RPS")"
DIRECT_RPS="$(ok_rps direct)"; INVOKE_RPS="$(ok_rps invoke)"; PROXY_RPS="$(ok_rps proxy)"
INVOKE_RATIO="$(ratio "$INVOKE_RPS" "$DIRECT_RPS")"; PROXY_RATIO="$(ratio "$PROXY_RPS" "$DIRECT_RPS")"
overhead() { awk -v a="$(field "$1" p50_ms)" -v b="$(field direct p50_ms)" 'BEGIN { if (a == "" || b == "") print "n/a"; else printf "%.2f", a - b }'; }
INVOKE_OVERHEAD="$(overhead invoke)"; PROXY_OVERHEAD="$(overhead proxy)"
BUSY_AFTER="$(cpu_busy_sample)"
row() { printf '  %-46s %12s  %s\n' "$1" "$2" "${3:-}"; }
extra() { local e; e="$(errs "$1")"; echo "server CPU $(cpu_per_req "$1") ms/req, $(lat "$1"), load $(sed -n 's/^load=//p' "$TMP/wrk-$1.txt")${e:+, $e}"; }

report() {
  echo
  echo "Switchboard bench — $STARTED_AT — $( [ "$SMOKE" -eq 1 ] && echo "SMOKE (${DURATION}s runs)" || echo "${DURATION}s runs after warm-ups that last until the rate settles")"
  echo "machine: $CORES cores shared by wrk, the server and everything else; ${BUSY_BEFORE}% busy before the bench, ${BUSY_AFTER}% right after it (load avg $LOAD_BEFORE at start)"
  [ "${BUSY_BEFORE:-0}" -ge 20 ] && echo "WARNING: the machine was already ${BUSY_BEFORE}% busy: other work shares the cores, figures are distorted"
  echo
  echo "1. GET $LIST_PATH ($LIST_ITEMS items, $LIST_BYTES bytes), wrk -t$LIST_THREADS -c$CONNECTIONS, the sides alternating in $LIST_ROUNDS round(s) of ${LIST_ROUND_SECS}s"
  row "Switchboard (API key, SQLite, Release)" "$SB_RPS req/s" "$(extra list-sb)"
  row "nginx ($NGINX_WORKERS workers), same bytes, static" "$NGINX_RPS req/s" "$(extra list-nginx)"
  echo "   warm-up rounds (${WARM_ROUND}s each, req/s): Switchboard $(warm_rates sb); nginx $(warm_rates nginx)"
  echo "   measured rounds (req/s): Switchboard $(for p in "${sb_parts[@]}"; do printf '%s ' "$(ok_rps "$p")"; done)/ nginx $(for p in "${nginx_parts[@]}"; do printf '%s ' "$(ok_rps "$p")"; done)"
  row "ratio (target 0.5)" "$LIST_RATIO" "$(verdict "$LIST_RATIO" 0.5)"
  echo "   where the list's time goes (Switchboard, ${DIAG_DURATION}s each, same -c):"
  row "GET /healthz (no auth, no database)" "$(ok_rps diag-healthz) req/s" "$(extra diag-healthz)"
  row "GET /api/v1/native-tools (API key, no database)" "$(ok_rps diag-auth) req/s" "$(extra diag-auth)"
  row "GET /api/v1/integrations/stripe (one row query)" "$(ok_rps diag-one) req/s" "$(extra diag-one)"
  row "GET $LIST_PATH?limit=1" "$(ok_rps diag-limit1) req/s" "$(extra diag-limit1)"
  echo
  echo "2. writes at concurrency $WRITERS into one SQLite file ($FS_TYPE)"
  row "POST $INSTALL_PATH" "$INSTALL_RPS req/s" "$(extra install)"
  row "   status codes (last warm-up round: $(field warm-install codes))" "$(field install codes)" "$ACCOUNTS account(s) in rotation; stripe afterwards: ${INSTALLED_STATUS:-?}"
  echo "   warm-up rounds (${WARM_ROUND}s each, req/s): $(warm_rates install)"
  row "INSERT one row per transaction (baseline)" "$BASE_RPS rows/s" "$WRITERS writers, ${B1}s before + ${B2}s after the install run:"
  row "   before / after" "$(bfield rows_per_s before) / $(bfield rows_per_s after)" "CPU $(bfield cpu_ms_per_row before) / $(bfield cpu_ms_per_row after) ms/row, errors $(bfield errors before) / $(bfield errors after), load $(bload before) / $(bload after)"
  cat "$TMP"/baseline-*.txt 2>/dev/null | grep -o 'BASELINE_ERROR.*' | sed 's/^BASELINE_ERROR/     baseline errors:/' | cut -c1-160
  row "ratio (target 0.7)" "$INSTALL_RATIO" "$(verdict "$INSTALL_RATIO" 0.7)"
  echo "   durability: PRAGMA synchronous baseline $(sync_name "$(bfield synchronous)"), through EF Core UseSqlite $(sync_name "$(bfield ef_synchronous)");"
  echo "   journal_mode $(bfield journal_mode); SQLite $(bfield sqlite_version); libe_sqlite3 sha256 service ${SB_LIB:-?} / baseline ${BL_LIB:-?} ($( [ -n "$SB_LIB" ] && [ "$SB_LIB" = "$BL_LIB" ] && echo same || echo DIFFERENT));"
  if [ -z "$SERVICE_SYNC_SRC" ]; then
    echo "   the service sets no PRAGMA synchronous (none in src/Switchboard), so it runs at that same default"
  else
    echo "   WARNING: src/Switchboard mentions 'synchronous' in: $SERVICE_SYNC_SRC— check the service's setting"
  fi
  if [ -s "$TMP/server-errors.txt" ]; then
    echo "   server log errors:"; sed 's/^/     /' "$TMP/server-errors.txt"
  fi
  echo
  echo "3. a provider call at concurrency $WRITERS: nginx standing in for Stripe (GET $DIRECT_PATH), the sides alternating in $INV_ROUNDS round(s) of ${INV_ROUND_SECS}s"
  echo "   first answers: invoke ${INVOKE_CHECK:-?}…; proxy status ${PROXY_CHECK:-?}"
  row "direct to nginx" "$DIRECT_RPS req/s" "$(extra direct)"
  row "POST $INVOKE_PATH" "$INVOKE_RPS req/s" "$(extra invoke)"
  row "GET $PROXY_PATH" "$PROXY_RPS req/s" "$(extra proxy)"
  echo "   warm-up rounds (${WARM_ROUND}s each, req/s): invoke $(warm_rates invoke); proxy $(warm_rates proxy)"
  row "p50 overhead invoke / proxy (target < 1 ms)" "$INVOKE_OVERHEAD / $PROXY_OVERHEAD ms"
  row "throughput ratio invoke / proxy (target 0.5)" "$INVOKE_RATIO / $PROXY_RATIO" "$(verdict "$INVOKE_RATIO" 0.5) / $(verdict "$PROXY_RATIO" 0.5)"
  echo
  printf '  %-28s %14s %14s %8s %8s\n' "figure" "Switchboard" "baseline" "ratio" "target"
  printf '  %-28s %14s %14s %8s %8s\n' "list GET (req/s)" "$SB_RPS" "$NGINX_RPS" "$LIST_RATIO" "0.5"
  printf '  %-28s %14s %14s %8s %8s\n' "install POST (req/s, rows/s)" "$INSTALL_RPS" "$BASE_RPS" "$INSTALL_RATIO" "0.7"
  printf '  %-28s %14s %14s %8s %8s\n' "invoke POST (req/s)" "$INVOKE_RPS" "$DIRECT_RPS" "$INVOKE_RATIO" "0.5"
  printf '  %-28s %14s %14s %8s %8s\n' "proxy GET (req/s)" "$PROXY_RPS" "$DIRECT_RPS" "$PROXY_RATIO" "0.5"
  echo "bench: list ratio $LIST_RATIO (target 0.5), install ratio $INSTALL_RATIO (target 0.7), invoke ratio $INVOKE_RATIO / p50 +$INVOKE_OVERHEAD ms, proxy ratio $PROXY_RATIO / p50 +$PROXY_OVERHEAD ms (targets 0.5, < 1 ms)"
}

OUT_DIR="$BENCH_DIR/out"
mkdir -p "$OUT_DIR" 2>/dev/null && REPORT_FILE="$OUT_DIR/report-$(date -u +%Y%m%d-%H%M%S)$( [ "$SMOKE" -eq 1 ] && echo -smoke).txt" || REPORT_FILE=/dev/null
[ "$REPORT_FILE" != /dev/null ] && say "report also saved to ${REPORT_FILE#"$REPO"/}"
report | tee "$REPORT_FILE"

if [ "$STRICT" -eq 1 ] && { [ "$(verdict "$LIST_RATIO" 0.5)" != met ] || [ "$(verdict "$INSTALL_RATIO" 0.7)" != met ]; }; then
  exit 3
fi
exit 0
