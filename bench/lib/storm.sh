# shellcheck shell=bash
# Section "storm" (PostgreSQL): many OAuth connections whose access tokens expire within one window, refreshed by two
# nodes on one database against the bench's oidc-provider, which counts every refresh per grant.

hms() { printf '%02d:%02d:%02d' $(( $1 / 3600 )) $(( $1 % 3600 / 60 )) $(( $1 % 60 )); }
sfield() { dfield "${STORM_LINE:-}" "$1"; }

section_storm() {
  db_create bstorm
  local conn; conn="$(db_conn bstorm)"
  local env=("Switchboard__OAuth__ProactiveMargin=$(hms "$STORM_MARGIN")") s
  for s in "${STORM_SETTINGS[@]}"; do env+=("Switchboard__OAuth__$s"); done
  STORM_ENV="${env[*]}"
  local url_a="http://127.0.0.1:$STORM_A_PORT" url_b="http://127.0.0.1:$STORM_B_PORT"
  say "storm: two nodes on one PostgreSQL database ($STORM_ENV)"
  start_node storm-a "$STORM_A_PORT" "$conn" "${env[@]}" || { warn "storm: node A did not start"; return; }
  local a_pid=$NODE_PID a_key=$NODE_KEY
  start_node storm-b "$STORM_B_PORT" "$conn" "${env[@]}" || { warn "storm: node B did not start"; stop_group "$a_pid"; return; }
  local b_pid=$NODE_PID
  driver oauth-app --base "$url_a" --key "$a_key" --name storm_idp --issuer "$IDP_URL" --client sb-storm \
    || { warn "storm: could not install the OAuth integration"; stop_group "$a_pid"; stop_group "$b_pid"; return; }
  local cid; cid="$(dfield "$DRIVER_LINE" id)"

  say "storm: $CONSENT_SAMPLE consent flows by plain HTTP through both nodes, to measure what seeding that way costs"
  driver connect --bases "$url_a,$url_b" --key "$a_key" --cid "$cid" --users "$CONSENT_SAMPLE" --prefix consent- --parallel 16 \
    && STORM_CONSENT="$DRIVER_LINE" || warn "storm: the consent sample failed"

  # The tokens expire from T0 to T0 + window; the nodes refresh what expires within the margin, so refreshes are due from
  # T0 - margin on. The lead leaves time to store the connections before the first is due.
  local lead=$(( SMOKE == 1 ? 10 : 30 + STORM_CONNECTIONS / 500 ))
  STORM_T0=$(( $(date +%s) + STORM_MARGIN + lead ))
  curl -sf -X POST "$IDP_URL/bench/storm?at=$STORM_T0&window=$STORM_WINDOW" >/dev/null || { warn "storm: could not arm the provider"; }
  say "storm: $STORM_CONNECTIONS grants minted by the provider (expiring $(date -u -d "@$STORM_T0" +%H:%M:%S)+${STORM_WINDOW}s UTC) and stored"
  driver seed-minted --issuer "$IDP_URL" --db-provider postgres --db "$conn" --crypto "k1:$MASTER_KEY" --cid "$cid" \
    --count "$STORM_CONNECTIONS" --prefix storm- && STORM_SEED="$DRIVER_LINE" || warn "storm: seeding failed"
  STORM_SEEDED_AT="$(date +%s)"
  [ "$STORM_SEEDED_AT" -gt $(( STORM_T0 - STORM_MARGIN )) ] && warn "storm: the connections were stored after the first became due"
  local until=$(( STORM_T0 + STORM_WINDOW + 10 + 20 ))
  say "storm: watching the provider until every grant is refreshed or $(date -u -d "@$until" +%H:%M:%S) UTC (expiry + 10 s + 20 s)"
  local cpu_a0 cpu_b0 db0=0
  cpu_a0="$(group_cpu_ticks "$a_pid")"; cpu_b0="$(group_cpu_ticks "$b_pid")"
  [ -n "$DB_PGID" ] && db0="$(db_cpu_ticks)"
  STORM_LINE=""
  driver storm-wait --issuer "$IDP_URL" --expect "$STORM_CONNECTIONS" --until "$until" && STORM_LINE="$DRIVER_LINE" \
    || warn "storm: could not read the provider's counts"
  STORM_CPU_A=$(( $(group_cpu_ticks "$a_pid") - cpu_a0 )); STORM_CPU_B=$(( $(group_cpu_ticks "$b_pid") - cpu_b0 ))
  [ -n "$DB_PGID" ] && STORM_CPU_DB=$(( $(db_cpu_ticks) - db0 ))
  STORM_AUDIT="$(pg_psql -d bstorm -c "SELECT count(*) FROM audit_events WHERE \"Action\" = 'oauth.token.refreshed'")"
  STORM_STATUS="$(pg_psql -d bstorm -c "SELECT string_agg(\"Status\" || ':' || n, ',') FROM (SELECT \"Status\", count(*) n FROM oauth_connections WHERE \"UserId\" LIKE 'storm-%' GROUP BY 1) s")"
  stop_group "$a_pid"; stop_group "$b_pid"
  { log_errors "$TMP/private/storm-a.log"; log_errors "$TMP/private/storm-b.log"; } >"$TMP/storm-errors.txt" || true

  local in_time
  in_time="$(awk -v a="$(sfield refreshedBeforeExpiry)" -v b="$(sfield refreshedWithin10sAfter)" -v n="$STORM_CONNECTIONS" \
    'BEGIN { if (a == "" || n == 0) print "n/a"; else printf "%.3f", (a + b) / n }')"
  STORM_IN_TIME="$in_time"
  target "storm: share refreshed before expiry (+10 s)" "$in_time" 1.0
  target "storm: double refreshes" "$(sfield doubleRefreshes)" 0 max
  target "storm: invalid_grant answers" "$(sfield invalidGrant)" 0 max
}

report_storm() {
  local wall rate
  wall="$(awk -v f="$(sfield firstRefreshAt)" -v l="$(sfield lastRefreshAt)" 'BEGIN { if (f == "" || f == "null") print "n/a"; else printf "%.1f", l - f }')"
  echo
  echo "6. refresh storm: $STORM_CONNECTIONS connections, tokens expiring within ${STORM_WINDOW}s from $(date -u -d "@${STORM_T0:-0}" +%H:%M:%S) UTC, two nodes on one PostgreSQL"
  echo "   node settings: $STORM_ENV (the rest as the service defaults them: worker every 30 s, scans of 100 due tokens repeated until none is due, 8 refreshes at once per node)"
  echo "   consent flows through both nodes (the real thing, plain HTTP): $(echo "${STORM_CONSENT:-n/a}" | sed 's/^CONNECT //')"
  local per_s; per_s="$(dfield "${STORM_CONSENT:-}" per_s)"
  [ -n "$per_s" ] && echo "   at that rate $STORM_CONNECTIONS flows would take $(awk -v n="$STORM_CONNECTIONS" -v r="$per_s" 'BEGIN { if (r > 0) printf "%.0f", n / r; else print "?" }') s; the storm's grants are therefore minted by the provider"
  echo "   (real grants and refresh tokens, POST /bench/mint) and stored with the service's model and SecretBox: $(echo "${STORM_SEED:-n/a}" | sed 's/^SEED //')"
  if [ -z "${STORM_LINE:-}" ]; then echo "   NOT MEASURED"; return; fi
  row "refreshed before expiry" "$(sfield refreshedBeforeExpiry)" "of $(sfield grants) storm grants"
  row "refreshed within 10 s after expiry" "$(sfield refreshedWithin10sAfter)"
  row "refreshed later / not refreshed" "$(sfield refreshedLate) / $(sfield notRefreshed)" "latest refresh relative to its token's expiry: $(sfield maxLatenessSeconds) s"
  row "double refreshes (a grant refreshed twice)" "$(sfield doubleRefreshes)"
  row "refresh requests / ok / invalid_grant / other errors" "$(sfield refreshRequests) / $(sfield refreshOk) / $(sfield invalidGrant) / $(sfield otherErrors)"
  row "wall time, first to last refresh" "$wall s" "from $(date -u -d "@$(sfield firstRefreshAt | cut -d. -f1)" +%H:%M:%S 2>/dev/null) UTC; due from $(date -u -d "@$(( STORM_T0 - STORM_MARGIN ))" +%H:%M:%S) UTC"
  row "provider's refresh request rate" "$(sfield requestRate) req/s"
  row "CPU during the storm (node A / node B / PostgreSQL)" "$(awk -v a="$STORM_CPU_A" -v b="$STORM_CPU_B" -v d="${STORM_CPU_DB:-0}" -v hz="$CLK_TCK" 'BEGIN { printf "%.1f/%.1f/%.1f s", a / hz, b / hz, d / hz }')" \
    "$(awk -v a="$STORM_CPU_A" -v b="$STORM_CPU_B" -v d="${STORM_CPU_DB:-0}" -v n="$(sfield refreshOk)" -v hz="$CLK_TCK" \
      'BEGIN { if (n > 0) printf "per refresh: nodes %.2f ms, PostgreSQL %.2f ms (the wait between scans costs nothing)", (a + b) * 1000 / hz / n, d * 1000 / hz / n }')"
  echo "   Switchboard's side: $STORM_AUDIT oauth.token.refreshed audit events; storm connections by status: $STORM_STATUS"
  row "share refreshed in time (target 1.0)" "$STORM_IN_TIME" "$(verdict "$STORM_IN_TIME" 1.0)"
  if [ -s "$TMP/storm-errors.txt" ]; then echo "   server log errors (both nodes):"; sed 's/^/     /' "$TMP/storm-errors.txt"; fi
}
