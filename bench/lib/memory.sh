# shellcheck shell=bash
# Section "memory": resident memory of a node idle, after storing many integrations and connections, and under load, for
# several GC settings; and credential-read latency with many connections stored against few (two nodes, alternating).

gc_env() { # gc_env VARIANT: the environment a variant adds (one VAR=VALUE a line)
  case "$1" in
    server) ;;                                   # as published: the Web SDK's Server GC (concurrent, DATAS in .NET 10)
    server-nonconcurrent) echo DOTNET_gcConcurrent=0 ;;
    server-nodatas) echo DOTNET_GCDynamicAdaptationMode=0 ;;
    workstation) echo DOTNET_gcServer=0 ;;
    workstation-nonconcurrent) echo DOTNET_gcServer=0; echo DOTNET_gcConcurrent=0 ;;
    workstation-gen0) echo DOTNET_gcServer=0; echo DOTNET_GCgen0size=400000 ;; # hex: a 4 MiB gen0 budget
    server-gen0max) echo DOTNET_GCgen0MaxBudget=1000000 ;; # hex: Server GC with gen0 budgets capped at 16 MiB
  esac
}
gc_label() {
  case "$1" in
    server) echo "Server GC (as published)" ;;
    server-nonconcurrent) echo "Server, DOTNET_gcConcurrent=0" ;;
    server-nodatas) echo "Server, DOTNET_GCDynamicAdaptationMode=0 (no DATAS)" ;;
    workstation) echo "Workstation, DOTNET_gcServer=0" ;;
    workstation-nonconcurrent) echo "Workstation, gcConcurrent=0" ;;
    workstation-gen0) echo "Workstation, DOTNET_GCgen0size=0x400000" ;;
    server-gen0max) echo "Server, DOTNET_GCgen0MaxBudget=0x1000000" ;;
  esac
}

# store_data NAME URL KEY COUNT CONN: COUNT integrations (100 custom providers x COUNT/100 projects, installed through the
# API) and COUNT end-user connections of one OAuth integration (seeded: see bench/BenchDriver/Seeder.cs)
store_data() {
  local name="$1" url="$2" key="$3" count="$4" conn="$5" providers projects
  providers=$(( count < 100 ? count : 100 ))
  projects=$(( (count + providers - 1) / providers ))
  driver projects --base "$url" --key "$key" --count "$projects" --prefix "$name" --scopes read,integrations:write \
    --out "$TMP/private/keys-$name.txt" || return 1
  driver providers --base "$url" --key "$key" --count "$providers" --prefix memp --api-base "http://127.0.0.1:$DEAD_PORT" || return 1
  driver install --base "$url" --keys "$TMP/private/keys-$name.txt" --provider-prefix memp --provider-count "$providers" --parallel 16 || return 1
  printf -v "STORE_INSTALL_$name" '%s' "$DRIVER_LINE"
  driver oauth-app --base "$url" --key "$key" --name mem_idp --issuer "$IDP_URL" --client sb-client || return 1
  local cid; cid="$(dfield "$DRIVER_LINE" id)"
  driver seed-connections --db-provider "$DB_KIND" --db "$conn" --crypto "k1:$MASTER_KEY" --cid "$cid" --count "$count" --prefix m || return 1
  printf -v "STORE_SEED_$name" '%s' "$DRIVER_LINE"
  awk -v k="$key" -v c="$cid" -v n="$count" 'BEGIN { for (i = 0; i < n; i++) printf "%s /api/v1/integrations/%s/users/m%d/credentials\n", k, c, i }' \
    >"$TMP/private/reads-$name.lines"
  awk '{ print $1 " /api/v1/integrations" }' "$TMP/private/keys-$name.txt" >"$TMP/private/lists-$name.lines"
}

# mem_load VARIANT PID URL: reads over every stored connection, then the lists of every project, RSS sampled throughout
mem_load() {
  local v="$1" pid="$2" url="$3" secs=$(( DURATION / 2 > 2 ? DURATION / 2 : 2 ))
  rss_sampler_start "$pid" "$TMP/rss-$v-reads.txt"
  CPU_PGID="$pid" BENCH_LINES_FILE="$TMP/private/reads-big.lines" run_wrk "mem-$v-reads" "$READ_THREADS" "$READERS" "$secs" "$url" "$BENCH_DIR/rotate.lua"
  rss_sampler_stop
  rss_sampler_start "$pid" "$TMP/rss-$v-lists.txt"
  CPU_PGID="$pid" BENCH_LINES_FILE="$TMP/private/lists-big.lines" run_wrk "mem-$v-lists" "$READ_THREADS" "$READERS" "$secs" "$url" "$BENCH_DIR/rotate.lua"
  rss_sampler_stop
  printf -v "MEM_READS_${v//-/_}" '%s' "$(rss_max "$TMP/rss-$v-reads.txt")"
  printf -v "MEM_LISTS_${v//-/_}" '%s' "$(rss_max "$TMP/rss-$v-lists.txt")"
  sleep "$SETTLE"
  printf -v "MEM_AFTER_${v//-/_}" '%s' "$(rss_mb "$pid")"
}
mv_() { local n="MEM_$1_${2//-/_}"; echo "${!n:-n/a}"; }

section_memory() {
  MEM_SMALL=$(( MEMORY_COUNT / 100 >= 100 ? MEMORY_COUNT / 100 : 100 ))
  [ "$MEM_SMALL" -gt "$MEMORY_COUNT" ] && MEM_SMALL="$MEMORY_COUNT"
  MEM_BIG_CONN="$(db_conn membig)"; MEM_SMALL_CONN="$(db_conn memsmall)"
  db_create membig; db_create memsmall
  local url_big="http://127.0.0.1:$MEM_BIG_PORT" url_small="http://127.0.0.1:$MEM_SMALL_PORT" v env=() pid

  say "memory: a node on an empty database, then $MEMORY_COUNT integrations and $MEMORY_COUNT connections stored through it"
  start_node mem-big "$MEM_BIG_PORT" "$MEM_BIG_CONN" || { warn "memory: the node did not start"; return; }
  local big_pid=$NODE_PID big_key=$NODE_KEY
  sleep "$SETTLE"
  MEM_FRESH_server="$(rss_mb "$big_pid")"
  local t0; t0="$(date +%s)"
  store_data big "$url_big" "$big_key" "$MEMORY_COUNT" "$MEM_BIG_CONN" || { warn "memory: storing the data failed"; stop_group "$big_pid"; return; }
  MEM_STORE_SECONDS=$(( $(date +%s) - t0 ))
  sleep "$SETTLE"
  MEM_AFTER_STORE="$(rss_mb "$big_pid")"

  say "memory: a second node with $MEM_SMALL integrations and connections, for the latency comparison"
  start_node mem-small "$MEM_SMALL_PORT" "$MEM_SMALL_CONN" || { warn "memory: the small node did not start"; stop_group "$big_pid"; return; }
  local small_pid=$NODE_PID
  store_data small "$url_small" "$NODE_KEY" "$MEM_SMALL" "$MEM_SMALL_CONN" || warn "memory: storing the small data set failed"

  say "memory: load on the storing node (credential reads over all $MEMORY_COUNT connections, then the lists of all projects)"
  mem_load store "$big_pid" "$url_big"
  say "memory: credential reads with $MEMORY_COUNT vs $MEM_SMALL connections stored: warm-ups, then $ROUNDS alternating round(s) of ${ROUND_SECS}s"
  CPU_PGID="$big_pid" BENCH_LINES_FILE="$TMP/private/reads-big.lines" warm_up mem-big "$READ_THREADS" "$READERS" "$url_big" "$BENCH_DIR/rotate.lua"
  CPU_PGID="$small_pid" BENCH_LINES_FILE="$TMP/private/reads-small.lines" warm_up mem-small "$READ_THREADS" "$READERS" "$url_small" "$BENCH_DIR/rotate.lua"
  MEM_BIG_PARTS=(); MEM_SMALL_PARTS=()
  local round
  for round in $(seq 1 "$ROUNDS"); do
    CPU_PGID="$big_pid" BENCH_LINES_FILE="$TMP/private/reads-big.lines" run_wrk "mem-p99-big-$round" "$READ_THREADS" "$READERS" "$ROUND_SECS" "$url_big" "$BENCH_DIR/rotate.lua"
    CPU_PGID="$small_pid" BENCH_LINES_FILE="$TMP/private/reads-small.lines" run_wrk "mem-p99-small-$round" "$READ_THREADS" "$READERS" "$ROUND_SECS" "$url_small" "$BENCH_DIR/rotate.lua"
    MEM_BIG_PARTS+=("mem-p99-big-$round"); MEM_SMALL_PARTS+=("mem-p99-small-$round")
  done
  combine_runs mem-p99-big "${MEM_BIG_PARTS[@]}"
  combine_runs mem-p99-small "${MEM_SMALL_PARTS[@]}"
  stop_group "$small_pid"
  stop_group "$big_pid"
  log_errors "$TMP/private/mem-big.log" >"$TMP/mem-errors.txt" || true

  # Every variant: idle on an empty database, idle after a start on the stored data, under the same two loads.
  for v in ${GC_VARIANTS//,/ }; do
    mapfile -t env < <(gc_env "$v")
    say "memory: $(gc_label "$v")"
    if [ "$v" != server ]; then
      db_create "memfresh${v//-/}"
      start_node "mem-fresh-$v" "$MEM_SMALL_PORT" "$(db_conn "memfresh${v//-/}")" "${env[@]}" || { warn "memory: $v did not start"; continue; }
      pid=$NODE_PID; sleep "$SETTLE"
      printf -v "MEM_FRESH_${v//-/_}" '%s' "$(rss_mb "$pid")"
      stop_group "$pid"
    fi
    start_node "mem-$v" "$MEM_BIG_PORT" "$MEM_BIG_CONN" "${env[@]}" || { warn "memory: $v did not start on the stored data"; continue; }
    pid=$NODE_PID; sleep "$SETTLE"
    printf -v "MEM_IDLE_${v//-/_}" '%s' "$(rss_mb "$pid")"
    mem_load "$v" "$pid" "$url_big"
    stop_group "$pid"
  done
  # The storing node's highest figure (after storing, under either load, after it) against its own idle start.
  MEM_LOAD_PEAK="$(printf '%s\n' "${MEM_AFTER_STORE:-}" "$(mv_ READS store)" "$(mv_ LISTS store)" "$(mv_ AFTER store)" \
    | awk '$1 != "n/a" && $1 + 0 > m { m = $1 + 0 } END { print (m ? m : "n/a") }')"
  MEM_LOAD_RATIO="$(ratio "$MEM_LOAD_PEAK" "$(mv_ FRESH server)")"
  MEM_P99_RATIO="$(ratio "$(field mem-p99-big p99_ms)" "$(field mem-p99-small p99_ms)")"
  target "RSS stored $MEMORY_COUNT + under load / idle (Server GC)" "$MEM_LOAD_RATIO" 1.5 max
  target "idle RSS after start, MB (Server GC, as published)" "$(mv_ FRESH server)" 100 max
  local best="" bv
  for v in ${GC_VARIANTS//,/ }; do bv="$(mv_ FRESH "$v")"; [ "$bv" != n/a ] && { [ -z "$best" ] || [ "$bv" -lt "${best%% *}" ]; } && best="$bv $v"; done
  [ -n "$best" ] && target "idle RSS after start, MB (lowest: ${best#* })" "${best%% *}" 100 max
  target "p99 credential read, $MEMORY_COUNT vs $MEM_SMALL stored" "$MEM_P99_RATIO" 1.5 max
}

report_memory() {
  echo
  echo "5. memory (VmRSS of the service process, MB; idle = ${SETTLE}s after /healthz first answered, no other request)"
  echo "   stored through the storing node in ${MEM_STORE_SECONDS:-?}s: $MEMORY_COUNT integrations via POST …/install ($(echo "${STORE_INSTALL_big:-}" | sed 's/^INSTALL //'))"
  echo "   and $MEMORY_COUNT connections with the service's model and SecretBox ($(echo "${STORE_SEED_big:-}" | sed 's/^SEED //'))"
  row "storing node: idle on the empty database" "$(mv_ FRESH server) MB"
  row "   after storing" "${MEM_AFTER_STORE:-n/a} MB"
  row "   under credential reads / list GETs" "$(mv_ READS store) / $(mv_ LISTS store) MB" "reads: $(extra mem-store-reads); lists: $(ok_rps mem-store-lists) req/s"
  row "   ${SETTLE}s after the load" "$(mv_ AFTER store) MB"
  printf '   %-48s %8s %8s %8s %8s %8s  %s\n' "GC setting" "fresh" "stored" "reads" "lists" "after" "reads req/s, p99 under load"
  local v
  for v in ${GC_VARIANTS//,/ }; do
    printf '   %-48s %8s %8s %8s %8s %8s  %s\n' "$(gc_label "$v")" "$(mv_ FRESH "$v")" "$(mv_ IDLE "$v")" "$(mv_ READS "$v")" \
      "$(mv_ LISTS "$v")" "$(mv_ AFTER "$v")" "$(ok_rps "mem-$v-reads"), $(field "mem-$v-reads" p99_ms) ms"
  done
  echo "   (fresh: idle after a start on an empty database; stored: idle after a start on the stored data; reads/lists: peak"
  echo "   during $(( DURATION / 2 > 2 ? DURATION / 2 : 2 ))s of credential reads over all $MEMORY_COUNT connections / as long of list GETs over all projects' keys)"
  row "storing node's peak / its idle start (target <= 1.5)" "$MEM_LOAD_RATIO" "$(verdict_max "$MEM_LOAD_RATIO" 1.5) (peak $MEM_LOAD_PEAK MB)"
  echo "   credential reads, $ROUNDS alternating round(s) of ${ROUND_SECS}s, reads spread at random over every stored connection"
  echo "   (warm-up rounds, req/s: $MEMORY_COUNT stored $(warm_rates mem-big); $MEM_SMALL stored $(warm_rates mem-small)):"
  row "   with $MEMORY_COUNT connections stored" "$(ok_rps mem-p99-big) req/s" "$(extra mem-p99-big)"
  row "   with $MEM_SMALL connections stored" "$(ok_rps mem-p99-small) req/s" "$(extra mem-p99-small)"
  row "   p99 ratio (target <= 1.5)" "$MEM_P99_RATIO" "$(verdict_max "$MEM_P99_RATIO" 1.5)"
  if [ -s "$TMP/mem-errors.txt" ]; then echo "   server log errors (storing node):"; sed 's/^/     /' "$TMP/mem-errors.txt"; fi
}
