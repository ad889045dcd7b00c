# The one entry point: set-up, demo, test, lint, bench, docs.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: setup demo test lint typecheck fmt bench docs clean browser

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP)  ## create .venv and install meshplane with its dev tools

demo: $(STAMP)  ## write, validate (and later deploy, run, serve) the demo mesh in ./demo-mesh
	$(BIN)/meshplane demo demo-mesh --force

# Browser tests drive Debian's Chromium through Playwright (browsers cannot be downloaded here).
CHROMIUM ?= /usr/bin/chromium
$(CHROMIUM):
	@command -v apt-get >/dev/null || { echo "install Chromium and set CHROMIUM=/path/to/chromium"; exit 1; }
	$(if $(filter 0,$(shell id -u)),,sudo) apt-get install -y --no-install-recommends chromium fonts-dejavu-core \
	  || { $(if $(filter 0,$(shell id -u)),,sudo) apt-get update && $(if $(filter 0,$(shell id -u)),,sudo) apt-get install -y --no-install-recommends chromium fonts-dejavu-core; }

browser: $(CHROMIUM)  ## install Debian's Chromium for the browser tests

test: $(STAMP) $(CHROMIUM)  ## lint, type-check and run every test
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/pytest -n 2

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/lint-imports

typecheck: $(STAMP)
	$(BIN)/mypy

fmt: $(STAMP)
	$(BIN)/ruff format src tests benchmarks
	$(BIN)/ruff check --fix src tests benchmarks

bench: $(STAMP)  ## run every benchmark; figures go in README.md
	@for b in benchmarks/bench_*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

docs: $(STAMP)  ## regenerate the CLI reference in README.md from --help
	$(BIN)/python scripts/gen_cli_docs.py README.md

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache demo-mesh
