# One task runner; CI (.ci/run) calls the same targets.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: setup system-deps quickstart serve lint typecheck test bench clean

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml constraints-cpu.txt
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -c constraints-cpu.txt -e ".[dev,train]"
	touch $@

# What the tests need from Debian: Chromium (browser test), Korean fonts (plots, screenshots), PostgreSQL.
system-deps:
	apt-get update -qq && apt-get install -y -qq chromium fonts-nanum postgresql >/dev/null

quickstart: setup            ## the main job on this machine: samples → ingest → dataset
	$(BIN)/hira-chat quickstart

serve: setup                 ## the web app on http://127.0.0.1:8000 (create an admin first: see README)
	$(BIN)/hira-chat serve

lint: setup
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

typecheck: setup
	$(BIN)/mypy

test: lint typecheck         ## what CI runs
	$(BIN)/pytest -q

bench: setup
	$(BIN)/python benchmarks/bench_data.py --rows 1000000
	$(BIN)/python benchmarks/bench_serve.py --requests 1000

clean:
	rm -rf $(VENV) workspace .pytest_cache .mypy_cache .ruff_cache
