# One task runner; CI (.ci/run) calls the same targets.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: setup quickstart lint typecheck test bench clean

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml constraints-cpu.txt
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -c constraints-cpu.txt -e ".[dev,train]"
	touch $@

quickstart: setup            ## the main job on this machine: samples → ingest → dataset
	$(BIN)/hira-chat quickstart

lint: setup
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

typecheck: setup
	$(BIN)/mypy

test: lint typecheck         ## what CI runs
	$(BIN)/pytest -q

bench: setup
	$(BIN)/python benchmarks/bench_data.py --rows 1000000

clean:
	rm -rf $(VENV) workspace .pytest_cache .mypy_cache .ruff_cache
