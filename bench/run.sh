#!/usr/bin/env bash
# Switchboard bench: one run, every comparison against a baseline measured in the same run, a report. See bench/README.md.
#
#   bench/run.sh [--db sqlite|postgres] [--smoke] [--only SECTIONS] [--duration N] [--connections N] [--writers N]
#                [--readers N] [--accounts N] [--nginx-workers N|auto] [--memory-count N] [--gc-variants LIST]
#                [--storm-connections N] [--storm-margin S] [--storm-window S] [--storm-setting NAME=VALUE]...
#                [--strict] [--keep]
#
#   Sections (--only list,install,reads,invoke,memory,storm; default: all that the database has):
#   list     GET /api/v1/integrations vs nginx serving the same bytes (target >= 0.5), and diagnostic GETs.
#   install  sqlite: POST …/stripe/install vs single-row INSERT transactions into the same file (target >= 1.0).
#            postgres: installs at --writers connections over 64 projects vs pgbench single-row INSERTs of the same
#            width (target >= 0.5); one hot row (reported); sequential installs vs pgbench -c1 (target >= 0.3).
#   reads    OAuth end-user credential reads and machine-token reads vs /healthz, alternating (target >= 0.3).
#   invoke   a tool call (POST /api/v1/native-tools/stripe.get_customer/invoke) and a proxied GET
#            (/api/v1/proxy/stripe/v1/customers/cus_bench) vs the same GET straight to their stand-in (nginx), at
#            --writers connections, alternating: p50 overhead (target < 1 ms) and req/s ratio (target >= 0.5).
#   memory   RSS idle, after storing --memory-count integrations and connections, under load (target <= 1.5x idle,
#            idle < 100 MB), per GC setting; p99 of reads at that count vs at 1/100 of it, alternating (<= 1.5x).
#   storm    postgres only: --storm-connections OAuth connections expiring within --storm-window s, refreshed by two
#            nodes against the loopback oidc-provider: all before expiry (+10 s), no double refresh, no invalid_grant.
#
#   --db D             sqlite (default; the service's file database) or postgres (a throwaway PostgreSQL 15 cluster
#                      started with the server's default durability settings: fsync on, synchronous_commit on).
#   --smoke            CI mode: 2 s runs, one 1 s warm-up, small counts; always exits 0 (it only reports).
#   --duration N       seconds per measured run (default 15).
#   --connections N    wrk connections for the list GETs (default 64).
#   --writers N        concurrency of the write runs and their baselines, and of the invoke section (default 16).
#   --readers N        wrk connections for the credential reads and /healthz beside them (default 32).
#   --accounts N       sqlite install: N accounts in rotation (default 1; N > 1 creates N-1 with the admin CLI).
#   --nginx-workers W  nginx worker_processes (default auto = one per core, i.e. 2 here).
#   --memory-count N   integrations and connections stored for the memory figures (default 100000; smoke 1000).
#   --gc-variants L    comma list of server, server-nonconcurrent, server-nodatas, server-gen0max, workstation,
#                      workstation-nonconcurrent, workstation-gen0 (default all; smoke server).
#   --storm-connections N  (default 10000; smoke 200)   --storm-margin S  Switchboard:OAuth:ProactiveMargin of the storm
#                      nodes, seconds (default 120; smoke 20)   --storm-window S  expiries spread over S s (default 60; smoke 5)
#   --storm-setting K=V  another Switchboard:OAuth setting for both storm nodes (repeatable), e.g. WorkerInterval=00:00:01.
#   --strict           exit 3 when a target is missed (never in --smoke).
#   --keep             keep the temp dir (logs, databases, configs) and print its path.
#
# Needs dotnet, wrk, nginx, curl, and for reads/memory/storm node + npm, for postgres PostgreSQL 15 (with pgbench); as
# root, missing Debian packages are installed with apt-get. Publishes Release builds of src/Switchboard and, for the
# sections that use them, bench/InsertBaseline and bench/BenchDriver into a temp dir (obj/bin included: --artifacts-path),
# so it never writes into the source tree. A copy of the report goes to bench/out/.
set -uo pipefail

BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$BENCH_DIR/.." && pwd)"

DB_KIND=sqlite
SECTIONS=""
DURATION=15
CONNECTIONS=64
WRITERS=16
READERS=32
ACCOUNTS=1
NGINX_WORKERS=auto
MEMORY_COUNT=100000
GC_VARIANTS="server,server-nonconcurrent,server-nodatas,server-gen0max,workstation,workstation-nonconcurrent,workstation-gen0"
STORM_CONNECTIONS=10000
STORM_MARGIN=120
STORM_WINDOW=60
STORM_SETTINGS=()
CONSENT_SAMPLE=300
SMOKE=0
STRICT=0
KEEP=0
SET_DURATION=0 SET_MEMORY=0 SET_GC=0 SET_STORM_N=0 SET_STORM_MARGIN=0 SET_STORM_WINDOW=0

usage() { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "${BASH_SOURCE[0]}"; }
need_int() { [[ "$2" =~ ^[1-9][0-9]*$ ]] || { echo "$1 needs a positive integer, got '$2'" >&2; exit 2; }; }

while [ $# -gt 0 ]; do
  case "$1" in
    --db) [[ "${2:-}" =~ ^(sqlite|postgres)$ ]] || { echo "--db needs sqlite or postgres" >&2; exit 2; }; DB_KIND="$2"; shift 2 ;;
    --only) [[ "${2:-}" =~ ^(list|install|reads|invoke|memory|storm)(,(list|install|reads|invoke|memory|storm))*$ ]] \
        || { echo "--only needs a comma list of list,install,reads,invoke,memory,storm" >&2; exit 2; }; SECTIONS="$2"; shift 2 ;;
    --smoke) SMOKE=1; shift ;;
    --duration) need_int "$1" "${2:-}"; DURATION="$2"; SET_DURATION=1; shift 2 ;;
    --connections) need_int "$1" "${2:-}"; CONNECTIONS="$2"; shift 2 ;;
    --writers) need_int "$1" "${2:-}"; WRITERS="$2"; shift 2 ;;
    --readers) need_int "$1" "${2:-}"; READERS="$2"; shift 2 ;;
    --accounts) need_int "$1" "${2:-}"; ACCOUNTS="$2"; shift 2 ;;
    --nginx-workers) [[ "${2:-}" =~ ^([1-9][0-9]*|auto)$ ]] || { echo "--nginx-workers needs N or auto" >&2; exit 2; }
      NGINX_WORKERS="$2"; shift 2 ;;
    --memory-count) need_int "$1" "${2:-}"; MEMORY_COUNT="$2"; SET_MEMORY=1; shift 2 ;;
    --gc-variants) [[ "${2:-}" =~ ^[a-z0-9,-]+$ ]] || { echo "--gc-variants needs a comma list" >&2; exit 2; }; GC_VARIANTS="$2"; SET_GC=1; shift 2 ;;
    --storm-connections) need_int "$1" "${2:-}"; STORM_CONNECTIONS="$2"; SET_STORM_N=1; shift 2 ;;
    --storm-margin) need_int "$1" "${2:-}"; STORM_MARGIN="$2"; SET_STORM_MARGIN=1; shift 2 ;;
    --storm-window) need_int "$1" "${2:-}"; STORM_WINDOW="$2"; SET_STORM_WINDOW=1; shift 2 ;;
    --storm-setting) [[ "${2:-}" =~ ^[A-Za-z]+=[^[:space:]]+$ ]] || { echo "--storm-setting needs NAME=VALUE" >&2; exit 2; }
      STORM_SETTINGS+=("$2"); shift 2 ;;
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
SETTLE=5 # seconds a node is left alone before its idle RSS is read
if [ "$SMOKE" -eq 1 ]; then
  [ "$SET_DURATION" -eq 1 ] || DURATION=2
  [ "$SET_MEMORY" -eq 1 ] || MEMORY_COUNT=1000
  [ "$SET_GC" -eq 1 ] || GC_VARIANTS="server"
  [ "$SET_STORM_N" -eq 1 ] || STORM_CONNECTIONS=200
  [ "$SET_STORM_MARGIN" -eq 1 ] || STORM_MARGIN=20
  [ "$SET_STORM_WINDOW" -eq 1 ] || STORM_WINDOW=5
  CONSENT_SAMPLE=20
  WARM_ROUND=1
  WARM_MIN=1
  WARM_MAX=1
  SETTLE=2
  STRICT=0
fi
if [ -z "$SECTIONS" ]; then
  SECTIONS="list,install,reads,invoke,memory"
  [ "$DB_KIND" = postgres ] && SECTIONS+=",storm"
fi
want() { [[ ",$SECTIONS," == *",$1,"* ]]; }
if want storm && [ "$DB_KIND" != postgres ]; then echo "the storm section needs --db postgres (two nodes on one PostgreSQL)" >&2; exit 2; fi
for v in ${GC_VARIANTS//,/ }; do
  [[ "$v" =~ ^(server|server-nonconcurrent|server-nodatas|server-gen0max|workstation|workstation-nonconcurrent|workstation-gen0)$ ]] \
    || { echo "--gc-variants: unknown variant '$v'" >&2; exit 2; }
done
# The diagnostic GETs only explain the list figure; a third of a run is enough.
DIAG_DURATION=$(( DURATION >= 6 ? DURATION / 3 : 2 ))
[ "$SMOKE" -eq 1 ] && DIAG_DURATION=1
LIST_THREADS=$(( CONNECTIONS >= 2 ? 2 : 1 ))
WRITE_THREADS=$(( WRITERS >= 2 ? 2 : 1 ))
READ_THREADS=$(( READERS >= 2 ? 2 : 1 ))
# Alternating rounds (a drift of the machine's speed weighs on both sides alike): 3 in a full run, 1 in a smoke run.
ROUNDS=$(( SMOKE == 1 || DURATION < 6 ? 1 : 3 ))
ROUND_SECS=$(( DURATION / ROUNDS ))
[ "$ACCOUNTS" -gt 64 ] && { echo "--accounts: at most 64" >&2; exit 2; }

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
# No build server or compiler server may outlive the script (they would hold CI's output pipe open).
export MSBUILDDISABLENODEREUSE=1 DOTNET_CLI_USE_MSBUILD_SERVER=0

# shellcheck source=bench/lib/common.sh
source "$BENCH_DIR/lib/common.sh"
WARNINGS=()
PIDS=()
TMP=""
PG_STARTED=0
cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do stop_group "$pid"; done
  PIDS=()
  [ "$PG_STARTED" -eq 1 ] && pg_stop
  if [ -n "$TMP" ] && [ -d "$TMP" ]; then
    if [ "$KEEP" -eq 1 ]; then echo "bench: kept $TMP" >&2; else rm -rf "$TMP"; fi
  fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ------------------------------------------------------------------ tools
NEED_NODE=0
{ want reads || want memory || want storm; } && NEED_NODE=1
missing=()
command -v wrk >/dev/null 2>&1 || missing+=(wrk)
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || missing+=(nginx)
command -v curl >/dev/null 2>&1 || missing+=(curl)
if [ "$NEED_NODE" -eq 1 ]; then
  command -v node >/dev/null 2>&1 || missing+=(nodejs)
  command -v npm >/dev/null 2>&1 || missing+=(npm)
fi
PG_BIN="${PG_BIN:-/usr/lib/postgresql/15/bin}"
if [ "$DB_KIND" = postgres ] && { [ ! -x "$PG_BIN/initdb" ] || [ ! -x "$PG_BIN/pgbench" ]; }; then missing+=(postgresql); fi
if [ ${#missing[@]} -gt 0 ]; then
  [ "$(id -u)" -eq 0 ] || fail "missing ${missing[*]}: apt-get install -y ${missing[*]} (as root)"
  say "apt-get install ${missing[*]}"
  # Keep the nginx and PostgreSQL packages' postinsts from starting servers (:80, :5432).
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
CORES="$(nproc)"
BUSY_BEFORE="$(cpu_busy_sample)"
LOAD_BEFORE="$(loadavg)"
STARTED_AT="$(date -u '+%Y-%m-%d %H:%M UTC')"
RUN_CLOCK_START="$(date +%s)"
say "machine: $CORES cores, ${BUSY_BEFORE}% busy before the bench started (load avg $LOAD_BEFORE); database $DB_KIND; sections $SECTIONS"

TMP="$(mktemp -d /tmp/switchboard-bench.XXXXXX)" || fail "mktemp failed"
# nginx workers run as nobody and must reach www/; everything else stays in the 0700 private/ dir.
chmod 0755 "$TMP"
mkdir -p "$TMP/www" "$TMP/nginx" "$TMP/private/db" && chmod 0700 "$TMP/private"
PUB="$TMP/publish"
BASE="$TMP/baseline"
DRV="$TMP/driver"
DB="$TMP/private/db/switchboard.db"

# ------------------------------------------------------------------ publish
say "publishing src/Switchboard and what the sections need of bench/InsertBaseline and bench/BenchDriver (Release) into $TMP"
publish_args=(-c Release --artifacts-path "$TMP/artifacts" -nodeReuse:false -p:UseSharedCompilation=false)
start_group "$TMP/publish-switchboard.log" dotnet publish "$REPO/src/Switchboard" "${publish_args[@]}" -o "$PUB"
pub_sb=$STARTED_PID
pub_bl=""
if [ "$DB_KIND" = sqlite ] && want install; then
  start_group "$TMP/publish-baseline.log" dotnet publish "$BENCH_DIR/InsertBaseline" "${publish_args[@]}" -o "$BASE"
  pub_bl=$STARTED_PID
fi
wait_for "$pub_sb" || { tail -n 30 "$TMP/publish-switchboard.log" >&2; fail "dotnet publish src/Switchboard failed"; }
# The driver references the service, whose build in the same artifacts path is then up to date. Only the sections that
# use it (install — its projects on PostgreSQL and, on both databases, the count of checks that ran — reads, memory,
# storm) wait for it.
pub_drv=""
if want install || want reads || want memory || want storm; then
  start_group "$TMP/publish-driver.log" dotnet publish "$BENCH_DIR/BenchDriver" "${publish_args[@]}" -o "$DRV"
  pub_drv=$STARTED_PID
fi
if [ -n "$pub_bl" ]; then wait_for "$pub_bl" || { tail -n 30 "$TMP/publish-baseline.log" >&2; fail "dotnet publish bench/InsertBaseline failed"; }; fi
if [ -n "$pub_drv" ]; then wait_for "$pub_drv" || { tail -n 30 "$TMP/publish-driver.log" >&2; fail "dotnet publish bench/BenchDriver failed"; }; fi
GC_SERVER_SETTING="$(grep -o '"System.GC.Server": *[a-z]*' "$PUB/Switchboard.runtimeconfig.json" 2>/dev/null | awk '{ print $2 }')"
GC_CONCURRENT_SETTING="$(grep -o '"System.GC.Concurrent": *[a-z]*' "$PUB/Switchboard.runtimeconfig.json" 2>/dev/null | awk '{ print $2 }')"

# driver COMMAND ARGS...: runs bench/BenchDriver; its last stdout line (NAME key=value ...) goes to DRIVER_LINE
driver() {
  local out="$TMP/private/driver-$1.out"
  dotnet "$DRV/BenchDriver.dll" "$@" >"$out" 2>"$out.err" </dev/null
  local rc=$?
  DRIVER_LINE="$(tail -n 1 "$out")"
  [ "$rc" -eq 0 ] || { cat "$out.err" >&2; return "$rc"; }
}
dfield() { echo "$1" | tr ' ' '\n' | sed -n "s/^$2=//p" | head -n 1; }

# ------------------------------------------------------------------ PostgreSQL
PG_URL_BASE=""
if [ "$DB_KIND" = postgres ]; then
  # shellcheck source=scripts/lib/pg.sh
  source "$REPO/scripts/lib/pg.sh"
  # The server's defaults, durability included (fsync on, synchronous_commit on, full_page_writes on): the baseline and
  # the service pay the same commit cost. Only max_connections is raised (two service nodes' pools plus pgbench).
  PG_SERVER_SETTINGS=""
  PG_PORT_BASE="$(pick_port)" || fail "no free port"
  say "starting a throwaway PostgreSQL 15 cluster with the server's default settings"
  TMPDIR="$TMP" pg_start || fail "could not start PostgreSQL"
  PG_STARTED=1
  pg_psql() { "$PG_BIN/psql" -X -q -At -h "$PG_SOCKDIR" -p "$PG_PORT" -U postgres -v ON_ERROR_STOP=1 "$@"; }
  pg_createdb() { pg_psql -d postgres -c "CREATE DATABASE \"$1\" OWNER \"$PG_TEST_USER\""; }
  PG_URL_BASE="Host=127.0.0.1;Port=$PG_PORT;Username=$PG_TEST_USER;Password=$PG_TEST_PASSWORD"
  PG_VERSION="$("$PG_BIN/postgres" --version | awk '{ print $3 }')"
  PG_SETTINGS="$(pg_psql -d postgres -c "SELECT string_agg(name || '=' || setting, ' ' ORDER BY name) FROM pg_settings WHERE name IN ('fsync','synchronous_commit','full_page_writes','wal_sync_method','shared_buffers','max_connections','wal_level','commit_delay')")"
  PG_FS="$(df -T "$PG_DATA" | awk 'NR == 2 { print $2 }')"
  DB_PGID="$(head -n 1 "$PG_DATA/postmaster.pid" 2>/dev/null)"
  pg_createdb bench || fail "CREATE DATABASE bench failed"
fi
# db_conn NAME: the connection string of a bench database (a SQLite file in the temp dir, or a PostgreSQL database)
db_conn() {
  if [ "$DB_KIND" = postgres ]; then echo "$PG_URL_BASE;Database=$1"; else echo "Data Source=$TMP/private/db/$1.db"; fi
}
db_create() { [ "$DB_KIND" = postgres ] && pg_createdb "$1" >/dev/null; true; }
if [ "$DB_KIND" = postgres ]; then MAIN_CONN="$(db_conn bench)"; else MAIN_CONN="Data Source=$DB"; fi

# ------------------------------------------------------------------ ports
SB_PORT="$(pick_port)" || fail "no free port"
NGINX_PORT="$(pick_port)" || fail "no free port"
DEAD_PORT="$(pick_port)" || fail "no free port"
IDP_PORT="$(pick_port)" || fail "no free port"
MEM_BIG_PORT="$(pick_port)" || fail "no free port"
MEM_SMALL_PORT="$(pick_port)" || fail "no free port"
STORM_A_PORT="$(pick_port)" || fail "no free port"
STORM_B_PORT="$(pick_port)" || fail "no free port"
SB_URL="http://127.0.0.1:$SB_PORT"
NGINX_URL="http://127.0.0.1:$NGINX_PORT"
IDP_URL="http://127.0.0.1:$IDP_PORT"

# ------------------------------------------------------------------ the loopback OAuth server (oidc-provider)
if [ "$NEED_NODE" -eq 1 ]; then
  mkdir -p "$TMP/oauth-server"
  cp "$BENCH_DIR/oauth-server/server.js" "$BENCH_DIR/oauth-server/package.json" "$BENCH_DIR/oauth-server/package-lock.json" "$TMP/oauth-server/"
  # The same locked packages as the tests' server: its node_modules when present, else npm ci into the temp dir.
  if [ -d "$REPO/tests/oauth-server/node_modules/oidc-provider" ] \
     && cmp -s <(grep -v '"name"' "$REPO/tests/oauth-server/package-lock.json") <(grep -v '"name"' "$BENCH_DIR/oauth-server/package-lock.json"); then
    ln -s "$REPO/tests/oauth-server/node_modules" "$TMP/oauth-server/node_modules"
  else
    say "npm ci for the bench's oidc-provider (into $TMP)"
    (cd "$TMP/oauth-server" && npm ci --no-audit --no-fund --loglevel=error </dev/null >"$TMP/npm.log" 2>&1) \
      || { tail -n 20 "$TMP/npm.log" >&2; fail "npm ci for bench/oauth-server failed"; }
  fi
  callbacks=""
  for p in "$SB_PORT" "$MEM_BIG_PORT" "$MEM_SMALL_PORT" "$STORM_A_PORT" "$STORM_B_PORT"; do
    callbacks+="http://127.0.0.1:$p/api/v1/oauth/callback,"
  done
  start_group "$TMP/private/oauth-server.log" env PORT="$IDP_PORT" REDIRECT_URIS="$callbacks" node "$TMP/oauth-server/server.js"
  IDP_PID=$STARTED_PID
  for _ in $(seq 1 80); do grep -q READY "$TMP/private/oauth-server.log" && break; sleep 0.25; done
  grep -q READY "$TMP/private/oauth-server.log" || { cat "$TMP/private/oauth-server.log" >&2; fail "the bench's oidc-provider did not start"; }
fi

# ------------------------------------------------------------------ Switchboard nodes
MASTER_KEY="$(head -c 32 /dev/urandom | base64)"
# Switched off, and why:
# - the per-key rate limit (Switchboard:RateLimit, 50 req/s per key by default): the bench measures capacity,
#   a limit would turn it into a count of 429s;
# - credential health checks (Switchboard:Health:Enabled=false: periodic and install-time): they call the provider's
#   real API (api.stripe.com here) with the installed secrets. A bench sends traffic to this machine only. The report
#   says which checks ran (none should).
# Opened: Switchboard:Outbound:AllowedNetworks=127.0.0.0/8, so the guarded outbound client reaches the loopback
# oidc-provider (code exchange, refresh, client credentials) and the invoke section's nginx; nothing else in the bench
# goes out. Switchboard:Health:AllowBaseUrlOverride=true (off by default in Production): the invoke section installs
# stripe with base_url_override pointing at nginx, which the tool calls and the proxy then use.
# Belt and braces: HTTP clients that honour proxy variables go through a proxy address on loopback where nothing
# listens, so they fail at once instead of leaving the machine. (The guarded outbound client uses no proxy by design.)
sb_env=(env ASPNETCORE_ENVIRONMENT=Production Logging__LogLevel__Default=Warning
  "Switchboard__Crypto__Keys=k1:$MASTER_KEY" Switchboard__Bootstrap=true Switchboard__RateLimit__Enabled=false
  Switchboard__Health__Enabled=false Switchboard__Health__CheckOnInstall=false
  Switchboard__Outbound__AllowedNetworks=127.0.0.0/8 Switchboard__Health__AllowBaseUrlOverride=true
  "HTTP_PROXY=http://127.0.0.1:$DEAD_PORT" "HTTPS_PROXY=http://127.0.0.1:$DEAD_PORT" "ALL_PROXY=http://127.0.0.1:$DEAD_PORT"
  "http_proxy=http://127.0.0.1:$DEAD_PORT" "https_proxy=http://127.0.0.1:$DEAD_PORT" "all_proxy=http://127.0.0.1:$DEAD_PORT"
  NO_PROXY= no_proxy=)
db_env() { echo "Switchboard__Database__Provider=$DB_KIND"; echo "Switchboard__Database__ConnectionString=$1"; }
# start_node NAME PORT CONNSTRING [ENV=VALUE...]: a published Switchboard on 127.0.0.1:PORT; sets NODE_PID (its process
# group) and NODE_KEY (the API key a first start prints). The content root is the publish dir, as in a deployment.
start_node() {
  local name="$1" port="$2" conn="$3"; shift 3
  local dbenv=()
  mapfile -t dbenv < <(db_env "$conn")
  (cd "$PUB" && exec setsid "${sb_env[@]}" "${dbenv[@]}" "Switchboard__PublicBaseUrl=http://127.0.0.1:$port" "$@" \
    dotnet "$PUB/Switchboard.dll" --urls "http://127.0.0.1:$port") >"$TMP/private/$name.log" 2>&1 </dev/null &
  NODE_PID=$!
  PIDS+=("$NODE_PID")
  for _ in $(seq 1 240); do
    curl -sf -o /dev/null "http://127.0.0.1:$port/healthz" && break
    kill -0 "$NODE_PID" 2>/dev/null || { tail -n 30 "$TMP/private/$name.log" >&2; return 1; }
    sleep 0.25
  done
  curl -sf -o /dev/null "http://127.0.0.1:$port/healthz" || { tail -n 30 "$TMP/private/$name.log" >&2; return 1; }
  # The bootstrap prints the key once; its "try: curl" line repeats only a shortened prefix.
  NODE_KEY=""
  for _ in $(seq 1 20); do
    NODE_KEY="$(grep -o 'sk_live_[A-Za-z0-9_]*' "$TMP/private/$name.log" | awk 'length($0) >= 40' | head -n 1)"
    [ -n "$NODE_KEY" ] && break
    grep -q 'listening on' "$TMP/private/$name.log" && break
    sleep 0.1
  done
  return 0
}

say "starting Switchboard on $SB_URL ($DB_KIND)"
start_node switchboard "$SB_PORT" "$MAIN_CONN" || fail "Switchboard did not start"
SB_PID=$NODE_PID
CPU_PGID="$SB_PID"
API_KEY="$NODE_KEY"
[ -n "$API_KEY" ] || fail "no API key (sk_live_…) in Switchboard's first-start output"
export BENCH_TOKEN="$API_KEY"
: >"$TMP/private/keys.txt"
chmod 0600 "$TMP/private/keys.txt"
echo "$API_KEY" >>"$TMP/private/keys.txt"

# ------------------------------------------------------------------ sections
for section in list install reads invoke memory storm; do
  # shellcheck source=/dev/null
  source "$BENCH_DIR/lib/$section.sh"
done
# timed NAME FUNCTION: runs a section and notes how long it took
SECTION_TIMES=()
timed() { local t0; t0="$(date +%s)"; "$2"; SECTION_TIMES+=("$1 $(( $(date +%s) - t0 ))s"); }
SECTION_TIMES+=("setup (publish, servers) $(( $(date +%s) - RUN_CLOCK_START ))s")
want list && timed list section_list
if want install; then
  if [ "$DB_KIND" = postgres ]; then timed install section_install_postgres; else timed install section_install_sqlite; fi
fi
want reads && timed reads section_reads
want invoke && timed invoke section_invoke
section_checks
say "stopping Switchboard"
stop_group "$SB_PID"
log_errors "$TMP/private/switchboard.log" >"$TMP/server-errors.txt" || true
want memory && timed memory section_memory
want storm && timed storm section_storm

# ------------------------------------------------------------------ report
RUN_SECONDS=$(( $(date +%s) - RUN_CLOCK_START ))
BUSY_AFTER="$(cpu_busy_sample)"
FS_TYPE="$(df -T "$TMP" | awk 'NR == 2 { print $2 }')"
report() {
  echo
  echo "Switchboard bench — $STARTED_AT — database $DB_KIND — $( [ "$SMOKE" -eq 1 ] && echo "SMOKE (${DURATION}s runs)" || echo "${DURATION}s runs after warm-ups that last until the rate settles") — ${RUN_SECONDS}s in all"
  echo "machine: $CORES cores shared by wrk, the server and everything else; ${BUSY_BEFORE}% busy before the bench, ${BUSY_AFTER}% right after it (load avg $LOAD_BEFORE at start); temp dir on $FS_TYPE"
  [ "${BUSY_BEFORE:-0}" -ge 20 ] && echo "WARNING: the machine was already ${BUSY_BEFORE}% busy: other work shares the cores, figures are distorted"
  if [ "$DB_KIND" = postgres ]; then
    echo "PostgreSQL $PG_VERSION, throwaway cluster on $PG_FS, server defaults: $PG_SETTINGS"
  fi
  echo "time per section: ${SECTION_TIMES[*]}"
  echo "service: published Release, ASPNETCORE_ENVIRONMENT=Production, logging at Warning, GC as published (System.GC.Server ${GC_SERVER_SETTING:-unset}, Concurrent ${GC_CONCURRENT_SETTING:-default})"
  want list && report_list
  if want install; then
    if [ "$DB_KIND" = postgres ]; then report_install_postgres; else report_install_sqlite; fi
  fi
  want reads && report_reads
  want invoke && report_invoke
  report_checks
  if [ -s "$TMP/server-errors.txt" ]; then
    echo "   server log errors (main node):"; sed 's/^/     /' "$TMP/server-errors.txt"
  fi
  want memory && report_memory
  want storm && report_storm
  if [ ${#WARNINGS[@]} -gt 0 ]; then
    echo
    echo "warnings:"; printf '  %s\n' "${WARNINGS[@]}"
  fi
  echo
  printf '  %-58s %10s %8s %9s\n' "target" "value" "target" "verdict"
  local t name value goal kind v summary="" inv_r="" inv_o="" prx_r="" prx_o=""
  for t in "${TARGETS[@]}"; do
    IFS='|' read -r name value goal kind <<<"$t"
    case "$kind" in
      max) v="$(verdict_max "$value" "$goal")"; goal="<= $goal" ;;
      below) v="$(verdict_below "$value" "$goal")"; goal="< $goal" ;;
      *) v="$(verdict "$value" "$goal")"; goal=">= $goal" ;;
    esac
    printf '  %-58s %10s %8s %9s\n' "$name" "$value" "$goal" "$v"
  done
  for t in "${TARGETS[@]}"; do
    IFS='|' read -r name value goal kind <<<"$t"
    case "$name" in
      "list ratio"*) summary+="list ratio $value (target 0.5), " ;;
      "install ratio"*) summary+="install ratio $value (target $goal), " ;;
      "invoke ratio"*) inv_r="$value" ;;
      "invoke p50 overhead"*) inv_o="$value" ;;
      "proxy ratio"*) prx_r="$value" ;;
      "proxy p50 overhead"*) prx_o="$value" ;;
    esac
  done
  [ -n "$inv_r" ] && summary+="invoke ratio $inv_r / p50 $(signed "$inv_o") ms, proxy ratio $prx_r / p50 $(signed "$prx_o") ms (targets 0.5, < 1 ms), "
  echo "bench: ${summary%, }"
}

OUT_DIR="$BENCH_DIR/out"
REPORT_FILE="$OUT_DIR/report-$(date -u +%Y%m%d-%H%M%S)-$DB_KIND$( [ "$SMOKE" -eq 1 ] && echo -smoke).txt"
if mkdir -p "$OUT_DIR" && : >"$REPORT_FILE"; then say "report also saved to ${REPORT_FILE#"$REPO"/}"
else say "could not write $REPORT_FILE; the report is only printed"; REPORT_FILE=/dev/null; fi
report | tee "$REPORT_FILE"

if [ "$STRICT" -eq 1 ]; then
  for t in "${TARGETS[@]}"; do
    IFS='|' read -r name value goal kind <<<"$t"
    case "$kind" in
      max) [ "$(verdict_max "$value" "$goal")" = met ] || exit 3 ;;
      below) [ "$(verdict_below "$value" "$goal")" = met ] || exit 3 ;;
      *) [ "$(verdict "$value" "$goal")" = met ] || exit 3 ;;
    esac
  done
fi
exit 0
