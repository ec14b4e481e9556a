#!/usr/bin/env bash
# Start the PostgreSQL cluster if it is down and make sure the `alliance` role
# (LOGIN, CREATEDB) and the databases named as arguments exist. Root only.
set -euo pipefail
PG_VERSION=$(ls /etc/postgresql | sort -n | tail -n 1)
if ! pg_lsclusters --no-header | awk '$4 == "online"' | grep -q .; then
  echo "== starting PostgreSQL $PG_VERSION"
  pg_ctlcluster --skip-systemctl-redirect "$PG_VERSION" main start
fi
for _ in $(seq 1 30); do
  su postgres -c "psql -tAc 'SELECT 1'" >/dev/null 2>&1 && break
  sleep 1
done
if [ "$(su postgres -c "psql -tAc \"SELECT 1 FROM pg_roles WHERE rolname = 'alliance'\"")" != "1" ]; then
  su postgres -c "psql -q -c \"CREATE ROLE alliance LOGIN PASSWORD 'alliance' CREATEDB\""
fi
for db in "$@"; do
  if [ "$(su postgres -c "psql -tAc \"SELECT 1 FROM pg_database WHERE datname = '$db'\"")" != "1" ]; then
    su postgres -c "createdb -O alliance $db"
  fi
done
