# shellcheck shell=bash
# Section "invoke": a tool call and a proxied GET vs calling their stand-in provider (nginx) directly. stripe is
# installed with base_url_override pointing at nginx (nginx_start, list.sh), which answers GET /v1/customers/cus_bench
# itself: the same request three ways at the same concurrency, alternating — straight to nginx, as a tool call, through
# the proxy.

INVOKE_PATH="/api/v1/native-tools/stripe.get_customer/invoke"
PROXY_PATH="/api/v1/proxy/stripe$STANDIN_PATH"
INVOKE_INPUT='{"input":{"customer_id":"cus_bench"}}'

section_invoke() {
  export BENCH_DIR # invoke.lua loads wrk-report.lua from it
  nginx_start
  [ "$(curl -s -o /dev/null -w '%{http_code}' "$NGINX_URL$STANDIN_PATH")" = 200 ] \
    || { cat "$TMP/nginx/error.log" >&2; stop_group "$NGINX_PID"; warn "invoke: nginx does not answer $STANDIN_PATH"; invoke_targets; return; }

  # Needs Switchboard__Health__AllowBaseUrlOverride=true (outside Development) and 127.0.0.0/8 in the outbound allow-list.
  local status
  status="$(curl -s -o "$TMP/private/invoke-install.json" -w '%{http_code}' -H "Authorization: Bearer $API_KEY" -H 'Content-Type: application/json' \
    -d "{\"params\":{\"api_version\":\"2024-06-20\"},\"secrets\":{\"api_key\":\"sk_test_abcdefghijklmnopqrstuvwx\"},\"base_url_override\":\"$NGINX_URL\"}" \
    "$SB_URL/api/v1/integrations/stripe/install")"
  if [[ "$status" != 2?? ]]; then
    stop_group "$NGINX_PID"
    warn "invoke: installing stripe with base_url_override answered $status: $(head -c 300 "$TMP/private/invoke-install.json")"
    invoke_targets
    return
  fi
  # The first answers, shown in the report so that a misconfigured run (a 403, a 502) is visible at once.
  INVOKE_CHECK="$(curl -s -o "$TMP/private/invoke-check.json" -w '%{http_code}' -H "Authorization: Bearer $API_KEY" -H 'Content-Type: application/json' \
    -d "$INVOKE_INPUT" "$SB_URL$INVOKE_PATH")"
  INVOKE_CHECK_BODY="$(head -c 120 "$TMP/private/invoke-check.json")"
  PROXY_CHECK="$(curl -s -o "$TMP/private/proxy-check.json" -w '%{http_code}' -H "Authorization: Bearer $API_KEY" "$SB_URL$PROXY_PATH")"
  PROXY_CHECK_SAME="$(cmp -s "$TMP/private/proxy-check.json" <(printf '%s' "$STANDIN_BODY") && echo "the stand-in's bytes" || echo "NOT the stand-in's bytes")"
  [ "$INVOKE_CHECK" = 200 ] || warn "invoke: the first tool call answered $INVOKE_CHECK: $INVOKE_CHECK_BODY"
  [ "$PROXY_CHECK" = 200 ] || warn "invoke: the first proxied GET answered $PROXY_CHECK: $(head -c 120 "$TMP/private/proxy-check.json")"

  say "invoke and proxy vs nginx directly at -t$WRITE_THREADS -c$WRITERS: warm-up rounds, then $ROUNDS round(s) of ${ROUND_SECS}s alternating direct, invoke, proxy"
  CPU_PGID="$SB_PID"
  warm_up invoke "$WRITE_THREADS" "$WRITERS" "$SB_URL$INVOKE_PATH" "$BENCH_DIR/invoke.lua"
  warm_up proxy "$WRITE_THREADS" "$WRITERS" "$SB_URL$PROXY_PATH"
  CPU_PGID="$NGINX_PID" DB_PGID="" MIN_ROUNDS=1 MAX_ROUNDS=$(( WARM_MAX < 2 ? WARM_MAX : 2 )) \
    warm_up direct "$WRITE_THREADS" "$WRITERS" "$NGINX_URL$STANDIN_PATH"
  INVOKE_DIRECT_PARTS=(); INVOKE_PARTS=(); PROXY_PARTS=()
  local round
  for round in $(seq 1 "$ROUNDS"); do
    CPU_PGID="$NGINX_PID" DB_PGID="" run_wrk "direct-$round" "$WRITE_THREADS" "$WRITERS" "$ROUND_SECS" "$NGINX_URL$STANDIN_PATH"
    run_wrk "invoke-$round" "$WRITE_THREADS" "$WRITERS" "$ROUND_SECS" "$SB_URL$INVOKE_PATH" "$BENCH_DIR/invoke.lua"
    run_wrk "proxy-$round" "$WRITE_THREADS" "$WRITERS" "$ROUND_SECS" "$SB_URL$PROXY_PATH"
    INVOKE_DIRECT_PARTS+=("direct-$round"); INVOKE_PARTS+=("invoke-$round"); PROXY_PARTS+=("proxy-$round")
  done
  combine_runs direct "${INVOKE_DIRECT_PARTS[@]}"
  combine_runs invoke "${INVOKE_PARTS[@]}"
  combine_runs proxy "${PROXY_PARTS[@]}"
  # One request at a time: the per-call latency without the queue that 16 connections build on 2 cores (reported).
  CPU_PGID="$NGINX_PID" DB_PGID="" run_wrk direct-c1 1 1 "$ROUND_SECS" "$NGINX_URL$STANDIN_PATH"
  run_wrk invoke-c1 1 1 "$ROUND_SECS" "$SB_URL$INVOKE_PATH" "$BENCH_DIR/invoke.lua"
  run_wrk proxy-c1 1 1 "$ROUND_SECS" "$SB_URL$PROXY_PATH"
  stop_group "$NGINX_PID"
  INVOKE_AUDIT="$(audit_count tool.invoked)"; PROXY_AUDIT="$(audit_count proxy.request)"

  INVOKE_RATIO="$(ratio "$(ok_rps invoke)" "$(ok_rps direct)")"
  PROXY_RATIO="$(ratio "$(ok_rps proxy)" "$(ok_rps direct)")"
  INVOKE_OVERHEAD="$(p50_overhead invoke)"
  PROXY_OVERHEAD="$(p50_overhead proxy)"
  invoke_targets
}
# The four targets (n/a when the section could not measure, so --strict and the summary still show them).
invoke_targets() {
  target "invoke ratio (tool call / nginx direct)" "${INVOKE_RATIO:-n/a}" 0.5
  target "invoke p50 overhead (ms, tool call - nginx direct)" "${INVOKE_OVERHEAD:-n/a}" 1 below
  target "proxy ratio (proxied GET / nginx direct)" "${PROXY_RATIO:-n/a}" 0.5
  target "proxy p50 overhead (ms, proxied GET - nginx direct)" "${PROXY_OVERHEAD:-n/a}" 1 below
}
# p50_overhead NAME: the run's p50 minus the direct run's p50, in ms (each the worst round's, see combine_runs)
p50_overhead() {
  awk -v a="$(field "$1" p50_ms)" -v b="$(field direct p50_ms)" 'BEGIN { if (a == "" || b == "") print "n/a"; else printf "%.2f", a - b }'
}

report_invoke() {
  echo
  echo "4. a provider call ($DB_KIND) at -t$WRITE_THREADS -c$WRITERS: nginx standing in for Stripe (GET $STANDIN_PATH, ${#STANDIN_BODY} bytes), $ROUNDS round(s) of ${ROUND_SECS}s alternating the three"
  echo "   tool call: POST $INVOKE_PATH $INVOKE_INPUT; proxy: GET $PROXY_PATH"
  if [ -z "${INVOKE_CHECK:-}" ]; then echo "   not measured (see warnings)"; return; fi
  echo "   first answers: invoke $INVOKE_CHECK ${INVOKE_CHECK_BODY}…; proxy $PROXY_CHECK ($PROXY_CHECK_SAME)"
  row "direct to nginx ($NGINX_WORKERS workers)" "$(ok_rps direct) req/s" "nginx $(extra direct)"
  row "tool call: POST …/stripe.get_customer/invoke" "$(ok_rps invoke) req/s" "$(extra invoke)"
  row "proxy: GET …/proxy/stripe/v1/customers/cus_bench" "$(ok_rps proxy) req/s" "$(extra proxy)"
  echo "   warm-up rounds (${WARM_ROUND}s each, req/s): invoke $(warm_rates invoke); proxy $(warm_rates proxy); direct $(warm_rates direct)"
  echo "   measured rounds (req/s): direct $(rounds_rates "${INVOKE_DIRECT_PARTS[@]}")/ invoke $(rounds_rates "${INVOKE_PARTS[@]}")/ proxy $(rounds_rates "${PROXY_PARTS[@]}")"
  row "p50 overhead invoke / proxy (target < 1 ms)" "$INVOKE_OVERHEAD / $PROXY_OVERHEAD ms" "$(verdict_below "$INVOKE_OVERHEAD" 1) / $(verdict_below "$PROXY_OVERHEAD" 1)"
  row "throughput ratio invoke / proxy (target 0.5)" "$INVOKE_RATIO / $PROXY_RATIO" "$(verdict "$INVOKE_RATIO" 0.5) / $(verdict "$PROXY_RATIO" 0.5)"
  row "at -c1 (one at a time), p50 direct / invoke / proxy" "$(field direct-c1 p50_ms) / $(field invoke-c1 p50_ms) / $(field proxy-c1 p50_ms) ms" \
    "req/s $(ok_rps direct-c1) / $(ok_rps invoke-c1) / $(ok_rps proxy-c1); no target"
  if [ "${INVOKE_AUDIT:-n/a}" != n/a ]; then
    echo "   audit events in the database afterwards: tool.invoked $INVOKE_AUDIT, proxy.request $PROXY_AUDIT (2xx answers measured: invoke $(reads_ok "${INVOKE_PARTS[@]}"), proxy $(reads_ok "${PROXY_PARTS[@]}"), plus warm-ups)"
  fi
}
