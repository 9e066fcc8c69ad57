# shellcheck shell=bash
# Section "reads": credential reads (each with its durable audit event) vs /healthz in the same run, alternating.
# And the credential checks that ran during the whole run (section_checks, always).

READ_USERS=64
section_reads() {
  say "credential reads: an OAuth integration on the loopback oidc-provider, $READ_USERS end users through the consent flow"
  driver oauth-app --base "$SB_URL" --key "$API_KEY" --name bench_idp --issuer "$IDP_URL" --client sb-client \
    || { warn "reads: could not install the OAuth integration"; return; }
  READS_CID="$(dfield "$DRIVER_LINE" id)"
  driver connect --bases "$SB_URL" --key "$API_KEY" --cid "$READS_CID" --users "$READ_USERS" --prefix reader- --parallel 16 \
    || { warn "reads: the consent flows failed"; return; }
  READS_CONNECT="$DRIVER_LINE"
  driver oauth-app --base "$SB_URL" --key "$API_KEY" --name bench_machine --issuer "$IDP_URL" --client sb-machine --machine \
    || { warn "reads: could not install the client-credentials integration"; return; }
  READS_MCID="$(dfield "$DRIVER_LINE" id)"
  local i
  : >"$TMP/private/reads-user.lines"
  for i in $(seq 0 $((READ_USERS - 1))); do
    echo "$API_KEY /api/v1/integrations/$READS_CID/users/reader-$i/credentials" >>"$TMP/private/reads-user.lines"
  done
  echo "$API_KEY /api/v1/integrations/$READS_MCID/credentials" >"$TMP/private/reads-machine.lines"
  # The first machine read fetches the token (client credentials at the provider); the others are served from its cache.
  READS_FIRST="$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $API_KEY" "$SB_URL/api/v1/integrations/$READS_MCID/credentials")"
  AUDIT_BEFORE="$(audit_count credentials.read)"

  say "credential reads at -t$READ_THREADS -c$READERS: warm-up rounds, then $ROUNDS round(s) of ${ROUND_SECS}s alternating user reads, /healthz, machine reads"
  BENCH_LINES_FILE="$TMP/private/reads-user.lines" warm_up reads-user "$READ_THREADS" "$READERS" "$SB_URL" "$BENCH_DIR/rotate.lua"
  MIN_ROUNDS=1 MAX_ROUNDS=$(( WARM_MAX < 3 ? WARM_MAX : 3 )) BENCH_LINES_FILE="$TMP/private/reads-machine.lines" \
    warm_up reads-machine "$READ_THREADS" "$READERS" "$SB_URL" "$BENCH_DIR/rotate.lua"
  READ_USER_PARTS=(); READ_HEALTH_PARTS=(); READ_MACHINE_PARTS=()
  local round
  for round in $(seq 1 "$ROUNDS"); do
    BENCH_LINES_FILE="$TMP/private/reads-user.lines" run_wrk "reads-user-$round" "$READ_THREADS" "$READERS" "$ROUND_SECS" "$SB_URL" "$BENCH_DIR/rotate.lua"
    run_wrk "reads-healthz-$round" "$READ_THREADS" "$READERS" "$ROUND_SECS" "$SB_URL/healthz"
    BENCH_LINES_FILE="$TMP/private/reads-machine.lines" run_wrk "reads-machine-$round" "$READ_THREADS" "$READERS" "$ROUND_SECS" "$SB_URL" "$BENCH_DIR/rotate.lua"
    READ_USER_PARTS+=("reads-user-$round"); READ_HEALTH_PARTS+=("reads-healthz-$round"); READ_MACHINE_PARTS+=("reads-machine-$round")
  done
  combine_runs reads-user "${READ_USER_PARTS[@]}"
  combine_runs reads-healthz "${READ_HEALTH_PARTS[@]}"
  combine_runs reads-machine "${READ_MACHINE_PARTS[@]}"
  AUDIT_AFTER="$(audit_count credentials.read)"
  READS_RATIO="$(ratio "$(ok_rps reads-user)" "$(ok_rps reads-healthz)")"
  READS_MACHINE_RATIO="$(ratio "$(ok_rps reads-machine)" "$(ok_rps reads-healthz)")"
  target "user credential reads / healthz ($DB_KIND)" "$READS_RATIO" 0.3
  target "machine-token reads / healthz ($DB_KIND, reported)" "$READS_MACHINE_RATIO" 0.3
}
# audit_count ACTION: events of the action in the main database (read directly, after the fact)
audit_count() {
  if [ "$DB_KIND" = postgres ]; then pg_psql -d bench -c "SELECT count(*) FROM audit_events WHERE \"Action\" = '$1'"
  else echo "n/a"; fi
}
reads_ok() { local p t=0 n e; for p in "$@"; do n="$(field "$p" requests)"; e="$(field "$p" non2xx)"; t=$(( t + ${n:-0} - ${e:-0} )); done; echo "$t"; }

report_reads() {
  echo
  echo "3. credential reads ($DB_KIND), wrk -t$READ_THREADS -c$READERS, $ROUNDS round(s) of ${ROUND_SECS}s alternating the three"
  echo "   $READ_USERS end users connected through the real consent flow by plain HTTP: $(echo "${READS_CONNECT:-}" | sed 's/^CONNECT //')"
  row "GET …/users/{user}/credentials (OAuth, audited)" "$(ok_rps reads-user) req/s" "$(extra reads-user); codes $(field reads-user codes)"
  row "GET /healthz (same run)" "$(ok_rps reads-healthz) req/s" "$(extra reads-healthz)"
  row "GET …/{id}/credentials (client credentials, cached)" "$(ok_rps reads-machine) req/s" "$(extra reads-machine); codes $(field reads-machine codes); first read $READS_FIRST"
  echo "   warm-up rounds (req/s): user reads $(warm_rates reads-user); machine reads $(warm_rates reads-machine)"
  echo "   measured rounds (req/s): user $(rounds_rates "${READ_USER_PARTS[@]}")/ healthz $(rounds_rates "${READ_HEALTH_PARTS[@]}")/ machine $(rounds_rates "${READ_MACHINE_PARTS[@]}")"
  row "user reads / healthz (target 0.3)" "$READS_RATIO" "$(verdict "$READS_RATIO" 0.3)"
  row "machine reads / healthz (target 0.3)" "$READS_MACHINE_RATIO" "$(verdict "$READS_MACHINE_RATIO" 0.3)"
  # What the target allows: the cores' CPU time over 0.3 x healthz's rate, for everything one read costs (service,
  # database, wrk), against what the service and the database spent per read.
  awk -v c="$CORES" -v h="$(ok_rps reads-healthz)" -v s="$(cpu_per_req reads-user)" -v d="$(ticks_per_req reads-user db_ticks)" \
    'BEGIN { if (h + 0 > 0 && s != "n/a") printf "   CPU per user read allowed by the target: %d cores / (0.3 x %.0f req/s) = %.3f ms for all of it (service, database, wrk); spent: service %.3f ms%s\n", c, h, c * 1000 / (0.3 * h), s, (d != "n/a" ? sprintf(" + PostgreSQL %.3f ms = %.3f ms", d, s + d) : "") }'
  if [ "$DB_KIND" = postgres ]; then
    echo "   PostgreSQL per user read (measured rounds): $(pg_per_req reads-user "${READ_USER_PARTS[@]}")"
    echo "   PostgreSQL per machine read (measured rounds): $(pg_per_req reads-machine "${READ_MACHINE_PARTS[@]}")"
  fi
  if [ "${AUDIT_BEFORE:-n/a}" != n/a ]; then
    local ok; ok=$(( $(reads_ok "${READ_USER_PARTS[@]}" "${READ_MACHINE_PARTS[@]}") ))
    echo "   credentials.read audit events written during the measured rounds and their warm-ups: $(( AUDIT_AFTER - AUDIT_BEFORE )) (measured 2xx reads: $ok)"
  fi
}

section_checks() {
  CHECKS_LINE=""
  [ -n "${CHECK_KEYS_FILE:-}" ] || return 0
  driver checks --base "$SB_URL" --keys "$CHECK_KEYS_FILE" --provider stripe && CHECKS_LINE="$DRIVER_LINE"
}
report_checks() {
  echo
  echo "credential checks: Switchboard:Health:Enabled=false on every node (periodic checks and the install-time check off;"
  echo "   CheckOnInstall=false too). Checks that ran: $( [ -n "$CHECKS_LINE" ] && echo "$(dfield "$CHECKS_LINE" checked) of the $(dfield "$CHECKS_LINE" integrations) installed stripe integrations have a last_synced_at" || echo "not counted (no install section)")"
}
