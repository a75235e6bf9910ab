#!/usr/bin/env bash
# The whole suite on the embedded defaults (SQLite + SqliteHuey), then again on
# PostgreSQL + RedisHuey when both answer. Extra arguments go to pytest.
set -uo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.venv/bin:$PATH"
PG_URL="${CREDWATCH_TEST_PG_URL:-postgresql://postgres@127.0.0.1:5432/test}"
REDIS="${CREDWATCH_TEST_REDIS_URL:-redis://127.0.0.1:6379/15}"
unset DATABASE_URL REDIS_URL CREDWATCH_TEST_DATABASE_URL

echo "== Pass 1: SQLite + SqliteHuey"
pytest --durations=15 "$@"
status=$?
[ $status -eq 5 ] && { echo "No tests were collected."; exit 1; }
[ $status -ne 0 ] && exit $status

engines_answer() {
  python - "$PG_URL" "$REDIS" <<'PY'
import sys
try:
    import psycopg, redis
    psycopg.connect(sys.argv[1].replace("+psycopg", ""), connect_timeout=3).close()
    redis.Redis.from_url(sys.argv[2], socket_connect_timeout=3).ping()
except Exception as exc:
    print(f"   ({exc.__class__.__name__}: {exc})")
    sys.exit(1)
PY
}

if engines_answer; then
  echo "== Pass 2: PostgreSQL + RedisHuey ($PG_URL, $REDIS)"
  # The intake pipeline touches no database or queue; pass 1 covered it.
  CREDWATCH_TEST_DATABASE_URL="$PG_URL" REDIS_URL="$REDIS" pytest --ignore=tests/intake "$@"
  status=$?
  [ $status -eq 5 ] && { echo "No tests were collected."; exit 1; }
  exit $status
else
  echo "== Pass 2 SKIPPED: PostgreSQL ($PG_URL) or Redis ($REDIS) did not answer."
fi
