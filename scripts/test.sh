#!/usr/bin/env bash
# Switchboard test command.
#
#   scripts/test.sh [--only sqlite|postgres] [-- <extra dotnet test args, e.g. --filter Foo>]
#   scripts/test.sh --trx-summary FILE...     # only print the summary of existing TRX files
#
# Does everything on a fresh Debian 12 machine (as root): installs missing
# apt packages (postgresql, chromium, nodejs/npm), restores dotnet tools (dotnet-ef, Kiota) and the npm packages of
# the OAuth, MCP, webhook and contract test parts, builds Release once, starts a throwaway
# PostgreSQL 15 cluster and runs the test suite twice: against SQLite and
# against PostgreSQL. Before the suite it runs the README walkthrough
# (scripts/readme-walkthrough.sh), counted as one test. The last line printed is "N passed, N failed, N skipped"
# summed over both runs (plus 1 failed per failed pre-check or crashed run).
#
# Environment:
#   SWITCHBOARD_TEST_ONLY=sqlite|postgres   run one backend only (same as --only)
#   SWITCHBOARD_TEST_RESULTS=DIR            TRX output dir (default TestResults/, git-ignored)
#   SWITCHBOARD_TEST_RUN_TIMEOUT=SECONDS    wall-clock limit per dotnet test run (default 900)
#   SWITCHBOARD_TEST_HANG_TIMEOUT=5m        per-test hang timeout (VSTest blame); 0 disables
#   SWITCHBOARD_SKIP_WALKTHROUGH=1          skip the README walkthrough (also skipped when args follow --)
# Exported to the tests:
#   SWITCHBOARD_TEST_DB=sqlite|postgres
#   SWITCHBOARD_TEST_PG=Host=127.0.0.1;Port=N;Username=switchboard;Password=switchboard  (postgres run)
#   SWITCHBOARD_TEST_CHROMIUM=/usr/bin/chromium

set -uo pipefail

ORIG_PWD="$PWD"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT" || exit 1

# shellcheck source=scripts/lib/pg.sh
source "$ROOT/scripts/lib/pg.sh"

SOLUTION="Switchboard.slnx"
APP_PROJECT="src/Switchboard"
TEST_PROJECT="tests/Switchboard.Tests/Switchboard.Tests.csproj"
OAUTH_DIR="tests/oauth-server"
CONTRACT_DIR="tests/contract"
# npm packages of real parts the tests run: the OAuth server (oidc-provider), the MCP client/server (official SDK,
# server-everything), the webhook receiver (standardwebhooks verifier) and the contract tools (redocly, prism,
# openapi-typescript, tsc).
NPM_DIRS=("$OAUTH_DIR" "tests/mcp-clients" "tests/webhook-receiver" "$CONTRACT_DIR")
CHROMIUM="${SWITCHBOARD_TEST_CHROMIUM:-/usr/bin/chromium}"
RESULTS="${SWITCHBOARD_TEST_RESULTS:-$ROOT/TestResults}"
RUN_TIMEOUT="${SWITCHBOARD_TEST_RUN_TIMEOUT:-900}"
HANG_TIMEOUT="${SWITCHBOARD_TEST_HANG_TIMEOUT:-5m}"
ONLY="${SWITCHBOARD_TEST_ONLY:-}"
EXTRA_TEST_ARGS=()

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
export DEBIAN_FRONTEND=noninteractive
# Build servers that outlive the script keep CI's output pipe open; don't leave any behind.
export MSBUILDDISABLENODEREUSE=1 DOTNET_CLI_USE_MSBUILD_SERVER=0

TOTAL_PASSED=0
TOTAL_FAILED=0
TOTAL_SKIPPED=0
SUMMARY_LINES=()

say() { printf '==> %s\n' "$*"; }
warn() { printf 'WARNING: %s\n' "$*" >&2; }

print_summary() {
    local line
    echo
    echo "==================== Switchboard test summary ===================="
    for line in "${SUMMARY_LINES[@]}"; do
        echo "$line"
    done
    echo "${TOTAL_PASSED} passed, ${TOTAL_FAILED} failed, ${TOTAL_SKIPPED} skipped"
}

# A step before the test runs failed hard: report it as one failure and stop.
die() {
    printf 'ERROR: %s\n' "$*" >&2
    pg_stop
    SUMMARY_LINES+=("setup: FAILED ($*)")
    TOTAL_FAILED=$((TOTAL_FAILED + 1))
    print_summary
    exit 1
}

# ---------------------------------------------------------------- TRX parsing

# trx_counts FILE -> prints "total passed failed skipped" from the <Counters .../> element.
trx_counts() {
    local file="$1" counters
    [ -s "$file" ] || return 1
    counters="$(tr -d '\r' <"$file" | tr '\n' ' ' | grep -o '<Counters [^>]*>' | head -n 1)"
    [ -n "$counters" ] || return 1
    _attr() {
        local v
        v="$(printf '%s\n' "$counters" | sed -n "s/.*[[:space:]]$1=\"\([0-9][0-9]*\)\".*/\1/p")"
        echo "${v:-0}"
    }
    local total executed passed failed error timeout aborted not_executed not_runnable skipped
    total="$(_attr total)"
    executed="$(_attr executed)"
    passed="$(_attr passed)"
    failed="$(_attr failed)"
    error="$(_attr error)"
    timeout="$(_attr timeout)"
    aborted="$(_attr aborted)"
    not_executed="$(_attr notExecuted)"
    not_runnable="$(_attr notRunnable)"
    failed=$((failed + error + timeout + aborted))
    skipped=$((not_executed + not_runnable))
    if [ $((total - executed)) -gt "$skipped" ]; then
        skipped=$((total - executed))
    fi
    echo "$total $passed $failed $skipped"
}

# trx_failures FILE -> one line per failed test: its name and the first line of its message (perl is in every
# Debian base system). Printed in the summary so that the tail of a CI log names what failed.
trx_failures() {
    [ -s "$1" ] || return 0
    perl -0777 -ne '
        while (/<UnitTestResult\b([^>]*?)(?:\/>|>(.*?)<\/UnitTestResult>)/gs) {
            my ($attrs, $body) = ($1, $2 // "");
            next unless $attrs =~ /outcome="(Failed|Error|Timeout|Aborted)"/;
            my ($name) = $attrs =~ /testName="([^"]*)"/;
            my ($msg) = $body =~ /<Message>(.*?)<\/Message>/s;
            $msg = defined $msg ? (split /\n/, $msg)[0] : "";
            for ($name, $msg) { s/&quot;/"/g; s/&apos;/\x27/g; s/&lt;/</g; s/&gt;/>/g; s/&amp;/&/g; }
            $msg = substr($msg, 0, 300);
            print "  FAILED $name: $msg\n";
        }' "$1"
}

# record_run NAME TRX_FILE EXIT_CODE -> adds a per-run line and updates totals.
record_run() {
    local name="$1" trx="$2" rc="$3" counts total passed failed skipped note=""
    if counts="$(trx_counts "$trx")"; then
        read -r total passed failed skipped <<<"$counts"
        if [ "$total" -eq 0 ]; then
            failed=$((failed + 1))
            note=" (no tests ran; counted as 1 failed)"
        elif [ "$rc" -ne 0 ] && [ "$failed" -eq 0 ]; then
            failed=1
            note=" (dotnet test exited $rc without a failed test: run aborted/timed out; counted as 1 failed)"
        fi
    else
        passed=0 failed=1 skipped=0
        if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
            note=" (timed out after ${RUN_TIMEOUT}s, no TRX results; counted as 1 failed)"
        else
            note=" (no TRX results in $trx, dotnet test exit code $rc: run crashed; counted as 1 failed)"
        fi
    fi
    TOTAL_PASSED=$((TOTAL_PASSED + passed))
    TOTAL_FAILED=$((TOTAL_FAILED + failed))
    TOTAL_SKIPPED=$((TOTAL_SKIPPED + skipped))
    SUMMARY_LINES+=("${name}: ${passed} passed, ${failed} failed, ${skipped} skipped${note}")
    if [ "$failed" -gt 0 ]; then
        local line
        while IFS= read -r line; do SUMMARY_LINES+=("$line"); done < <(trx_failures "$trx")
    fi
}

# ---------------------------------------------------------------- arguments

TRX_SUMMARY_MODE=0
TRX_FILES=()
while [ $# -gt 0 ]; do
    case "$1" in
        --only) [ $# -ge 2 ] || { echo "--only needs sqlite|postgres" >&2; exit 2; }; ONLY="$2"; shift 2 ;;
        --only=*) ONLY="${1#--only=}"; shift ;;
        --sqlite) ONLY=sqlite; shift ;;
        --postgres) ONLY=postgres; shift ;;
        --trx-summary) TRX_SUMMARY_MODE=1; shift; TRX_FILES=("$@"); break ;;
        --) shift; EXTRA_TEST_ARGS=("$@"); break ;;
        -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "${BASH_SOURCE[0]}"; exit 0 ;;
        *) echo "unknown argument: $1 (see --help)" >&2; exit 2 ;;
    esac
done

if [ "$TRX_SUMMARY_MODE" -eq 1 ]; then
    for f in "${TRX_FILES[@]}"; do
        case "$f" in /*) ;; *) f="$ORIG_PWD/$f" ;; esac
        n="$(basename "$f")"
        record_run "${n%.trx}" "$f" 0
    done
    print_summary
    [ "$TOTAL_FAILED" -eq 0 ]
    exit $?
fi

case "$ONLY" in
    ""|all) RUNS=(sqlite postgres) ;;
    sqlite|postgres) RUNS=("$ONLY") ;;
    *) echo "SWITCHBOARD_TEST_ONLY/--only must be sqlite or postgres, got '$ONLY'" >&2; exit 2 ;;
esac
NEED_PG=0
for r in "${RUNS[@]}"; do [ "$r" = postgres ] && NEED_PG=1; done

trap 'pg_stop' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---------------------------------------------------------------- system packages

missing=()
if [ "$NEED_PG" -eq 1 ] && [ ! -x "$PG_BIN/initdb" ]; then missing+=(postgresql); fi
if [ ! -x "$CHROMIUM" ]; then missing+=(chromium); fi
if ! command -v node >/dev/null 2>&1; then missing+=(nodejs); fi
if ! command -v npm >/dev/null 2>&1; then missing+=(npm); fi
# The README walkthrough (scripts/readme-walkthrough.sh) runs the README's curl and jq lines.
if ! command -v curl >/dev/null 2>&1; then missing+=(curl); fi
if ! command -v jq >/dev/null 2>&1; then missing+=(jq); fi
if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" -ne 0 ]; then
        die "missing system packages: ${missing[*]} — install them (sudo apt-get install -y --no-install-recommends ${missing[*]}) or run as root"
    fi
    say "installing apt packages: ${missing[*]}"
    apt_log="$(mktemp)"
    # Keep package postinsts from starting services (the packaged PostgreSQL cluster on 5432).
    policy_created=0
    if [ ! -e /usr/sbin/policy-rc.d ]; then
        printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d && policy_created=1
    fi
    apt_ok=1
    apt-get update -q >"$apt_log" 2>&1 || apt_ok=0
    if [ "$apt_ok" -eq 1 ]; then
        apt-get install -y -q --no-install-recommends "${missing[@]}" </dev/null >>"$apt_log" 2>&1 || apt_ok=0
    fi
    [ "$policy_created" -eq 1 ] && rm -f /usr/sbin/policy-rc.d
    if [ "$apt_ok" -ne 1 ]; then
        tail -n 40 "$apt_log" >&2
        rm -f "$apt_log"
        die "apt-get install ${missing[*]} failed"
    fi
    rm -f "$apt_log"
fi
command -v dotnet >/dev/null 2>&1 || die "dotnet SDK not found on PATH (.NET 10 SDK required)"
export SWITCHBOARD_TEST_CHROMIUM="$CHROMIUM"

# ---------------------------------------------------------------- dotnet tools, npm

if [ ! -f .config/dotnet-tools.json ]; then
    say "creating .config/dotnet-tools.json"
    mkdir -p .config
    cat >.config/dotnet-tools.json <<'JSON'
{
  "version": 1,
  "isRoot": true,
  "tools": {
    "dotnet-ef": {
      "version": "10.0.15",
      "commands": [
        "dotnet-ef"
      ],
      "rollForward": false
    }
  }
}
JSON
fi
say "dotnet tool restore"
dotnet tool restore || die "dotnet tool restore failed"

for NPM_DIR in "${NPM_DIRS[@]}"; do
    [ -f "$NPM_DIR/package.json" ] || continue
    say "npm packages for $NPM_DIR"
    if [ -f "$NPM_DIR/package-lock.json" ]; then
        (cd "$NPM_DIR" && npm ci --no-audit --no-fund </dev/null) || die "npm ci in $NPM_DIR failed"
    else
        (cd "$NPM_DIR" && npm install --no-audit --no-fund </dev/null) || die "npm install in $NPM_DIR failed"
    fi
done

# ---------------------------------------------------------------- build

say "dotnet build $SOLUTION -c Release"
dotnet build "$SOLUTION" -c Release -nodeReuse:false </dev/null || die "build failed"

# ---------------------------------------------------------------- README walkthrough

# The README's walkthrough, run top to bottom against a fresh service started the README's way; counted as one test.
# Skipped when arguments are passed to dotnet test (a filtered run) or with SWITCHBOARD_SKIP_WALKTHROUGH=1.
if [ "${SWITCHBOARD_SKIP_WALKTHROUGH:-0}" != 1 ] && [ ${#EXTRA_TEST_ARGS[@]} -eq 0 ]; then
    say "README walkthrough (scripts/readme-walkthrough.sh)"
    if timeout -k 10 300 bash scripts/readme-walkthrough.sh --configuration Release </dev/null; then
        SUMMARY_LINES+=("readme-walkthrough: 1 passed")
        TOTAL_PASSED=$((TOTAL_PASSED + 1))
    else
        SUMMARY_LINES+=("readme-walkthrough: FAILED (a README call answered what the README does not say; see above); counted as 1 failed")
        TOTAL_FAILED=$((TOTAL_FAILED + 1))
    fi
fi

# ---------------------------------------------------------------- test runs

mkdir -p "$RESULTS"

run_suite() {
    local name="$1" rc
    local args=(test "$TEST_PROJECT" -c Release --no-build --nologo
        --logger "trx;LogFileName=${name}.trx" --results-directory "$RESULTS")
    if [ "$HANG_TIMEOUT" != 0 ]; then
        args+=(--blame-hang-timeout "$HANG_TIMEOUT" --blame-hang-dump-type none)
    fi
    args+=("${EXTRA_TEST_ARGS[@]}")
    rm -f "$RESULTS/${name}.trx"
    say "dotnet test ($name)"
    timeout -k 30 "$RUN_TIMEOUT" dotnet "${args[@]}" </dev/null
    rc=$?
    if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
        warn "$name run exceeded ${RUN_TIMEOUT}s and was killed"
    fi
    record_run "$name" "$RESULTS/${name}.trx" "$rc"
}

for run in "${RUNS[@]}"; do
    case "$run" in
        sqlite)
            export SWITCHBOARD_TEST_DB=sqlite
            run_suite sqlite
            ;;
        postgres)
            say "starting throwaway PostgreSQL"
            if pg_start; then
                export SWITCHBOARD_TEST_DB=postgres SWITCHBOARD_TEST_PG="$PG_CONN"
                run_suite postgres
                pg_stop
            else
                SUMMARY_LINES+=("postgres: 0 passed, 1 failed, 0 skipped (could not start PostgreSQL)")
                TOTAL_FAILED=$((TOTAL_FAILED + 1))
            fi
            ;;
    esac
done

if [ "${CI:-}" = true ] || [ "${CI:-}" = 1 ]; then
    dotnet build-server shutdown >/dev/null 2>&1 </dev/null || true
fi

print_summary
[ "$TOTAL_FAILED" -eq 0 ]
