# shellcheck shell=bash
# Helpers shared by bench/run.sh and its sections (sourced; they use run.sh's globals: TMP, SMOKE, PIDS, ...).

say() { printf '==> %s\n' "$*" >&2; }
fail() {
  printf 'bench: ERROR: %s\n' "$*" >&2
  if [ "$SMOKE" -eq 1 ]; then echo "bench: smoke run could not measure (see above); exiting 0"; exit 0; fi
  exit 1
}
# A section that cannot measure reports it and the run goes on (its figures print as n/a).
warn() { printf 'bench: WARNING: %s\n' "$*" >&2; WARNINGS+=("$*"); }

# ------------------------------------------------------------------ processes
# Every long-running child is started with setsid, so it leads its own process group and the EXIT
# trap can end it (and whatever it spawned, e.g. MSBuild nodes) by that id alone.
start_group() { # start_group LOGFILE CMD... -> sets STARTED_PID
  setsid "${@:2}" >"$1" 2>&1 </dev/null &
  STARTED_PID=$!
  PIDS+=("$STARTED_PID")
}
stop_group() { # stop_group PID: TERM, up to 5 s, then KILL
  local pid="$1"
  kill -0 "$pid" 2>/dev/null || { forget "$pid"; return 0; }
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
# Waits for a child (the INT/TERM traps still run at once), then forgets its id.
wait_for() {
  wait "$1"
  local rc=$?
  forget "$1"
  return "$rc"
}

# ------------------------------------------------------------------ machine
cpu_busy_sample() { # prints busy% of all cores over 1 s
  local a b
  read -ra a < <(awk '/^cpu /{printf "%d %d\n", $2+$3+$4+$7+$8+$9, $5+$6}' /proc/stat); sleep 1
  read -ra b < <(awk '/^cpu /{printf "%d %d\n", $2+$3+$4+$7+$8+$9, $5+$6}' /proc/stat)
  awk -v bu=$((b[0] - a[0])) -v id=$((b[1] - a[1])) 'BEGIN { t = bu + id; printf "%.0f", (t > 0 ? 100 * bu / t : 0) }'
}
loadavg() { cut -d' ' -f1 /proc/loadavg; }

# ------------------------------------------------------------------ ports
port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
EPHEMERAL_LOW="$(cut -f1 /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || echo 32768)"
[[ "$EPHEMERAL_LOW" =~ ^[0-9]+$ ]] && [ "$EPHEMERAL_LOW" -gt 12000 ] || EPHEMERAL_LOW=32768
PICKED_PORTS=" "
pick_port() { # prints a free port no earlier pick_port returned
  local p
  for _ in $(seq 1 200); do
    # Below the kernel's ephemeral range (ip_local_port_range, 32768-60999 here): a port that an outgoing connection
    # holds answers no connect, so it looks free, yet a listener cannot bind it (nginx once failed so in CI).
    p=$(( 10000 + RANDOM % (EPHEMERAL_LOW - 10000) ))
    if [[ "$PICKED_PORTS" != *" $p "* ]] && port_free "$p"; then PICKED_PORTS+="$p "; echo "$p"; return 0; fi
  done
  return 1
}

# ------------------------------------------------------------------ CPU and memory of a process group
CLK_TCK="$(getconf CLK_TCK 2>/dev/null || echo 100)"
# CPU time (clock ticks, user + system) of every process in a process group: the server's own cost,
# which the other work on the machine inflates far less than it cuts throughput.
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
# CPU of a process and its children, live and reaped (PostgreSQL backends each lead their own session, so a process group
# does not hold them; the postmaster's cutime/cstime collect what exited backends used).
tree_cpu_ticks() { # tree_cpu_ticks PID
  local f line fields total=0
  for f in /proc/[0-9]*/stat; do
    { line="$(<"$f")"; } 2>/dev/null || continue
    read -ra fields <<<"${line##*) }"
    if [ "${f#/proc/}" = "$1/stat" ]; then total=$(( total + fields[11] + fields[12] + fields[13] + fields[14] ))
    elif [ "${fields[1]:-}" = "$1" ]; then total=$(( total + fields[11] + fields[12] )); fi
  done
  echo "$total"
}
db_cpu_ticks() { [ -n "$DB_PGID" ] && tree_cpu_ticks "$DB_PGID"; }
rss_mb() { awk '/^VmRSS:/ { printf "%.0f", $2 / 1024 }' "/proc/$1/status" 2>/dev/null || echo "n/a"; }
# rss_sampler_start PID FILE: samples VmRSS (MB) twice a second into FILE until rss_sampler_stop
rss_sampler_start() {
  ( while kill -0 "$1" 2>/dev/null; do rss_mb "$1" >>"$2"; echo >>"$2"; sleep 0.5; done ) &
  RSS_SAMPLER=$!
}
rss_sampler_stop() { kill "$RSS_SAMPLER" 2>/dev/null; wait "$RSS_SAMPLER" 2>/dev/null; }
rss_max() { awk 'NF && $1 != "n/a" && $1 + 0 > m { m = $1 + 0 } END { print (m ? m : "n/a") }' "$1" 2>/dev/null; }

# ------------------------------------------------------------------ wrk
CPU_PGID="" # the server group that run_wrk charges CPU to
DB_PGID=""  # a database server (PostgreSQL's postmaster) whose CPU, with its backends', is shown too
# run_wrk NAME THREADS CONNECTIONS SECONDS URL [SCRIPT [SCRIPT ARGS...]]: writes $TMP/wrk-NAME.txt
run_wrk() {
  local name="$1" threads="$2" conns="$3" secs="$4" url="$5" script="${6:-$BENCH_DIR/wrk-report.lua}"
  shift 6 2>/dev/null || shift $#
  local extra=()
  [ $# -gt 0 ] && extra=(-- "$@")
  local cpu0=0 db0=0
  echo "load=$(loadavg)" >"$TMP/wrk-$name.txt"
  [ -n "$CPU_PGID" ] && cpu0="$(group_cpu_ticks "$CPU_PGID")"
  [ -n "$DB_PGID" ] && db0="$(db_cpu_ticks)"
  [ -n "$DB_PGID" ] && echo "pg0=$(pg_counters)" >>"$TMP/wrk-$name.txt"
  start_group "$TMP/wrk-$name.out" wrk "-t$threads" "-c$conns" "-d${secs}s" --timeout 10s -s "$script" "$url" "${extra[@]}"
  wait_for "$STARTED_PID"
  [ -n "$CPU_PGID" ] && echo "cpu_ticks=$(( $(group_cpu_ticks "$CPU_PGID") - cpu0 ))" >>"$TMP/wrk-$name.txt"
  [ -n "$DB_PGID" ] && echo "db_ticks=$(( $(db_cpu_ticks) - db0 ))" >>"$TMP/wrk-$name.txt"
  [ -n "$DB_PGID" ] && echo "pg1=$(pg_counters)" >>"$TMP/wrk-$name.txt"
  cat "$TMP/wrk-$name.out" >>"$TMP/wrk-$name.txt"
}
# pg_counters: "XID WAL_BYTES WAL_SYNCS" of the cluster now: the transaction id counter (moves once per transaction
# that writes, plus once for this query), the WAL position in bytes (both exact), and pg_stat_wal's fsync count
# (approximate: backends flush their counters about once a second).
pg_counters() {
  pg_psql -d bench -F ' ' -c "SELECT pg_current_xact_id()::text, pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::bigint, (SELECT wal_sync FROM pg_stat_wal)" 2>/dev/null || echo ""
}
# pg_per_req NAME PART...: "write transactions, WAL bytes and WAL fsyncs per successful response" over the parts
pg_per_req() {
  local name="$1" part; shift
  for part in "$@"; do
    paste -d ' ' <(sed -n 's/^pg0=//p' "$TMP/wrk-$part.txt") <(sed -n 's/^pg1=//p' "$TMP/wrk-$part.txt")
  done | awk -v ok="$(reads_ok "$@")" 'NF == 6 { x += $4 - $1 - 1; b += $5 - $2; f += $6 - $3; n++ }
    END { if (!n || ok <= 0) print "n/a"; else printf "%.3f write transactions, %.0f WAL bytes, %.3f WAL fsyncs", x / ok, b / ok, f / ok }'
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

# field NAME KEY: a value from the WRKRESULT line of a run
field() { grep -o "WRKRESULT.*" "$TMP/wrk-$1.txt" 2>/dev/null | tr ' ' '\n' | sed -n "s/^$2=//p" | head -n 1; }
# ok_rps NAME: successful (2xx/3xx) responses per second
ok_rps() {
  local r d n
  r="$(field "$1" requests)"; d="$(field "$1" duration_us)"; n="$(field "$1" non2xx)"
  [ -n "$r" ] && [ -n "$d" ] && [ "$d" -gt 0 ] || { echo "n/a"; return; }
  awk -v r="$r" -v n="${n:-0}" -v d="$d" 'BEGIN { printf "%.1f", (r - n) / (d / 1e6) }'
}
# ticks_per_req NAME KEY: CPU milliseconds (from KEY=ticks) per successful response
ticks_per_req() {
  local t r n
  t="$(sed -n "s/^$2=//p" "$TMP/wrk-$1.txt" 2>/dev/null)"; r="$(field "$1" requests)"; n="$(field "$1" non2xx)"
  awk -v t="${t:-}" -v r="${r:-0}" -v n="${n:-0}" -v hz="$CLK_TCK" \
    'BEGIN { if (t == "" || r - n <= 0) print "n/a"; else printf "%.3f", t * 1000 / hz / (r - n) }'
}
cpu_per_req() { ticks_per_req "$1" cpu_ticks; }
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
    for part in "$@"; do sed -n 's/^db_ticks=//p' "$TMP/wrk-$part.txt"; done | awk 'NF { t += $1; n++ } END { if (n) print "db_ticks=" t }'
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
rounds_rates() { local p; for p in "$@"; do printf '%s ' "$(ok_rps "$p")"; done; }

# ------------------------------------------------------------------ report helpers
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "" || a == "n/a" || b == "n/a" || b + 0 == 0) print "n/a"; else printf "%.2f", a / b }'; }
verdict() { awk -v r="$1" -v t="$2" 'BEGIN { if (r == "" || r == "n/a") print "NOT MEASURED"; else if (r + 0 >= t) print "met"; else print "MISSED" }'; }
verdict_max() { awk -v r="$1" -v t="$2" 'BEGIN { if (r == "" || r == "n/a") print "NOT MEASURED"; else if (r + 0 <= t) print "met"; else print "MISSED" }'; }
verdict_below() { awk -v r="$1" -v t="$2" 'BEGIN { if (r == "" || r == "n/a") print "NOT MEASURED"; else if (r + 0 < t) print "met"; else print "MISSED" }'; }
# signed X: "+X" for a number >= 0 (a difference), X otherwise; n/a stays n/a
signed() { awk -v x="$1" 'BEGIN { if (x == "" || x == "n/a") print "n/a"; else if (x + 0 >= 0) print "+" x; else print x }'; }
row() { printf '  %-50s %14s  %s\n' "$1" "$2" "${3:-}"; }
extra() {
  local e d; e="$(errs "$1")"; d="$(ticks_per_req "$1" db_ticks)"
  echo "server CPU $(cpu_per_req "$1") ms/req$( [ "$d" != n/a ] && echo ", PostgreSQL CPU $d ms/req"), $(lat "$1"), load $(sed -n 's/^load=//p' "$TMP/wrk-$1.txt")${e:+, $e}"
}
# Each target goes to TARGETS as "name|value|target|min, max or below" (>=, <=, <); the summary prints them and --strict
# checks them.
TARGETS=()
target() { TARGETS+=("$1|$2|$3|${4:-min}"); }

# What a Switchboard node logged as errors, counted: category, exception type, and a database message if any.
log_errors() {
  # EF Core logs its probe of __EFMigrationsHistory on a new PostgreSQL database as a failed command: not an error.
  awk 'function flush() { if (cat != "" && !probe) print cat (exc != "" ? " " exc : "") (msg != "" ? " " msg : ""); cat = exc = msg = ""; probe = 0 }
       /^(fail|crit):/ { flush(); cat = $0; next }
       cat != "" && /__EFMigrationsHistory/ { probe = 1 }
       cat != "" && exc == "" && match($0, /[A-Za-z.]*Exception[A-Za-z]*/) { exc = substr($0, RSTART, RLENGTH) }
       cat != "" && msg == "" && match($0, /(SQLite Error [0-9]+|[0-9A-Z]{5}): .[^\047]*/) { msg = substr($0, RSTART, RLENGTH) }
       END { flush() }' "$1" 2>/dev/null | sort | uniq -c | sort -rn | head -n 6
}
