PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEV_STAMP := $(VENV)/.installed-dev

PORT ?= 8000

.PHONY: run test test-slow lint typecheck docs clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip setuptools wheel

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(DEV_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP) $@

# the HTTP API on 127.0.0.1:$(PORT) (default 8000) with the shipped rules and a local SQLite decision log (./clearance.db);
# on the first run it prints a new submitter key (once: keep it)
run: $(STAMP)
	$(BIN)/clearance keys create --role submitter --label "make run" --only-if-none
	$(BIN)/clearance serve --port $(PORT)

lint: $(DEV_STAMP)
	$(BIN)/ruff check engine api tests benchmarks examples
	$(BIN)/ruff format --check engine api tests benchmarks examples
	$(BIN)/mypy engine api
	$(BIN)/lint-imports

test: $(DEV_STAMP) lint
	$(BIN)/python -m pytest -m "not slow"

# the long differential and oracle runs (minutes); CI runs them after `make test`
test-slow: $(DEV_STAMP)
	$(BIN)/python -m pytest -m slow

# run README.md and docs/ and write the output each command prints now into them (`make test` checks it)
docs: $(DEV_STAMP)
	$(BIN)/python -m tests.docs --write

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
