# `make run` installs and starts the app with demo data; `make test` installs and runs every check.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
APP_STAMP := $(VENV)/.app-installed
STAMP := $(VENV)/.installed

.PHONY: run test lint serve clean bench-listing bench-exports bench-mail bench-api bench-instances bench-flood bench-busy

# The app alone for `make run`; the test tools on top of it for `make test` and the benchmarks.
$(APP_STAMP): requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $(APP_STAMP)

$(STAMP): $(APP_STAMP) requirements-dev.txt
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

run: $(APP_STAMP)
	TICKETSHOW_DEMO_DATA=$${TICKETSHOW_DEMO_DATA:-on} $(BIN)/python main.py

serve: $(APP_STAMP)
	$(BIN)/python main.py

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

test: lint
	$(BIN)/python -m pytest $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache

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
