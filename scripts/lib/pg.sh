#!/usr/bin/env bash
# shellcheck shell=bash
#
# Throwaway PostgreSQL 15 cluster for the test suite.
#
#   source scripts/lib/pg.sh
#   pg_start            # sets/exports PG_PORT, PG_CONN, PG_DIR, PG_SOCKDIR, PG_DATA
#   ...
#   pg_stop             # fast shutdown + removes PG_DIR (idempotent)
#
# The cluster listens on 127.0.0.1 only, on the first free port from
# PG_PORT_BASE (default 55432) upward, plus a Unix socket in PG_SOCKDIR.
# A role PG_TEST_USER (default "switchboard") with password PG_TEST_PASSWORD
# (default "switchboard") and CREATEDB is created; tests create their own
# databases (a database of the role's name also exists, so a connection string
# without Database= works). Tuned for speed (fsync=off), NOT for durability tests,
# unless PG_SERVER_SETTINGS says otherwise: it replaces the tuning flags
# ("-c fsync=off -c synchronous_commit=off -c full_page_writes=off"); set it to
# "" for the server's defaults (bench/run.sh --db postgres does).
#
# As root, initdb/pg_ctl run as the "postgres" system user (runuser); as any
# other user they run as that user.

PG_BIN="${PG_BIN:-/usr/lib/postgresql/15/bin}"
PG_PORT_BASE="${PG_PORT_BASE:-55432}"
PG_TEST_USER="${PG_TEST_USER:-switchboard}"
PG_TEST_PASSWORD="${PG_TEST_PASSWORD:-switchboard}"
PG_MAX_CONNECTIONS="${PG_MAX_CONNECTIONS:-300}"
PG_SERVER_SETTINGS="${PG_SERVER_SETTINGS--c fsync=off -c synchronous_commit=off -c full_page_writes=off}"

_pg_log() { printf '[pg] %s\n' "$*" >&2; }

# Run a command as the cluster owner.
_pg_as_owner() {
    if [ "$(id -u)" -eq 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

# True if something accepts TCP connections on 127.0.0.1:$1 (or ss says it is bound).
_pg_port_busy() {
    local port="$1"
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
        return 0
    fi
    if command -v ss >/dev/null 2>&1; then
        if ss -Hltn "sport = :$port" 2>/dev/null | grep -q .; then
            return 0
        fi
    fi
    return 1
}

# Prints the first free port >= $1.
_pg_free_port() {
    local port="$1" limit=$(( $1 + 200 ))
    while [ "$port" -lt "$limit" ]; do
        if ! _pg_port_busy "$port"; then
            echo "$port"
            return 0
        fi
        port=$((port + 1))
    done
    _pg_log "no free port in $1..$limit"
    return 1
}

pg_start() {
    if [ -n "${PG_DIR:-}" ] && [ -d "${PG_DIR}" ]; then
        _pg_log "already started (PG_DIR=$PG_DIR)"
        return 0
    fi
    if [ ! -x "$PG_BIN/initdb" ] || [ ! -x "$PG_BIN/pg_ctl" ]; then
        _pg_log "PostgreSQL binaries not found in $PG_BIN (apt-get install postgresql)"
        return 1
    fi
    if [ "$(id -u)" -eq 0 ] && ! id postgres >/dev/null 2>&1; then
        _pg_log "running as root but there is no 'postgres' system user"
        return 1
    fi

    PG_DIR="$(mktemp -d "${TMPDIR:-/tmp}/switchboard-pg.XXXXXX")" || return 1
    PG_DATA="$PG_DIR/data"
    PG_SOCKDIR="$PG_DIR/sock"
    mkdir -p "$PG_SOCKDIR"
    if [ "$(id -u)" -eq 0 ]; then
        chown -R postgres:postgres "$PG_DIR"
    fi
    chmod 700 "$PG_DIR"
    export PG_DIR PG_DATA PG_SOCKDIR

    local locale_opt=(--no-locale)
    if locale -a 2>/dev/null | grep -qiE '^c\.utf-?8$'; then
        locale_opt=(--locale=C.UTF-8)
    fi
    if ! _pg_as_owner "$PG_BIN/initdb" -D "$PG_DATA" -U postgres -E UTF8 "${locale_opt[@]}" \
            --auth-local=trust --auth-host=scram-sha-256 --no-sync \
            >"$PG_DIR/initdb.log" 2>&1; then
        _pg_log "initdb failed:"
        cat "$PG_DIR/initdb.log" >&2
        pg_stop
        return 1
    fi

    # Probe for a free port; retry a few times in case another process grabs
    # the port between the probe and the server's bind().
    local attempt port="$PG_PORT_BASE" started=0
    for attempt in 1 2 3 4 5; do
        port="$(_pg_free_port "$port")" || break
        if _pg_as_owner "$PG_BIN/pg_ctl" -D "$PG_DATA" -l "$PG_DIR/server.log" -w -t 60 \
                -o "-p $port -k $PG_SOCKDIR -c listen_addresses=127.0.0.1 $PG_SERVER_SETTINGS -c max_connections=$PG_MAX_CONNECTIONS" \
                start >"$PG_DIR/pg_ctl.log" 2>&1; then
            started=1
            break
        fi
        _pg_log "start on port $port failed (attempt $attempt):"
        tail -n 5 "$PG_DIR/server.log" >&2 2>/dev/null || true
        port=$((port + 1))
    done
    if [ "$started" -ne 1 ]; then
        _pg_log "could not start PostgreSQL; server log:"
        cat "$PG_DIR/server.log" >&2 2>/dev/null || true
        pg_stop
        return 1
    fi

    PG_PORT="$port"
    export PG_PORT

    if ! "$PG_BIN/psql" -X -q -h "$PG_SOCKDIR" -p "$PG_PORT" -U postgres -d postgres -v ON_ERROR_STOP=1 \
            -c "CREATE ROLE \"$PG_TEST_USER\" LOGIN CREATEDB PASSWORD '$PG_TEST_PASSWORD'" \
            -c "CREATE DATABASE \"$PG_TEST_USER\" OWNER \"$PG_TEST_USER\"" >&2; then
        _pg_log "could not create role $PG_TEST_USER"
        pg_stop
        return 1
    fi

    PG_CONN="Host=127.0.0.1;Port=$PG_PORT;Username=$PG_TEST_USER;Password=$PG_TEST_PASSWORD"
    export PG_CONN
    _pg_log "PostgreSQL $("$PG_BIN/postgres" --version | awk '{print $3}') on 127.0.0.1:$PG_PORT (data $PG_DATA)"
    return 0
}

pg_stop() {
    if [ -z "${PG_DIR:-}" ]; then
        return 0
    fi
    if [ -f "$PG_DATA/postmaster.pid" ]; then
        _pg_as_owner "$PG_BIN/pg_ctl" -D "$PG_DATA" -m fast -w -t 60 stop >/dev/null 2>&1 \
            || _pg_as_owner "$PG_BIN/pg_ctl" -D "$PG_DATA" -m immediate -w -t 30 stop >/dev/null 2>&1 \
            || _pg_log "warning: pg_ctl stop failed"
    fi
    rm -rf "$PG_DIR"
    unset PG_DIR PG_DATA PG_SOCKDIR PG_PORT PG_CONN
    return 0
}
