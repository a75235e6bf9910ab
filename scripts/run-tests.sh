#!/usr/bin/env bash
# The whole suite on the embedded defaults (SQLite + SqliteHuey), then again on
# PostgreSQL + RedisHuey when both answer. Extra arguments go to pytest.
#
# The suite must pass on any day, so the second pass runs with every test
# process's clock moved to another day (CREDWATCH_TEST_DAY, default: the next
# 29 February), ticking. `make test-dates` runs the SQLite pass on several
# such days. See scripts/test-clock.py for the day formats.
set -uo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.venv/bin:$PATH"
PG_URL="${CREDWATCH_TEST_PG_URL:-postgresql://postgres@127.0.0.1:5432/test}"
REDIS="${CREDWATCH_TEST_REDIS_URL:-redis://127.0.0.1:6379/15}"
SHIFTED_DAY="${CREDWATCH_TEST_DAY:-leap-day}"
unset DATABASE_URL REDIS_URL CREDWATCH_TEST_DATABASE_URL CREDWATCH_TEST_CLOCK_OFFSET

# Every Python process started from here (pytest, the isolated reader, workers
# a test starts) applies the same offset at interpreter start.
move_clock_to() {
  export CREDWATCH_TEST_CLOCK_OFFSET="$(python scripts/test-clock.py "$1")" || exit 2
  export PYTHONPATH="$PWD/tests/support/clock${PYTHONPATH:+:$PYTHONPATH}"
  echo "   (clock moved to $(python -c 'import datetime; print(datetime.datetime.now().isoformat(timespec="minutes"))'))"
}

if [ "${1:-}" = "--dates" ]; then
  shift
  for day in +100 leap-day dst; do
    echo "== SQLite + SqliteHuey on another day: $day"
    ( move_clock_to "$day"; pytest -q -p no:cacheprovider "$@" ) || exit $?
  done
  exit 0
fi

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
  echo "== Pass 2: PostgreSQL + RedisHuey ($PG_URL, $REDIS), on another day: $SHIFTED_DAY"
  move_clock_to "$SHIFTED_DAY"
  # The intake pipeline touches no database or queue; pass 1 covered it.
  CREDWATCH_TEST_DATABASE_URL="$PG_URL" REDIS_URL="$REDIS" pytest --ignore=tests/intake "$@"
  status=$?
  [ $status -eq 5 ] && { echo "No tests were collected."; exit 1; }
  exit $status
else
  echo "== Pass 2 SKIPPED: PostgreSQL ($PG_URL) or Redis ($REDIS) did not answer."
fi
