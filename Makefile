# The two commands a new user needs: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEV_STAMP := $(VENV)/.installed-dev

.PHONY: run test lint install dev clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet -e .
	touch $@

$(DEV_STAMP): $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet -e '.[dev]'
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

## lint: ruff and mypy
lint: $(DEV_STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy reconcile api tasks celeryconfig.py

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
