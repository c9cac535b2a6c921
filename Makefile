# The two commands a new user needs: `make run` and `make test`.
# Another Python or a second environment: `make test PYTHON=python3.13 VENV=.venv-3.13`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEV_STAMP := $(VENV)/.installed-dev
# Pinned, hashed versions of every dependency, for every supported Python (`make lock`).
LOCK := requirements.lock
DEV_LOCK := requirements-dev.lock
LOCK_FLAGS := --universal --python-version 3.11 --generate-hashes --custom-compile-command "make lock"

.PHONY: run test lint install dev lock clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# The lock installs the dependencies; the project itself goes in without any (--no-deps),
# so nothing unpinned slips in.
$(STAMP): $(BIN)/python pyproject.toml $(LOCK)
	$(BIN)/pip install --quiet -r $(LOCK)
	$(BIN)/pip install --quiet --no-deps -e .
	touch $@

$(DEV_STAMP): $(BIN)/python pyproject.toml $(DEV_LOCK)
	$(BIN)/pip install --quiet -r $(DEV_LOCK)
	$(BIN)/pip install --quiet --no-deps -e .
	touch $@ $(STAMP)

install: $(STAMP)
dev: $(DEV_STAMP)

## run: install, migrate and start everything with demo data (Ctrl-C stops it all);
## UP_ARGS adds options of `reconcile up`, e.g. make run UP_ARGS="--api-port 9000"
run: $(STAMP)
	$(BIN)/reconcile up --demo $(UP_ARGS)

## test: install with the dev extras and run the whole suite
test: $(DEV_STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

## lint: ruff, mypy and the import layers (lint-imports: no upward imports, no circles)
lint: $(DEV_STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy reconcile api tasks celeryconfig.py
	$(BIN)/lint-imports

## lock: re-resolve both lock files from pyproject.toml (newest versions it allows)
lock: $(BIN)/python
	$(BIN)/pip install --quiet uv
	$(BIN)/uv pip compile pyproject.toml $(LOCK_FLAGS) --upgrade --quiet -o $(LOCK)
	$(BIN)/uv pip compile pyproject.toml --extra dev $(LOCK_FLAGS) --upgrade --quiet -o $(DEV_LOCK)

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
