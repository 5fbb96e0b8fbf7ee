# `make run` installs and starts the app with demo data; `make test` installs and runs every check.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# What installs the locks: uv (itself pinned by hash in requirements-uv.lock), or pip on the same locks.
INSTALLER ?= uv
UV_STAMP := $(VENV)/.uv-installed
APP_STAMP := $(VENV)/.app-installed
STAMP := $(VENV)/.installed
# The locks are for this project's machines: CPython 3.11 on Linux x86_64 (3.11.0 and later; hashes of every file).
LOCK := $(BIN)/uv pip compile --quiet --generate-hashes --python-version 3.11 \
	--python-platform x86_64-unknown-linux-gnu --custom-compile-command 'make lock' $(LOCK_ARGS)

ifeq ($(INSTALLER),uv)
INSTALL_TOOL := $(UV_STAMP)
INSTALL := $(BIN)/uv pip install --quiet --python $(BIN)/python --require-hashes -r
else ifeq ($(INSTALLER),pip)
INSTALL_TOOL :=
INSTALL := $(BIN)/python -m pip install --quiet --require-hashes -r
else
$(error INSTALLER is uv or pip, not '$(INSTALLER)')
endif

# `make bench`: every speed figure of the app with its floor and ratio, in one run (bench/all.py).
.PHONY: run test pytest lint serve clean lock bench bench-speed bench-profile bench-listing bench-exports bench-mail bench-api \
	bench-instances bench-flood bench-busy bench-install bench-checkin bench-booking-mail bench-waitlist bench-seating bench-first-paint bench-clients \
	bench-ops

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# A new machine has only Python and pip: pip brings uv, checked against its hashes.
$(UV_STAMP): requirements-uv.lock | $(BIN)/python
	$(BIN)/python -m pip install --quiet --require-hashes --no-deps -r requirements-uv.lock
	touch $(UV_STAMP)

# The app alone for `make run`; the test tools on top of it for `make test` and the benchmarks. Each set comes
# from its lock, every file checked against its hash, and is installed again when its lock changes.
$(APP_STAMP): requirements.lock | $(BIN)/python $(INSTALL_TOOL)
	$(INSTALL) requirements.lock
	touch $(APP_STAMP)

$(STAMP): $(APP_STAMP) requirements-dev.lock | $(INSTALL_TOOL)
	$(INSTALL) requirements-dev.lock
	touch $(STAMP)

# Pins requirements*.txt (the ranges people edit) into requirements*.lock, keeping the versions already locked
# unless told otherwise: make lock LOCK_ARGS=--upgrade, or LOCK_ARGS='--upgrade-package nicegui'. The app's lock
# is taken from the test set's, so `make run` installs exactly the versions the tests ran with.
lock: $(UV_STAMP)
	$(LOCK) requirements-uv.txt -o requirements-uv.lock
	$(LOCK) requirements-dev.txt -o requirements-dev.lock
	$(LOCK) requirements.txt -c requirements-dev.lock -o requirements.lock

run: $(APP_STAMP)
	TICKETSHOW_DEMO_DATA=$${TICKETSHOW_DEMO_DATA:-on} $(BIN)/python main.py

serve: $(APP_STAMP)
	$(BIN)/python main.py

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

test: lint pytest

# The suite without the linters: .ci/run's PostgreSQL run, which goes beside `make test`'s SQLite one.
pytest: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache

bench: $(STAMP)
	$(BIN)/python -m bench.all $(BENCH_ARGS)

bench-speed: $(STAMP)
	$(BIN)/python -m bench.speed $(BENCH_ARGS)

bench-profile: $(STAMP)
	$(BIN)/python -m bench.profile $(BENCH_ARGS)

bench-listing: $(STAMP)
	$(BIN)/python -m bench.listing $(BENCH_ARGS)

bench-exports: $(STAMP)
	$(BIN)/python -m bench.exports $(BENCH_ARGS)

bench-mail: $(STAMP)
	$(BIN)/python -m bench.mail $(BENCH_ARGS)

bench-api: $(STAMP)
	$(BIN)/python -m bench.api $(BENCH_ARGS)

bench-instances: $(STAMP)
	$(BIN)/python -m bench.instances $(BENCH_ARGS)

bench-busy: $(STAMP)
	$(BIN)/python -m bench.busy $(BENCH_ARGS)

bench-flood: $(STAMP)
	$(BIN)/python -m bench.flood $(BENCH_ARGS)

bench-first-paint: $(STAMP)
	$(BIN)/python -m bench.first_paint $(BENCH_ARGS)

# Memory and CPU per connected browser, and what a crawler's page views leave (BENCH_ARGS='--crawl-seconds 60').
bench-ops: $(STAMP)
	$(BIN)/python -m bench.ops $(BENCH_ARGS)

bench-clients: $(STAMP)
	$(BIN)/python -m bench.clients $(BENCH_ARGS)

bench-checkin: $(STAMP)
	$(BIN)/python -m bench.checkin $(BENCH_ARGS)

bench-booking-mail: $(STAMP)
	$(BIN)/python -m bench.booking_mail $(BENCH_ARGS)

bench-waitlist: $(STAMP)
	$(BIN)/python -m bench.waitlist $(BENCH_ARGS)

bench-seating: $(STAMP)
	$(BIN)/python -m bench.seating $(BENCH_ARGS)

# Clone to serving with cold caches, uv against pip; needs no venv (the system's python3 runs it).
bench-install:
	$(PYTHON) -m bench.install $(BENCH_ARGS)
