#!/usr/bin/env bash
# A throwaway PostgreSQL 15 server for the storage tests.
#
#   .ci/postgres.sh start   # init + start (idempotent), prints the URL
#   .ci/postgres.sh url     # prints the URL
#   .ci/postgres.sh stop    # stop and delete everything (idempotent)
#
#   export MUSBOT_TEST_POSTGRES_URL=$(.ci/postgres.sh start)
#
# Listens on 127.0.0.1:$PGPORT (default 54329) with trust auth on loopback only, keeps its data
# in a temporary directory, and runs as the `postgres` user when started by root (initdb and
# postgres refuse to run as root). fsync is off: the data is thrown away anyway.
set -euo pipefail

PGPORT="${PGPORT:-54329}"
PG_MAJOR="${PG_MAJOR:-15}"
PGBIN="${PGBIN:-/usr/lib/postgresql/$PG_MAJOR/bin}"
BASE="${MUSBOT_PG_DIR:-${TMPDIR:-/tmp}/musbot-pg-$PGPORT}"
DATA="$BASE/data"
URL="postgresql://postgres@127.0.0.1:$PGPORT/postgres"

log() { echo "postgres.sh: $*" >&2; }

# Run a PostgreSQL binary as the server's owner.
as_owner() {
    if [ "$(id -u)" = 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

ensure_binaries() {
    [ -x "$PGBIN/pg_ctl" ] && return
    if [ "$(id -u)" != 0 ]; then
        log "no PostgreSQL in $PGBIN and not root: install postgresql-$PG_MAJOR, or set PGBIN"
        exit 1
    fi
    log "installing PostgreSQL $PG_MAJOR (apt-get)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    # Only the binaries: tell Debian's postgresql-common not to create its own main cluster.
    apt-get install -y -qq --no-install-recommends postgresql-common >&2
    sed -i 's/^#\?\s*create_main_cluster.*/create_main_cluster = false/' \
        /etc/postgresql-common/createcluster.conf
    apt-get install -y -qq --no-install-recommends "postgresql-$PG_MAJOR" >&2 \
        || apt-get install -y -qq --no-install-recommends postgresql >&2
    if [ ! -x "$PGBIN/pg_ctl" ]; then
        log "PostgreSQL $PG_MAJOR is not in $PGBIN after installing; set PGBIN"
        exit 1
    fi
}

ensure_owner() {
    [ "$(id -u)" = 0 ] || return 0
    id postgres >/dev/null 2>&1 && return
    log "creating the postgres system user"
    useradd --system --user-group --home-dir /var/lib/postgresql --shell /bin/bash postgres
}

running() {
    [ -f "$DATA/PG_VERSION" ] && as_owner "$PGBIN/pg_ctl" -D "$DATA" status >/dev/null 2>&1
}

start() {
    ensure_binaries
    ensure_owner
    if running; then
        echo "$URL"
        return
    fi
    if [ ! -f "$DATA/PG_VERSION" ]; then
        rm -rf "$BASE"
        mkdir -p "$BASE"
        [ "$(id -u)" = 0 ] && chown postgres:postgres "$BASE"
        chmod 700 "$BASE"
        as_owner "$PGBIN/initdb" -D "$DATA" -U postgres --auth=trust --encoding=UTF8 \
            --locale=C.UTF-8 >"$BASE/initdb.log" 2>&1 || {
            cat "$BASE/initdb.log" >&2
            exit 1
        }
    fi
    # A server killed without stop leaves its pid file; pg_ctl copes, the socket dir is ours.
    as_owner "$PGBIN/pg_ctl" -D "$DATA" -l "$BASE/server.log" -w -t 60 start \
        -o "-c listen_addresses=127.0.0.1 -p $PGPORT -k $BASE -c fsync=off \
            -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
        >/dev/null || {
        log "server did not start; its log:"
        cat "$BASE/server.log" >&2 || true
        exit 1
    }
    echo "$URL"
}

stop() {
    if [ -x "$PGBIN/pg_ctl" ] && running; then
        as_owner "$PGBIN/pg_ctl" -D "$DATA" -m fast -w stop >/dev/null
    fi
    rm -rf "$BASE"
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    url) echo "$URL" ;;
    *)
        echo "usage: $0 start|stop|url" >&2
        exit 2
        ;;
esac
