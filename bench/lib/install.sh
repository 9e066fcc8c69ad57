# shellcheck shell=bash
# Section "install": POST /api/v1/integrations/stripe/install against a baseline of single-row commits on the same database.

INSTALL_PATH="/api/v1/integrations/stripe/install"
INSTALL_BODY='{"params":{"api_version":"2024-06-20"},"secrets":{"api_key":"sk_test_abcdefghijklmnopqrstuvwx","webhook_secret":"whsec_abcdefghijklmnop"}}'
first_installs() { # one sequential install per key of a keys file: creates the rows (and JIT-compiles the path)
  local key
  while read -r key; do
    curl -s -o /dev/null -H "Authorization: Bearer $key" -H 'Content-Type: application/json' -d "$INSTALL_BODY" "$SB_URL$INSTALL_PATH"
  done <"$1"
}

# ---------------------------------------------------------------- SQLite: vs InsertBaseline on the same file
section_install_sqlite() {
  if [ "$ACCOUNTS" -gt 1 ]; then
    say "creating $((ACCOUNTS - 1)) more accounts with the admin CLI"
    local n=2 batch pid dbenv=()
    mapfile -t dbenv < <(db_env "$MAIN_CONN")
    while [ "$n" -le "$ACCOUNTS" ]; do
      batch=()
      for _ in 1 2 3 4; do
        [ "$n" -le "$ACCOUNTS" ] || break
        (cd "$PUB" && exec setsid "${sb_env[@]}" "${dbenv[@]}" dotnet "$PUB/Switchboard.dll" accounts create --name "bench-$n") \
          >"$TMP/private/account-$n.json" 2>"$TMP/private/account-$n.err" </dev/null &
        batch+=($!); PIDS+=($!)
        n=$((n + 1))
      done
      for pid in "${batch[@]}"; do wait_for "$pid" || true; done
    done
    cat "$TMP"/private/account-*.json 2>/dev/null | grep -o '"api_key": *"sk_live_[A-Za-z0-9_]*"' \
      | grep -o 'sk_live_[A-Za-z0-9_]*' >>"$TMP/private/keys.txt"
    local got; got="$(wc -l <"$TMP/private/keys.txt")"
    [ "$got" -eq "$ACCOUNTS" ] || say "warning: only $got of $ACCOUNTS accounts have a key"
    ACCOUNTS="$got"
  fi
  export BENCH_KEYS_FILE="$TMP/private/keys.txt"
  CHECK_KEYS_FILE="$BENCH_KEYS_FILE"
  say "POST $INSTALL_PATH over $ACCOUNTS account(s) at -t$WRITE_THREADS -c$WRITERS: warm-up rounds until the rate settles"
  first_installs "$BENCH_KEYS_FILE"
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
  BASE_RPS="$(awk -v r1="$(bfield rows before)" -v s1="$(bfield seconds before)" -v r2="$(bfield rows after)" -v s2="$(bfield seconds after)" \
    'BEGIN { if (s1 + s2 > 0 && r1 != "" && r2 != "") printf "%.1f", (r1 + r2) / (s1 + s2); else print "n/a" }')"
  INSTALL_RATIO="$(ratio "$(ok_rps install)" "$BASE_RPS")"
  target "install ratio (SQLite, vs single-row INSERT commits)" "$INSTALL_RATIO" 1.0
}
# run_baseline NAME SECONDS: InsertBaseline on the service's database file (the service idle meanwhile)
run_baseline() {
  echo "load=$(loadavg)" >"$TMP/baseline-$1.txt"
  start_group "$TMP/baseline-$1.out" dotnet "$BASE/InsertBaseline.dll" --db "$DB" --writers "$WRITERS" --duration "$2" --warmup 1
  wait_for "$STARTED_PID" || { cat "$TMP/baseline-$1.out" >&2; say "baseline run $1 failed"; }
  cat "$TMP/baseline-$1.out" >>"$TMP/baseline-$1.txt"
}
# bfield KEY [RUN]: a value from a baseline run's BASELINE line (default: the first run)
bfield() { grep -o "BASELINE .*" "$TMP/baseline-${2:-before}.txt" 2>/dev/null | tr ' ' '\n' | sed -n "s/^$1=//p" | head -n 1; }
bload() { sed -n 's/^load=//p' "$TMP/baseline-$1.txt" 2>/dev/null; }
sync_name() { case "$1" in 0) echo "0 (OFF)" ;; 1) echo "1 (NORMAL)" ;; 2) echo "2 (FULL)" ;; 3) echo "3 (EXTRA)" ;; *) echo "${1:-?}" ;; esac; }
lib_hash() { find "$1" -name 'libe_sqlite3.so' -path '*linux-x64*' -exec sha256sum {} \; 2>/dev/null | head -n 1 | cut -c1-16; }

report_install_sqlite() {
  local service_sync sb_lib bl_lib
  service_sync="$(grep -rIilE '(pragma|journal)[^a-z]*synchronous|synchronous *=' "$REPO/src/Switchboard" --include='*.cs' --include='appsettings*.json' 2>/dev/null \
    | grep -v '/Migrations/' | sed "s|$REPO/||" | tr '\n' ' ')"
  sb_lib="$(lib_hash "$PUB")"; bl_lib="$(lib_hash "$BASE")"
  echo
  echo "2. writes at concurrency $WRITERS into one SQLite file ($(df -T "$TMP" | awk 'NR == 2 { print $2 }'))"
  row "POST $INSTALL_PATH" "$(ok_rps install) req/s" "$(extra install)"
  row "   status codes (last warm-up round: $(field warm-install codes))" "$(field install codes)" "$ACCOUNTS account(s) in rotation; stripe afterwards: ${INSTALLED_STATUS:-?}"
  echo "   warm-up rounds (${WARM_ROUND}s each, req/s): $(warm_rates install)"
  row "INSERT one row per transaction (baseline)" "$BASE_RPS rows/s" "$WRITERS writers, ${B1}s before + ${B2}s after the install run:"
  row "   before / after" "$(bfield rows_per_s before) / $(bfield rows_per_s after)" "CPU $(bfield cpu_ms_per_row before) / $(bfield cpu_ms_per_row after) ms/row, errors $(bfield errors before) / $(bfield errors after), load $(bload before) / $(bload after)"
  cat "$TMP"/baseline-*.txt 2>/dev/null | grep -o 'BASELINE_ERROR.*' | sed 's/^BASELINE_ERROR/     baseline errors:/' | cut -c1-160
  row "ratio (target 1.0)" "$INSTALL_RATIO" "$(verdict "$INSTALL_RATIO" 1.0)"
  echo "   durability: PRAGMA synchronous baseline $(sync_name "$(bfield synchronous)"), through EF Core UseSqlite $(sync_name "$(bfield ef_synchronous)");"
  echo "   journal_mode $(bfield journal_mode); SQLite $(bfield sqlite_version); libe_sqlite3 sha256 service ${sb_lib:-?} / baseline ${bl_lib:-?} ($( [ -n "$sb_lib" ] && [ "$sb_lib" = "$bl_lib" ] && echo same || echo DIFFERENT));"
  if [ -z "$service_sync" ]; then
    echo "   the service sets no PRAGMA synchronous (none in src/Switchboard), so it runs at that same default"
  else
    echo "   WARNING: src/Switchboard mentions 'synchronous' in: $service_sync— check the service's setting"
  fi
}

# ---------------------------------------------------------------- PostgreSQL: vs pgbench single-row INSERTs
PGBENCH_PROJECTS=64
section_install_postgres() {
  say "creating $PGBENCH_PROJECTS projects, one API key restricted to each (integrations:write, read)"
  driver projects --base "$SB_URL" --key "$API_KEY" --count "$PGBENCH_PROJECTS" --prefix bench --scopes integrations:write,read \
    --out "$TMP/private/keys64.txt" || { warn "install (postgres): could not create the projects"; return; }
  CHECK_KEYS_FILE="$TMP/private/keys64.txt"
  first_installs "$TMP/private/keys64.txt"
  first_installs "$TMP/private/keys.txt"
  # The width of one install as stored: the integration row, its two secret rows and its audit event.
  INSTALL_WIDTH="$(pg_psql -d bench -c "SELECT
      (SELECT avg(pg_column_size(i.*)) FROM integrations i WHERE \"Provider\" = 'stripe')
    + (SELECT 2 * avg(pg_column_size(s.*)) FROM integration_secrets s)
    + (SELECT avg(pg_column_size(a.*)) FROM audit_events a WHERE \"Action\" = 'integration.installed')" | awk '{ printf "%d", $1 }')"
  [ -n "$INSTALL_WIDTH" ] && [ "$INSTALL_WIDTH" -gt 0 ] || INSTALL_WIDTH=600
  # One row of that width per transaction: a uuid key, a timestamp, an account id and a payload (28 bytes of tuple
  # overhead and the fixed columns come off the payload).
  local payload=$(( INSTALL_WIDTH > 120 ? INSTALL_WIDTH - 80 : 40 ))
  pg_psql -d bench -c "CREATE TABLE bench_insert (id uuid PRIMARY KEY, account_id text NOT NULL, payload text NOT NULL, created_at timestamptz NOT NULL);
      ALTER TABLE bench_insert OWNER TO \"$PG_TEST_USER\"" \
    || { warn "install (postgres): CREATE TABLE bench_insert failed"; return; }
  printf "INSERT INTO bench_insert (id, account_id, payload, created_at) VALUES (gen_random_uuid(), 'acc_baseline' || :client_id, repeat('x', %d), now());\n" \
    "$payload" >"$TMP/insert.sql"
  PGBENCH_ROW="$(pg_psql -d bench -c "INSERT INTO bench_insert VALUES (gen_random_uuid(), 'acc_baseline0', repeat('x', $payload), now()); SELECT pg_column_size(b.*) FROM bench_insert b LIMIT 1")"

  export BENCH_KEYS_FILE="$TMP/private/keys64.txt"
  B1=$(( (DURATION + 1) / 2 )); B2=$(( DURATION - B1 > 0 ? DURATION - B1 : 1 ))
  say "POST $INSTALL_PATH over $PGBENCH_PROJECTS projects at -t$WRITE_THREADS -c$WRITERS: warm-up rounds until the rate settles"
  warm_up install "$WRITE_THREADS" "$WRITERS" "$SB_URL" "$BENCH_DIR/install.lua" "$WRITE_THREADS"
  say "baseline (1/2): pgbench -c$WRITERS, one single-row INSERT ($PGBENCH_ROW bytes) per transaction, ${B1}s"
  run_pgbench before "$WRITERS" "$WRITE_THREADS" "$B1"
  say "POST $INSTALL_PATH: ${DURATION}s"
  run_wrk install "$WRITE_THREADS" "$WRITERS" "$DURATION" "$SB_URL" "$BENCH_DIR/install.lua" "$WRITE_THREADS"
  say "baseline (2/2): ${B2}s"
  run_pgbench after "$WRITERS" "$WRITE_THREADS" "$B2"
  PG_BASE_RPS="$(pgbench_total before after)"
  INSTALL_RATIO="$(ratio "$(ok_rps install)" "$PG_BASE_RPS")"
  target "install ratio (PostgreSQL, 64 rows, c$WRITERS, vs pgbench)" "$INSTALL_RATIO" 0.5

  local hot=$(( DURATION / 2 > 2 ? DURATION / 2 : 2 ))
  say "one hot row: every request re-installs stripe in one project, -c$WRITERS, ${hot}s"
  BENCH_KEYS_FILE="$TMP/private/keys.txt" run_wrk install-hot "$WRITE_THREADS" "$WRITERS" "$hot" "$SB_URL" "$BENCH_DIR/install.lua" "$WRITE_THREADS"

  say "sequential: one connection, installs over $PGBENCH_PROJECTS projects vs pgbench -c1, ${DURATION}s each (baseline bracketing)"
  MIN_ROUNDS=1 MAX_ROUNDS=$(( WARM_MAX < 2 ? WARM_MAX : 2 )) warm_up install-seq 1 1 "$SB_URL" "$BENCH_DIR/install.lua" 1
  run_pgbench seq-before 1 1 "$B1"
  run_wrk install-seq 1 1 "$DURATION" "$SB_URL" "$BENCH_DIR/install.lua" 1
  run_pgbench seq-after 1 1 "$B2"
  PG_SEQ_RPS="$(pgbench_total seq-before seq-after)"
  SEQ_RATIO="$(ratio "$(ok_rps install-seq)" "$PG_SEQ_RPS")"
  target "sequential install ratio (PostgreSQL, vs pgbench -c1)" "$SEQ_RATIO" 0.3
  PG_ROWS_AFTER="$(pg_psql -d bench -c "SELECT count(*) FROM bench_insert")"
}
# run_pgbench NAME CLIENTS THREADS SECONDS: pgbench with the custom single-row INSERT on the bench database
run_pgbench() {
  echo "load=$(loadavg)" >"$TMP/pgbench-$1.txt"
  local db0=0
  [ -n "$DB_PGID" ] && db0="$(db_cpu_ticks)"
  start_group "$TMP/pgbench-$1.out" env PGPASSWORD="$PG_TEST_PASSWORD" "$PG_BIN/pgbench" -n -h 127.0.0.1 -p "$PG_PORT" -U "$PG_TEST_USER" \
    -c "$2" -j "$3" -T "$4" -f "$TMP/insert.sql" bench
  wait_for "$STARTED_PID" || { tail -n 5 "$TMP/pgbench-$1.out" >&2; warn "pgbench $1 failed"; }
  [ -n "$DB_PGID" ] && echo "db_ticks=$(( $(db_cpu_ticks) - db0 ))" >>"$TMP/pgbench-$1.txt"
  cat "$TMP/pgbench-$1.out" >>"$TMP/pgbench-$1.txt"
}
pgfield() { # pgfield NAME tps|tx|latency|db_ms
  local f="$TMP/pgbench-$1.txt"
  case "$2" in
    tps) sed -n 's/^tps = \([0-9.]*\) (without initial connection time).*/\1/p' "$f" | head -n 1 | awk '{ printf "%.1f", $1 }' ;;
    tx) sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' "$f" | head -n 1 ;;
    latency) sed -n 's/^latency average = \([0-9.]*\) ms.*/\1/p' "$f" | head -n 1 ;;
    db_ms) awk -v hz="$CLK_TCK" -v tx="$(pgfield "$1" tx)" -F= '/^db_ticks=/ { if (tx > 0) printf "%.3f", $2 * 1000 / hz / tx }' "$f" ;;
    load) sed -n 's/^load=//p' "$f" ;;
  esac
}
# pgbench_total A B: transactions per second over both halves (each half's tps weighted by its length)
pgbench_total() {
  awk -v t1="$(pgfield "$1" tps)" -v t2="$(pgfield "$2" tps)" -v s1="$B1" -v s2="$B2" \
    'BEGIN { if (t1 == "" || t2 == "") print "n/a"; else printf "%.1f", (t1 * s1 + t2 * s2) / (s1 + s2) }'
}
pgline() { echo "tps $(pgfield "$1" tps), latency avg $(pgfield "$1" latency) ms, PostgreSQL CPU $(pgfield "$1" db_ms) ms/tx, load $(pgfield "$1" load)"; }

report_install_postgres() {
  echo
  echo "2. installs on PostgreSQL $PG_VERSION (fsync and synchronous_commit as the server defaults them: see the settings above)"
  echo "   width of one install as stored: $INSTALL_WIDTH bytes (integration row + 2 secret rows + audit row); the baseline row: ${PGBENCH_ROW:-?} bytes"
  row "POST $INSTALL_PATH, $PGBENCH_PROJECTS projects, -c$WRITERS" "$(ok_rps install) req/s" "$(extra install)"
  row "   status codes (last warm-up round: $(field warm-install codes))" "$(field install codes)" "one key restricted to each project, rotated per request"
  echo "   warm-up rounds (${WARM_ROUND}s each, req/s): $(warm_rates install)"
  row "pgbench -c$WRITERS -j$WRITE_THREADS, single-row INSERT (baseline)" "$PG_BASE_RPS tps" "${B1}s before + ${B2}s after the install run:"
  row "   before" "$(pgfield before tps)" "$(pgline before)"
  row "   after" "$(pgfield after tps)" "$(pgline after)"
  row "ratio (target 0.5)" "$INSTALL_RATIO" "$(verdict "$INSTALL_RATIO" 0.5)"
  row "one hot row (one project, -c$WRITERS; no target)" "$(ok_rps install-hot) req/s" "$(extra install-hot); codes $(field install-hot codes)"
  row "sequential installs (-c1, $PGBENCH_PROJECTS projects)" "$(ok_rps install-seq) req/s" "$(extra install-seq)"
  row "pgbench -c1 (baseline)" "$PG_SEQ_RPS tps" "before: $(pgline seq-before)"
  row "" "" "after: $(pgline seq-after)"
  row "sequential ratio (target 0.3)" "$SEQ_RATIO" "$(verdict "$SEQ_RATIO" 0.3)"
  echo "   baseline rows inserted: ${PG_ROWS_AFTER:-?}"
}
