#!/usr/bin/env bash
# The whole suite, as `make test` and CI run it: lint, import contracts, then every test
# against SQLite and again against a throw-away PostgreSQL, browser tests included.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=.venv/bin

bash scripts/ensure-test-deps.sh

echo "== lint"
$bin/ruff check .
$bin/lint-imports --no-cache

pgdir=$(mktemp -d -t staffbank-pg.XXXXXX)
pgport=${PGTEST_PORT:-$((20000 + RANDOM % 20000))}
trap 'bash scripts/test-postgres.sh stop "$pgdir"' EXIT
pgurl=$(bash scripts/test-postgres.sh start "$pgdir" "$pgport")

status=0
echo "== tests on SQLite"
$bin/pytest -p no:cacheprovider -n 2 --dist loadgroup "$@" || status=$?
echo "== tests on PostgreSQL ($pgurl)"
TEST_DATABASE_URL=$pgurl $bin/pytest -p no:cacheprovider -n 2 --dist loadgroup "$@" || status=$?
exit $status
