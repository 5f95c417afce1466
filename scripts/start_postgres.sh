#!/usr/bin/env bash
# Start the local PostgreSQL cluster if it is down and make sure the current user is a superuser role.
set -euo pipefail
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
if ! pg_isready -q 2>/dev/null; then
    if command -v pg_ctlcluster >/dev/null 2>&1; then
        read -r version cluster _ < <(pg_lsclusters -h | head -n 1)
        $SUDO pg_ctlcluster "$version" "$cluster" start || $SUDO service postgresql start
    else
        $SUDO service postgresql start
    fi
    for _ in $(seq 1 30); do pg_isready -q && break; sleep 1; done
fi
me=$(id -un)
if ! psql -d postgres -tAc "select 1" >/dev/null 2>&1; then
    $SUDO -u postgres psql -q -c "CREATE ROLE \"$me\" SUPERUSER LOGIN" 2>/dev/null \
        || su postgres -c "psql -q -c 'CREATE ROLE \"$me\" SUPERUSER LOGIN'"
fi
