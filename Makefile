# smsstats_nb: make demo | make test | make lab | make bench
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
# 3 workers on 2 cores: the suite waits on sockets, subprocesses and real windows part of the time, but
# since the served dashboard and the reports it is mostly CPU (Voilà kernels, Chromium): measured here with
# the 1,029 tests, 2 workers 138 s, 3 workers 120 and 126 s, 4 workers 123 and 129 s, 5 workers 147-156 s;
# each notebook and test file stays on one worker
PYTEST_WORKERS ?= 3
# test-fast has no kernels or browsers waiting: fewer workers than the 2 cores x waits of the full run
FAST_WORKERS ?= 3
PYTEST_ARGS ?=

.PHONY: demo test test-fast lint typecheck pytest lab my-notebooks bench i18n clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed-base: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $@ $(VENV)/.installed-base

$(VENV)/.installed-lab: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[lab]"
	touch $@ $(VENV)/.installed-base

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $@ $(VENV)/.installed-test $(VENV)/.installed-base $(VENV)/.installed-lab

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

## test-fast: the suite without the tests marked slow (real windows, subprocesses, the browser, the notebooks)
test-fast: $(VENV)/.installed-test
	$(BIN)/python -m pytest -n $(FAST_WORKERS) --dist loadfile -m "not slow" $(PYTEST_ARGS)

# JupyterLab refuses to run as root unless told; a container often is root
LAB_ROOT := $(shell [ "$$(id -u)" = 0 ] && echo --allow-root)

## lab: the notebook tools only (JupyterLab, Voila, a kernel), then JupyterLab on notebooks/ (the demo);
## with SMSC credentials in the environment it opens copies in my-notebooks/ instead (git ignores them)
lab: $(VENV)/.installed-lab
	@if [ -n "$$SMSC_LOGIN$$SMSC_APIKEY" ]; then \
	  echo "SMSC credentials are set: opening copies in my-notebooks/ (ignored by git), so your figures stay out of notebooks/"; \
	  $(MAKE) --no-print-directory my-notebooks; \
	else $(BIN)/jupyter lab $(LAB_ROOT) notebooks/; fi

## my-notebooks: copies of the notebooks, without outputs, in my-notebooks/ (git ignores it), opened in JupyterLab
my-notebooks: $(VENV)/.installed-lab
	@mkdir -p my-notebooks
	@for nb in notebooks/*.ipynb; do [ -e "my-notebooks/$${nb##*/}" ] || \
	  $(BIN)/python -c 'import sys, nbformat; nb = nbformat.read(sys.argv[1], 4); [c.update(outputs=[], execution_count=None) for c in nb.cells if c.cell_type == "code"]; nbformat.write(nb, sys.argv[2])' "$$nb" "my-notebooks/$${nb##*/}"; done
	$(BIN)/jupyter lab $(LAB_ROOT) my-notebooks/

## i18n: extract the messages (pybabel), update the Russian catalogue, compile it
LOCALES := smsstats_nb/locale
i18n: $(VENV)/.installed-test
	$(BIN)/pybabel extract -F babel.cfg -k _ -k gettext_ -k N_ -k ngettext:1,2 -k pgettext_:1c,2 -k said:2 --no-location --sort-output \
	  --project smsstats_nb -o $(LOCALES)/smsstats_nb.pot .
	$(BIN)/pybabel update -i $(LOCALES)/smsstats_nb.pot -d $(LOCALES) -D smsstats_nb -l ru --no-fuzzy-matching --ignore-obsolete
	$(BIN)/pybabel compile -d $(LOCALES) -D smsstats_nb -l ru

## bench: print the performance figures
bench: $(VENV)/.installed-test
	$(BIN)/python benchmarks/run_all.py

clean:
	rm -rf $(VENV) smsstats-demo-output .pytest_cache .mypy_cache .ruff_cache
