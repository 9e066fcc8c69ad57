# shellcheck shell=bash
# Section "list": GET /api/v1/integrations (authenticated) vs nginx serving the very same bytes, and diagnostic GETs.

LIST_PATH="/api/v1/integrations"

# nginx_start: nginx on NGINX_URL with both sections' locations (the list's file need not exist yet); sets NGINX_PID.
# Used by section list and section invoke; each stops its own (stop_group "$NGINX_PID").
STANDIN_PATH="/v1/customers/cus_bench"
STANDIN_BODY='{"id":"cus_bench","object":"customer","email":"bench@example.com","name":"Bench"}'
nginx_start() {
  cat >"$TMP/nginx/nginx.conf" <<NGINX
# bench/run.sh: the same bytes as Switchboard's catalog list, as a static file (section list), and a stand-in for
# Stripe's GET /v1/customers/{id} (section invoke).
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
    location = $STANDIN_PATH { return 200 '$STANDIN_BODY'; }
  }
}
NGINX
  say "starting nginx ($NGINX_WORKERS workers) on $NGINX_URL"
  start_group "$TMP/nginx/stdout.log" "$NGINX" -e "$TMP/nginx/error.log" -p "$TMP/nginx" -c "$TMP/nginx/nginx.conf" -g 'daemon off;'
  NGINX_PID=$STARTED_PID
  for _ in $(seq 1 40); do curl -sf -o /dev/null "$NGINX_URL$STANDIN_PATH" && break; sleep 0.25; done
}

section_list() {
  local status round
  status="$(curl -s -o "$TMP/www/integrations.json" -w '%{http_code}' -H "Authorization: Bearer $API_KEY" "$SB_URL$LIST_PATH")"
  [ "$status" = 200 ] && [ -s "$TMP/www/integrations.json" ] || fail "GET $LIST_PATH answered $status"
  chmod 0644 "$TMP/www/integrations.json"
  LIST_BYTES="$(stat -c %s "$TMP/www/integrations.json")"
  LIST_ITEMS="$(grep -o '"name":"[a-z0-9_]*","display_name"' "$TMP/www/integrations.json" | wc -l)"

  nginx_start
  cmp -s <(curl -sf "$NGINX_URL$LIST_PATH") "$TMP/www/integrations.json" \
    || { cat "$TMP/nginx/error.log" >&2; fail "nginx does not serve the list bytes"; }

  say "GET $LIST_PATH: warm-up rounds of ${WARM_ROUND}s until the rate settles ($WARM_MIN to $WARM_MAX rounds), then ${DURATION}s each at -t$LIST_THREADS -c$CONNECTIONS"
  warm_up sb "$LIST_THREADS" "$CONNECTIONS" "$SB_URL$LIST_PATH"
  # nginx has no JIT to settle; its rate only wanders with the machine, so two rounds are enough.
  MIN_ROUNDS=1 MAX_ROUNDS=$(( WARM_MAX < 2 ? WARM_MAX : 2 )) warm_up nginx "$LIST_THREADS" "$CONNECTIONS" "$NGINX_URL$LIST_PATH"
  # The two sides alternate in ROUNDS rounds of DURATION/ROUNDS s each, so a drift of the machine's speed
  # (common here: the same run differs by a third from one minute to the next) weighs on both sides alike.
  LIST_SB_PARTS=(); LIST_NGINX_PARTS=()
  for round in $(seq 1 "$ROUNDS"); do
    CPU_PGID="$SB_PID" run_wrk "list-sb-$round" "$LIST_THREADS" "$CONNECTIONS" "$ROUND_SECS" "$SB_URL$LIST_PATH"
    CPU_PGID="$NGINX_PID" DB_PGID="" run_wrk "list-nginx-$round" "$LIST_THREADS" "$CONNECTIONS" "$ROUND_SECS" "$NGINX_URL$LIST_PATH"
    LIST_SB_PARTS+=("list-sb-$round"); LIST_NGINX_PARTS+=("list-nginx-$round")
  done
  combine_runs list-sb "${LIST_SB_PARTS[@]}"
  combine_runs list-nginx "${LIST_NGINX_PARTS[@]}"
  stop_group "$NGINX_PID"
  CPU_PGID="$SB_PID"

  say "diagnostic GETs, ${DIAG_DURATION}s each: /healthz, /api/v1/native-tools, /api/v1/integrations/stripe, $LIST_PATH?limit=1"
  run_wrk diag-healthz "$LIST_THREADS" "$CONNECTIONS" "$DIAG_DURATION" "$SB_URL/healthz"
  run_wrk diag-auth "$LIST_THREADS" "$CONNECTIONS" "$DIAG_DURATION" "$SB_URL/api/v1/native-tools"
  run_wrk diag-one "$LIST_THREADS" "$CONNECTIONS" "$DIAG_DURATION" "$SB_URL/api/v1/integrations/stripe"
  run_wrk diag-limit1 "$LIST_THREADS" "$CONNECTIONS" "$DIAG_DURATION" "$SB_URL$LIST_PATH?limit=1"
  LIST_RATIO="$(ratio "$(ok_rps list-sb)" "$(ok_rps list-nginx)")"
  target "list ratio (Switchboard / nginx, same bytes)" "$LIST_RATIO" 0.5
}

report_list() {
  echo
  echo "1. GET $LIST_PATH ($LIST_ITEMS items, $LIST_BYTES bytes), wrk -t$LIST_THREADS -c$CONNECTIONS, the sides alternating in $ROUNDS round(s) of ${ROUND_SECS}s"
  row "Switchboard (API key, $DB_KIND, Release)" "$(ok_rps list-sb) req/s" "$(extra list-sb)"
  row "nginx ($NGINX_WORKERS workers), same bytes, static" "$(ok_rps list-nginx) req/s" "$(extra list-nginx)"
  echo "   warm-up rounds (${WARM_ROUND}s each, req/s): Switchboard $(warm_rates sb); nginx $(warm_rates nginx)"
  echo "   measured rounds (req/s): Switchboard $(rounds_rates "${LIST_SB_PARTS[@]}")/ nginx $(rounds_rates "${LIST_NGINX_PARTS[@]}")"
  row "ratio (target 0.5)" "$LIST_RATIO" "$(verdict "$LIST_RATIO" 0.5)"
  echo "   where the list's time goes (Switchboard, ${DIAG_DURATION}s each, same -c):"
  row "GET /healthz (no auth, no database)" "$(ok_rps diag-healthz) req/s" "$(extra diag-healthz)"
  row "GET /api/v1/native-tools (API key, one EF query, tools listed)" "$(ok_rps diag-auth) req/s" "$(extra diag-auth)"
  row "GET /api/v1/integrations/stripe (one row query)" "$(ok_rps diag-one) req/s" "$(extra diag-one)"
  row "GET $LIST_PATH?limit=1 (API key, a cached page)" "$(ok_rps diag-limit1) req/s" "$(extra diag-limit1)"
}
