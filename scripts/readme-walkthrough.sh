#!/usr/bin/env bash
# Runs the README's walkthrough top to bottom against a fresh service, as a newcomer would.
#
#   scripts/readme-walkthrough.sh [--configuration Release|Debug] [--keep]
#
# 1. starts the service the README's way (`dotnet run --project src/Switchboard`, without building: run after a
#    build of that configuration) in an empty temporary directory, on a free port (`-- --urls http://127.0.0.1:0`);
# 2. reads the key, project and address from the first-start banner;
# 3. extracts every ```bash block of README.md that follows a `<!-- walkthrough -->` line, in order, and runs them
#    in one bash, with KEY and PRJ set from the banner (lines like `KEY=sk_live_...` are placeholders and skipped)
#    and http://127.0.0.1:5080 replaced by the real address;
# 4. checks every curl call: it must answer 2xx, unless its comment says which status to expect (`# → 409 …`).
# Exit code 0 when every call answered as the README says; the last line is `walkthrough: N calls, N failed`.
# Credential health checks are off (they would call api.stripe.com; this machine has no route out).

set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CONFIGURATION=Release
KEEP=0
while [ $# -gt 0 ]; do
    case "$1" in
        --configuration|-c) CONFIGURATION="$2"; shift 2 ;;
        --keep) KEEP=1; shift ;;
        -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "${BASH_SOURCE[0]}"; exit 0 ;;
        *) echo "unknown argument: $1" >&2; exit 2 ;;
    esac
done

WORK="$(mktemp -d "${TMPDIR:-/tmp}/switchboard-walkthrough.XXXXXX")"
SERVICE_PID=""
cleanup() {
    if [ -n "$SERVICE_PID" ] && kill -0 "$SERVICE_PID" 2>/dev/null; then
        # The service runs in its own process group (setsid): dotnet run and the app it started stop together.
        kill -TERM -- "-$SERVICE_PID" 2>/dev/null
        for _ in $(seq 1 40); do kill -0 "$SERVICE_PID" 2>/dev/null || break; sleep 0.25; done
        kill -KILL -- "-$SERVICE_PID" 2>/dev/null
    fi
    if [ "$KEEP" -eq 1 ]; then echo "kept $WORK" >&2; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

say() { printf '[walkthrough] %s\n' "$*" >&2; }

# ------------------------------------------------------------------ the service, the README's way
say "dotnet run --no-build -c $CONFIGURATION --project src/Switchboard -- --urls http://127.0.0.1:0 (in $WORK)"
(
    cd "$WORK" || exit 1
    exec setsid env Switchboard__Health__CheckOnInstall=false Switchboard__Health__Enabled=false \
        dotnet run --no-build -c "$CONFIGURATION" --project "$ROOT/src/Switchboard" -- --urls http://127.0.0.1:0
) >"$WORK/service.log" 2>&1 </dev/null &
SERVICE_PID=$!

for _ in $(seq 1 240); do
    grep -q 'try: curl' "$WORK/service.log" 2>/dev/null && break
    kill -0 "$SERVICE_PID" 2>/dev/null || break
    sleep 0.5
done
if ! grep -q 'try: curl' "$WORK/service.log"; then
    say "no banner from the service; its output:"
    tail -n 40 "$WORK/service.log" >&2
    echo "walkthrough: 0 calls, 1 failed"
    exit 1
fi
ADDRESS="$(sed -n 's/^ *listening on \(http:[^ ,]*\).*/\1/p' "$WORK/service.log" | head -n 1)"
KEY="$(sed -n 's/^ *\(sk_live_[A-Za-z0-9_]*\) *$/\1/p' "$WORK/service.log" | head -n 1)"
PRJ="$(grep -o 'project prj_[a-z0-9]*' "$WORK/service.log" | head -n 1 | cut -d' ' -f2)"
if [ -z "$ADDRESS" ] || [ -z "$KEY" ] || [ -z "$PRJ" ]; then
    say "banner without address, key or project:"; cat "$WORK/service.log" >&2
    echo "walkthrough: 0 calls, 1 failed"
    exit 1
fi
say "service at $ADDRESS, project $PRJ"

# ------------------------------------------------------------------ the README's blocks, as one script
SCRIPT="$WORK/walkthrough.sh"
FAILS="$WORK/failures"
CALLS="$WORK/calls"
: >"$FAILS"
: >"$CALLS"
{
    cat <<'PRELUDE'
# Generated from README.md by scripts/readme-walkthrough.sh.
curl() {
    local body code expect="${WALK_EXPECT:-2xx}" shown
    body="$(mktemp)"
    code="$(command curl -o "$body" -w '%{http_code}' --max-time 30 "$@")" || code="000"
    cat "$body"; echo
    rm -f "$body"
    shown="curl ${*//$KEY/\$KEY}"
    echo "$code $shown" >>"$WALK_CALLS"
    if { [ "$expect" = 2xx ] && [[ "$code" != 2?? ]]; } || { [ "$expect" != 2xx ] && [ "$code" != "$expect" ]; }; then
        echo "FAILED: HTTP $code, expected $expect: $shown" >&2
        echo "HTTP $code, expected $expect: $shown" >>"$WALK_FAILS"
    else
        echo "ok: HTTP $code: $shown" >&2
    fi
}
trap 'echo "FAILED: command: $BASH_COMMAND" >&2; echo "command failed: $BASH_COMMAND" >>"$WALK_FAILS"' ERR
PRELUDE
    # Blocks after a <!-- walkthrough --> line; continuation lines joined, so a comment on the last line of a command
    # (# → 409 …) applies to the whole command.
    awk -v address="$ADDRESS" '
        /^<!-- walkthrough -->$/ { armed = 1; next }
        armed && /^```bash$/ { inblock = 1; armed = 0; print "# ---- block " (++n); next }
        inblock && /^```$/ { inblock = 0; if (pending != "") emit(pending); pending = ""; next }
        inblock {
            line = $0
            gsub(/http:\/\/127\.0\.0\.1:5080/, address, line)
            if (pending != "") { pending = pending "\n" line } else { pending = line }
            if (line ~ /\\$/) next
            emit(pending); pending = ""
            next
        }
        function emit(cmd,   expect, m) {
            # KEY=sk_live_...  PRJ=prj_...  : placeholders the runner fills in.
            if (cmd ~ /^[A-Z_]+=[^ ]*\.\.\.( |$)/) { print "# (placeholder) " cmd; return }
            expect = ""
            if (match(cmd, /# *→ *[1-5][0-9][0-9]/)) { m = substr(cmd, RSTART, RLENGTH); gsub(/[^0-9]/, "", m); expect = m }
            if (expect != "" && cmd ~ /^curl /) print "WALK_EXPECT=" expect " " cmd
            else print cmd
        }
    ' "$ROOT/README.md"
} >"$SCRIPT"

blocks="$(grep -c '^# ---- block' "$SCRIPT")"
if [ "$blocks" -eq 0 ]; then
    say "README.md has no <!-- walkthrough --> blocks"
    echo "walkthrough: 0 calls, 1 failed"
    exit 1
fi
say "running $blocks README blocks ($SCRIPT)"
(cd "$WORK" && KEY="$KEY" PRJ="$PRJ" WALK_FAILS="$FAILS" WALK_CALLS="$CALLS" bash -E "$SCRIPT" >"$WORK/walkthrough.out")

calls="$(wc -l <"$CALLS" | tr -d ' ')"
failed="$(wc -l <"$FAILS" | tr -d ' ')"
if ! kill -0 "$SERVICE_PID" 2>/dev/null; then
    say "the service exited during the walkthrough"; tail -n 40 "$WORK/service.log" >&2
    failed=$((failed + 1))
fi
if [ "$failed" -gt 0 ]; then
    say "failures:"; cat "$FAILS" >&2
    say "service log (last 30 lines):"; tail -n 30 "$WORK/service.log" >&2
fi
echo "walkthrough: $calls calls, $failed failed"
[ "$failed" -eq 0 ] && [ "$calls" -gt 0 ]
