# Two commands: `make run` and `make test`. Everything else they need, they install.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
export FLASK_APP := wsgi
# `make run PORT=8000` serves on another port.
PORT ?= 5000

.PHONY: run test lint lock chromium slapd bench bench-seed bench-repeated wrk

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# The lock files pin every package with its hashes; pip refuses anything else.
$(VENV)/.runtime-installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet --require-hashes -r requirements.txt
	touch $@

$(VENV)/.test-installed: requirements.txt requirements-test.txt | $(BIN)/python
	$(BIN)/pip install --quiet --require-hashes -r requirements-test.txt
	touch $(VENV)/.runtime-installed $@

# `make lock`: compile requirements.in / requirements-test.in into the lock files with hashes (pip-tools in a
# venv of its own). Add or change a dependency in the .in file, run this, commit the three files together.
LOCK_VENV := .venv-lock
PIP_COMPILE = CUSTOM_COMPILE_COMMAND="make lock" $(LOCK_VENV)/bin/pip-compile --quiet --generate-hashes \
	--allow-unsafe --strip-extras --no-emit-index-url --no-emit-find-links
lock:
	@test -x $(LOCK_VENV)/bin/pip-compile || { $(PYTHON) -m venv $(LOCK_VENV) && \
	  $(LOCK_VENV)/bin/pip install --quiet pip-tools==7.6.2; }
	$(PIP_COMPILE) -o requirements.txt requirements.in
	$(PIP_COMPILE) -o requirements-test.txt requirements-test.in

run: $(VENV)/.runtime-installed
	$(FLASK) db upgrade
	$(FLASK) cop demo --if-empty
	@echo ""
	@echo "cop is running on http://127.0.0.1:$(PORT)  (Ctrl+C to stop)"
	COP_BASE_URL=$${COP_BASE_URL:-http://127.0.0.1:$(PORT)} COP_WORKERS=$${COP_WORKERS:-2} \
	  $(BIN)/gunicorn -c python:cop.gunicorn_conf --bind 127.0.0.1:$(PORT) --access-logfile - wsgi:app

chromium:
	@if [ ! -x /usr/bin/chromium ]; then \
	  if [ "$$(id -u)" = "0" ]; then \
	    echo "Installing Debian's chromium for the browser tests..."; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else \
	    echo "Chromium is missing: run 'sudo apt-get install chromium' (browser tests will be skipped outside CI)."; \
	  fi; \
	fi

# OpenLDAP for the LDAP sign-in tests: each test module starts its own slapd on a loopback port.
slapd:
	@if [ ! -x /usr/sbin/slapd ] || ! command -v ldapwhoami >/dev/null; then \
	  if [ "$$(id -u)" = "0" ]; then \
	    echo "Installing Debian's slapd and ldap-utils for the LDAP sign-in tests..."; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq slapd ldap-utils >/dev/null; \
	  else \
	    echo "slapd is missing: run 'sudo apt-get install slapd ldap-utils' (LDAP tests will be skipped outside CI)."; \
	  fi; \
	fi

# The suite runs on every core; module-scoped fixtures (live servers, search worlds) stay in one worker.
PYTEST_ARGS ?= -n auto --dist loadscope

# Lint and type-check before the tests (rules and the mypy settings are in pyproject.toml).
lint: $(VENV)/.test-installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

test: lint chromium slapd
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# `make bench`: seed (once) and benchmark every main page under gunicorn; see bench/RESULTS.md.
# BENCH_SIZE=small|medium|large; BENCH_DIR holds the SQLite file and its search index;
# BENCH_DATABASE_URL=postgresql+psycopg://... benchmarks PostgreSQL instead (seeded once the same way).
BENCH_SIZE ?= large
BENCH_DIR ?= $(CURDIR)/instance/bench-$(BENCH_SIZE)
BENCH_DATABASE_URL ?= sqlite:///$(BENCH_DIR)/cop.db
BENCH_ENV = COP_DATABASE_URL=$(BENCH_DATABASE_URL) COP_INSTANCE_PATH=$(BENCH_DIR) \
	COP_SEARCH_INDEX_DIR=$(BENCH_DIR)/search_index

wrk:
	@if ! command -v wrk >/dev/null; then \
	  if [ "$$(id -u)" = "0" ]; then \
	    echo "Installing Debian's wrk for the benchmark..."; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null || true; \
	  else \
	    echo "wrk is missing ('sudo apt-get install wrk'); using the slower Python load client."; \
	  fi; \
	fi

# `make bench` is cold: distinct URLs per page type, each asked once, beside the floor (bench/cold.py).
# BENCH_ARGS="--per-type 20 --pages thread,search-rare --no-warm --write-seconds 0" runs a quick subset.
# `make bench-repeated` is the older harness (one URL per page repeated under wrk: the warm figures).
BENCH_ARGS ?=
bench-seed: $(VENV)/.runtime-installed
	@mkdir -p $(BENCH_DIR)
	@if [ ! -f $(BENCH_DIR)/seeded ]; then \
	  $(BENCH_ENV) $(FLASK) db upgrade && \
	  started=$$(date +%s) && \
	  $(BENCH_ENV) $(FLASK) cop seed --size $(BENCH_SIZE) | tee $(BENCH_DIR)/seed.log && \
	  echo "{\"size\": \"$(BENCH_SIZE)\", \"seed_and_index_seconds\": $$(( $$(date +%s) - started )), \"log\": \"$$(tail -1 $(BENCH_DIR)/seed.log | cut -c1-120)\"}" > $(BENCH_DIR)/seed.json && \
	  touch $(BENCH_DIR)/seeded; \
	fi

bench: bench-seed
	$(BENCH_ENV) $(BIN)/python -m bench.cold --label cold-$(BENCH_SIZE)-$$(echo $(BENCH_DATABASE_URL) | cut -d: -f1 | cut -d+ -f1) $(BENCH_ARGS)

bench-repeated: bench-seed wrk
	$(BENCH_ENV) $(BIN)/python -m bench.harness --label $(BENCH_SIZE)-$$(echo $(BENCH_DATABASE_URL) | cut -d: -f1 | cut -d+ -f1) $(BENCH_ARGS)
