#!/usr/bin/env bash
# Start a local PostgreSQL for the store tests and print the
# TEST_DATABASE_URL to use on the last line of output.
#
# Run as root on Debian 12. The script installs Debian's postgresql package
# when it is missing, starts the first cluster, makes it listen on 127.0.0.1
# only, and creates a login role and a database owned by it. Running it
# again changes nothing and prints the same URL.
#
# Settings (environment variables):
#   PG_TEST_USER      role name      (default paperspace)
#   PG_TEST_PASSWORD  role password  (default paperspace; a test-only secret)
#   PG_TEST_DB        database name  (default paperspace_test)
#   PG_WAIT_SECONDS   how long to wait for the server to accept connections
#                     (default 60)
#
# Usage:
#   export TEST_DATABASE_URL="$(.ci/start-postgres.sh | tail -n 1)"
#   go test -race -count=1 ./store/...
set -euo pipefail

user="${PG_TEST_USER:-paperspace}"
password="${PG_TEST_PASSWORD:-paperspace}"
database="${PG_TEST_DB:-paperspace_test}"
wait_seconds="${PG_WAIT_SECONDS:-60}"

log() { echo "start-postgres: $*" >&2; }
fail() { log "error: $*"; exit 1; }

[[ "$(id -u)" == 0 ]] || fail "run as root, because the script installs packages and starts the cluster as user postgres"

# Names go into SQL and the URL unquoted, so allow only plain identifiers.
for name in "$user" "$database"; do
  [[ "$name" =~ ^[a-z_][a-z0-9_]*$ ]] || fail "invalid name '$name': use lower-case letters, digits and underscores"
done
[[ "$password" != *"'"* ]] || fail "PG_TEST_PASSWORD must not contain a single quote"

if ! command -v pg_lsclusters >/dev/null || ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
  log "installing PostgreSQL from Debian's packages"
  apt-get update
  DEBIAN_FRONTEND=noninteractive apt-get install -y postgresql
fi

# The postgresql package creates a cluster "main"; create one if it was
# dropped since.
if [[ -z "$(pg_lsclusters --no-header)" ]]; then
  version="$(ls /usr/lib/postgresql | sort -V | tail -n 1)"
  log "creating cluster $version/main"
  pg_createcluster "$version" main
fi
read -r version cluster port status _ < <(pg_lsclusters --no-header | head -n 1)

# Debian's default listen_addresses is localhost, which includes ::1. The
# tests need only 127.0.0.1.
conf="/etc/postgresql/$version/$cluster/conf.d/paperspace-bot-tests.conf"
want_conf="listen_addresses = '127.0.0.1'"
if [[ ! -f "$conf" ]] || [[ "$(cat "$conf")" != "$want_conf" ]]; then
  log "writing $conf"
  echo "$want_conf" >"$conf"
  if [[ "$status" == online* ]]; then
    pg_ctlcluster "$version" "$cluster" restart
  fi
fi

status="$(pg_lsclusters --no-header | awk -v v="$version" -v c="$cluster" '$1 == v && $2 == c { print $4 }')"
if [[ "$status" != online* ]]; then
  log "starting cluster $version/$cluster on port $port"
  pg_ctlcluster "$version" "$cluster" start
fi

log "waiting up to ${wait_seconds}s for 127.0.0.1:$port"
deadline=$((SECONDS + wait_seconds))
until pg_isready -q -h 127.0.0.1 -p "$port"; do
  if ((SECONDS >= deadline)); then
    fail "PostgreSQL did not accept connections on 127.0.0.1:$port within ${wait_seconds}s; see /var/log/postgresql/postgresql-$version-$cluster.log"
  fi
  sleep 1
done

psql_admin() {
  runuser -u postgres -- psql -X -q -v ON_ERROR_STOP=1 -p "$port" "$@"
}

# The role's password is set on every run, so a changed PG_TEST_PASSWORD
# takes effect.
if [[ "$(psql_admin -tA -c "SELECT 1 FROM pg_roles WHERE rolname = '$user'")" != 1 ]]; then
  log "creating role $user"
  psql_admin -c "CREATE ROLE $user LOGIN"
fi
psql_admin -c "ALTER ROLE $user WITH LOGIN PASSWORD '$password'"

if [[ "$(psql_admin -tA -c "SELECT 1 FROM pg_database WHERE datname = '$database'")" != 1 ]]; then
  log "creating database $database"
  psql_admin -c "CREATE DATABASE $database OWNER $user"
fi

url="postgres://$user:$password@127.0.0.1:$port/$database?sslmode=disable"

# Check the URL the tests will use, over TCP with the password.
PGPASSWORD="$password" psql -X -q -h 127.0.0.1 -p "$port" -U "$user" -d "$database" -c "SELECT 1" >/dev/null ||
  fail "cannot log in as $user to $database on 127.0.0.1:$port"

log "ready"
echo "$url"
