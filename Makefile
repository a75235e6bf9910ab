# Credwatch: `make run` to start the portal and job consumer, `make test` to test.
# Every target sets up what it needs: venv, system packages, front-end assets,
# database migrations and demo data.

VENV    := .venv
BIN     := $(VENV)/bin
PYTHON  ?= python3
export FLASK_APP := portal

.PHONY: run test test-dates setup system system-test venv assets db bench lint clean help

help:
	@echo "make run    set everything up and start the portal + job consumer"
	@echo "make test   set everything up and run the test suite (SQLite, then PostgreSQL + Redis)"
	@echo "make test-dates  the SQLite suite on other days (100 days ahead, 29 February, a DST change)"
	@echo "make bench  run the benchmarks in bench/"

run: setup
	@$(BIN)/flask demo accounts
	@$(BIN)/flask demo certificates
	@echo "Portal: http://localhost:$${PORT:-5000}   (Ctrl-C stops the portal and the consumer)"
	@PORT=$${PORT:-5000} PORTAL_PORT=$${PORT:-5000} $(BIN)/honcho start -f Procfile

test: system-test venv assets
	@scripts/run-tests.sh

# The SQLite suite with the clock moved to 100 days ahead, the next 29 February
# and the next spring DST change (every test process agrees on the day).
test-dates: system-test venv assets
	@scripts/run-tests.sh --dates

setup: system venv assets db

system:
	@scripts/system-packages.sh run

system-test:
	@scripts/system-packages.sh test

venv: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install --quiet --upgrade pip
	@$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $@

assets: static/vendor/.installed

static/vendor/.installed: package.json package-lock.json scripts/copy-assets.sh
	@scripts/copy-assets.sh
	@touch $@

db: venv
	@$(BIN)/flask db upgrade heads
	@$(BIN)/flask demo seed --if-empty

bench: setup
	@for b in bench/*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

lint: venv
	@$(BIN)/python -m ruff check portal intake jobs tests bench 2>/dev/null || echo "(ruff not installed)"

clean:
	rm -rf $(VENV) node_modules static/vendor
