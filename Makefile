# smsstats_nb: make demo | make test | make lab | make bench
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
# 5 workers on 2 cores: the suite waits on sockets, subprocesses and real windows about a third of the time
# (measured here: 4 workers 116 s, 5 workers 105 s, 6 slower); each notebook and test file stays on one worker
PYTEST_WORKERS ?= 5
PYTEST_ARGS ?=

.PHONY: demo test test-fast lint typecheck pytest lab bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed-base: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $@ $(VENV)/.installed-base

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $@ $(VENV)/.installed-test $(VENV)/.installed-base

## demo: install, start the embedded demo server, fetch a month, print it, write CSV + PNG
demo: $(VENV)/.installed-base
	$(BIN)/smsstats demo

## test: install the test extra, then lint, type check and the whole suite
test: $(VENV)/.installed-test lint typecheck pytest

lint: $(VENV)/.installed-test
	$(BIN)/ruff check smsstats_nb tests benchmarks
	$(BIN)/ruff format --check smsstats_nb tests benchmarks
	$(BIN)/lint-imports --no-cache

typecheck: $(VENV)/.installed-test
	$(BIN)/mypy

pytest: $(VENV)/.installed-test
	@start=$$(date +%s); \
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) --dist loadfile $(PYTEST_ARGS); status=$$?; \
	echo "pytest wall time: $$(( $$(date +%s) - start )) s (budget: 120 s)"; exit $$status

## test-fast: the suite without the tests marked slow (real windows, subprocess workers)
test-fast: $(VENV)/.installed-test
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) --dist loadfile -m "not slow" $(PYTEST_ARGS)

## lab: JupyterLab on notebooks/
lab: $(VENV)/.installed-dev
	$(BIN)/jupyter lab notebooks/

## bench: print the performance figures
bench: $(VENV)/.installed-test
	$(BIN)/python benchmarks/run_all.py

clean:
	rm -rf $(VENV) smsstats-demo-output .pytest_cache .mypy_cache .ruff_cache
