#!/usr/bin/env bash
# Start what the test suite needs beside Python, then print where to find it:
#
#     eval "$(scripts/test-services.sh)"
#
# 1. installs the Debian packages the tests use (chromium, ffmpeg, postgresql) when they are
#    missing and we are root (CI); otherwise says on stderr what to install and carries on;
# 2. starts a PostgreSQL server that runs as the `postgres` user (as root: the Debian cluster,
#    created with pg_createcluster when absent) or as you (not root: a private cluster under
#    ${TMPDIR:-/tmp} on a free port), with a role `moodtune` and a database `moodtune_test` that the
#    role owns (each test creates and drops a schema of its own in it);
# 3. prints ONLY `export MOODTUNE_TEST_DATABASE_URL=...` on stdout; everything else goes to stderr.
#    If PostgreSQL cannot be started it prints nothing on stdout, explains why on stderr and exits 1
#    (the postgres tests then skip, or fail under CI=true).
#
# Safe to run again and again: every step checks before it acts, and a running server is reused.
set -uo pipefail
exec 3>&1 1>&2 # stdout is for the export line only

PACKAGES=(chromium ffmpeg postgresql fonts-nanum) # fonts-nanum: Korean text in the page screenshots
ROLE=moodtune
PASSWORD=moodtune-test # a throwaway role on 127.0.0.1, for tests only
DATABASE=moodtune_test

say() { printf 'test-services: %s\n' "$*" >&2; }

# Run a command that leaves a server behind with none of our pipes: the server would otherwise
# inherit fd 3 (the `$(...)` pipe of the caller) and fd 2 (make's / CI's log), and whoever reads
# them would wait for an end of file that never comes while PostgreSQL runs. Its output is
# collected in a file and shown afterwards.
detached() {
    local out rc
    out=$(mktemp) || return 1
    "$@" </dev/null >"$out" 2>&1 3>&-
    rc=$?
    cat "$out" >&2
    rm -f "$out"
    return "$rc"
}

missing_packages() {
    local p
    for p in "${PACKAGES[@]}"; do
        dpkg-query -W -f='${db:Status-Status}\n' "$p" 2>/dev/null | grep -qx installed || echo "$p"
    done
}

install_packages() {
    if ! command -v dpkg-query >/dev/null; then
        say "not a Debian system: install ${PACKAGES[*]} yourself (the browser, video and postgres tests need them)"
        return
    fi
    local missing
    missing=$(missing_packages | tr '\n' ' ')
    missing=${missing% }
    [[ -z $missing ]] && return
    if [[ $(id -u) -ne 0 ]]; then
        say "missing Debian packages: $missing; run as root: apt-get install -y $missing" \
            "(tests that need them will skip)"
        return
    fi
    say "installing $missing (waiting for the dpkg lock if apt is busy)"
    # DPkg::Lock::Timeout makes apt wait for another apt/dpkg run instead of failing at once.
    local apt=(apt-get -o DPkg::Lock::Timeout=1800 -y -qq)
    # shellcheck disable=SC2086  # one word per package
    if ! DEBIAN_FRONTEND=noninteractive "${apt[@]}" install $missing >&2; then
        say "install failed; updating the package lists and trying once more"
        DEBIAN_FRONTEND=noninteractive "${apt[@]}" update >&2
        # shellcheck disable=SC2086
        DEBIAN_FRONTEND=noninteractive "${apt[@]}" install $missing >&2 ||
            say "could not install $missing: the tests that need them will skip or fail"
    fi
}

pg_bin() {
    # The newest installed server's binaries (Debian keeps them off PATH).
    local dir
    dir=$(find /usr/lib/postgresql -mindepth 2 -maxdepth 2 -name bin -type d 2>/dev/null | sort -V | tail -n 1)
    [[ -n $dir && -x $dir/postgres ]] && echo "$dir"
}

wait_ready() { # host port
    local i
    for i in $(seq 1 60); do
        "$BIN/pg_isready" -q -h "$1" -p "$2" && return 0
        sleep 0.5
    done
    return 1
}

# SQL that makes the role and the database exist, whatever state they are in.
setup_sql() {
    cat <<SQL
DO \$\$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$ROLE') THEN CREATE ROLE $ROLE; END IF;
END \$\$;
ALTER ROLE $ROLE WITH LOGIN PASSWORD '$PASSWORD';
-- Test data need not survive a crash: commits of this role do not wait for the disk.
ALTER ROLE $ROLE SET synchronous_commit = off;
SELECT 'CREATE DATABASE $DATABASE OWNER $ROLE'
  WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = '$DATABASE')\gexec
SQL
}

start_debian_cluster() { # as root: the Debian cluster, run by the postgres user; prints the port
    local version=$1 line status port
    line=$(pg_lsclusters -h | awk -v v="$version" '$1 == v { print; exit }')
    if [[ -z $line ]]; then
        say "creating the PostgreSQL $version cluster 'main'"
        detached pg_createcluster "$version" main || return 1
        line=$(pg_lsclusters -h | awk -v v="$version" '$1 == v { print; exit }')
    fi
    read -r _ cluster port status _ _ logfile <<<"$line"
    if [[ $status != online* ]]; then
        say "starting PostgreSQL $version/$cluster on port $port"
        if ! detached pg_ctlcluster "$version" "$cluster" start; then
            say "pg_ctlcluster failed; the end of $logfile:"
            tail -n 20 "$logfile" >&2 2>/dev/null
            return 1
        fi
    fi
    wait_ready 127.0.0.1 "$port" || { say "PostgreSQL on port $port does not answer"; return 1; }
    # As the postgres superuser over the Unix socket (peer authentication); cd / because the
    # postgres user may not be able to read the caller's directory.
    (cd / && setup_sql | runuser -u postgres -- psql -X -q -v ON_ERROR_STOP=1 -p "$port" -d postgres >&2) ||
        { say "could not create the role $ROLE or the database $DATABASE"; return 1; }
    echo "$port"
}

free_port() {
    python3 - <<'PY'
import socket
with socket.socket() as s:
    s.bind(("127.0.0.1", 0))
    print(s.getsockname()[1])
PY
}

start_private_cluster() { # not root: a cluster of our own, run by us; prints the port
    local dir=${TMPDIR:-/tmp}/moodtune-postgres-$(id -u) port
    if [[ ! -s $dir/data/PG_VERSION ]]; then
        say "creating a private PostgreSQL cluster in $dir"
        rm -rf "$dir" && mkdir -p "$dir" && chmod 700 "$dir" || return 1
        # Local (socket) logins are trusted: the socket lives in $dir, readable by us only.
        "$BIN/initdb" -D "$dir/data" -U postgres --auth-local=trust --auth-host=scram-sha-256 \
            -E UTF8 --no-instructions >&2 || return 1
    fi
    [[ -s $dir/port ]] || free_port >"$dir/port"
    port=$(cat "$dir/port")
    if ! "$BIN/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
        say "starting the private PostgreSQL cluster on 127.0.0.1:$port"
        detached "$BIN/pg_ctl" -D "$dir/data" -l "$dir/log" -w \
            -o "-p $port -k $dir -c listen_addresses=127.0.0.1" start ||
            { say "pg_ctl failed; the end of $dir/log:"; tail -n 20 "$dir/log" >&2; return 1; }
    fi
    wait_ready 127.0.0.1 "$port" || { say "PostgreSQL on port $port does not answer"; return 1; }
    setup_sql | "$BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$dir" -p "$port" -U postgres -d postgres >&2 ||
        { say "could not create the role $ROLE or the database $DATABASE"; return 1; }
    echo "$port"
}

start_postgres() { # prints the port
    [[ -n $BIN ]] || { say "PostgreSQL is not installed (Debian: apt-get install postgresql)"; return 1; }
    local version
    version=$(basename "$(dirname "$BIN")")
    if [[ $(id -u) -eq 0 ]]; then
        command -v pg_ctlcluster >/dev/null ||
            { say "as root this needs Debian's postgresql-common (pg_ctlcluster)"; return 1; }
        start_debian_cluster "$version"
    else
        start_private_cluster
    fi
}

install_packages
BIN=$(pg_bin)
if ! port=$(start_postgres) || [[ -z $port ]]; then
    say "PostgreSQL is not available: the postgres tests will skip (and fail under CI=true)"
    exit 1
fi
url="postgresql+psycopg://$ROLE:$PASSWORD@127.0.0.1:$port/$DATABASE"
if ! PGPASSWORD=$PASSWORD "$BIN/psql" -X -q -h 127.0.0.1 -p "$port" -U "$ROLE" -d "$DATABASE" \
    -c 'SELECT 1' >/dev/null; then
    say "PostgreSQL runs on port $port but $ROLE cannot log in over TCP (check pg_hba.conf)"
    exit 1
fi
say "PostgreSQL is ready: MOODTUNE_TEST_DATABASE_URL=${url/:$PASSWORD@/:***@}"
printf 'export MOODTUNE_TEST_DATABASE_URL=%s\n' "$url" >&3
