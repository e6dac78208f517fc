#!/usr/bin/env bash
# Start the machine's PostgreSQL cluster for the store tests and print the URL they use.
#
# Runs as root on Debian 12 (Debian's `postgresql` package). Idempotent: run it as often as
# you like. It starts (or creates) a cluster that listens on loopback only, makes a role
# `netmon_test` and a database `netmon_test` owned by it, waits until that role can log in over
# TCP on 127.0.0.1, and prints exactly one line on stdout:
#
#   export NETMON_TEST_PG_URL=postgresql+psycopg://netmon_test:PASSWORD@127.0.0.1:PORT/netmon_test
#
# so that `eval "$(bash .ci/postgres.sh)"` sets it. Everything else goes to stderr.
set -euo pipefail

# Keep the real stdout on fd 3 for the one export line; all chatter goes to stderr.
exec 3>&1 1>&2

ROLE=netmon_test
DATABASE=netmon_test
# The password is made once and kept, so that URLs exported by earlier runs stay valid.
PASSWORD_FILE=/var/lib/postgresql/netmon_test.password

if [ "$(id -u)" -ne 0 ]; then
    echo "postgres.sh: run me as root (it starts the cluster and becomes the postgres user)"
    exit 1
fi

if ! command -v pg_lsclusters >/dev/null 2>&1; then
    echo "postgres.sh: installing Debian's postgresql package"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql
fi

# First cluster listed: "VERSION NAME PORT STATUS OWNER DATADIR LOGFILE".
cluster_line() { pg_lsclusters --no-header 2>/dev/null | head -n 1; }

if [ -z "$(cluster_line)" ]; then
    version=$(ls /usr/lib/postgresql | sort -V | tail -n 1)
    echo "postgres.sh: no cluster yet, creating $version/main (listens on localhost only)"
    pg_createcluster "$version" main 3>&- </dev/null
fi
read -r version name port status _ < <(cluster_line)

# Debian's default listen_addresses is 'localhost' (127.0.0.1 and ::1). Refuse to start a
# cluster that someone configured to listen elsewhere: the tests may only use loopback.
listen=$(pg_conftool "$version" "$name" show listen_addresses 2>/dev/null \
    | sed -E "s/^[^=]*= *'?([^']*)'?.*$/\1/" || true)
case "${listen:-localhost}" in
    localhost | 127.0.0.1 | "127.0.0.1,::1" | "localhost,127.0.0.1") ;;
    *)
        echo "postgres.sh: cluster $version/$name has listen_addresses='$listen';" \
            "the tests need a loopback-only cluster (listen_addresses = 'localhost')"
        exit 1
        ;;
esac

case "$status" in
    online*) echo "postgres.sh: cluster $version/$name already running on port $port" ;;
    *)
        echo "postgres.sh: starting cluster $version/$name on port $port"
        # The server outlives this script: it must not inherit fd 3. If it did, a caller that
        # reads our stdout through a pipe (`$(...)`) would wait for EOF for as long as
        # PostgreSQL runs, which is what hung a CI run until its time limit.
        pg_ctlcluster "$version" "$name" start 3>&- </dev/null
        ;;
esac

for _ in $(seq 1 120); do
    pg_isready -q -h 127.0.0.1 -p "$port" && break
    sleep 0.5
done
pg_isready -h 127.0.0.1 -p "$port"

if [ ! -s "$PASSWORD_FILE" ]; then
    (umask 077 && head -c 18 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$PASSWORD_FILE")
fi
password=$(cat "$PASSWORD_FILE")

as_postgres() { runuser -u postgres -- "$@"; }

# The password is hex, so it needs no quoting in SQL or in the URL.
as_postgres psql -q -v ON_ERROR_STOP=1 -p "$port" -d postgres <<SQL
DO \$\$
BEGIN
    IF EXISTS (SELECT FROM pg_roles WHERE rolname = '$ROLE') THEN
        ALTER ROLE $ROLE LOGIN PASSWORD '$password';
    ELSE
        CREATE ROLE $ROLE LOGIN PASSWORD '$password';
    END IF;
END
\$\$;
SQL

if [ -z "$(as_postgres psql -tA -p "$port" -d postgres \
    -c "SELECT 1 FROM pg_database WHERE datname = '$DATABASE'")" ]; then
    as_postgres createdb -p "$port" -O "$ROLE" "$DATABASE"
fi

# Prove the URL works exactly as the tests will use it: TCP on loopback, password auth.
ok=
for _ in $(seq 1 60); do
    if PGPASSWORD=$password psql -q -h 127.0.0.1 -p "$port" -U "$ROLE" -d "$DATABASE" \
        -c 'SELECT 1' >/dev/null 2>&1; then
        ok=1
        break
    fi
    sleep 0.5
done
if [ -z "$ok" ]; then
    echo "postgres.sh: $ROLE cannot log in to $DATABASE on 127.0.0.1:$port"
    exit 1
fi

echo "postgres.sh: ready: $DATABASE on 127.0.0.1:$port"
echo "export NETMON_TEST_PG_URL=postgresql+psycopg://$ROLE:$password@127.0.0.1:$port/$DATABASE" >&3
