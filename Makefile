# One task runner; CI (.ci/run) calls the same targets.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: setup system-deps quickstart serve lint typecheck test test-fast bench clean lock wheelhouse setup-offline

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml constraints-cpu.txt
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -c constraints-cpu.txt -e ".[dev,train]"
	touch $@

# Offline install (docs/install.md). requirements/*.lock pin every dependency with its sha256 for
# Linux x86_64, CPython 3.11: cpu.lock (what `setup` installs, CPU torch), cuda.lock (the GPU server's
# runtime, CUDA torch), build.lock (setuptools and wheel, to build the project and source-only packages).
UV_VERSION ?= 0.13.9
WHEELHOUSE ?= wheelhouse
# cpu (CI, laptops, the answer server) or cuda (the GPU server: make wheelhouse setup-offline VARIANT=cuda)
VARIANT ?= cpu
# Where the torch +cpu wheel is found for cpu.lock (a folder or a find-links page of CPU torch wheels)
TORCH_CPU_WHEELS ?= /opt/wheels
# make lock LOCK_UPGRADE=--upgrade: the newest versions instead of keeping the locked ones
LOCK_UPGRADE ?=
LOCK := $(BIN)/uv pip compile --quiet --generate-hashes --python-version 3.11 \
	--python-platform x86_64-manylinux_2_28 --only-binary :all: --no-binary kiwipiepy-model \
	--custom-compile-command "make lock" $(LOCK_UPGRADE)
# The index is unreachable for these pip calls: no config file, no index, only the wheelhouse
OFFLINE_PIP := env -u PIP_FIND_LINKS -u PIP_INDEX_URL -u PIP_EXTRA_INDEX_URL -u PIP_CONSTRAINT \
	PIP_CONFIG_FILE=/dev/null PIP_NO_INDEX=1 $(BIN)/python -m pip install -q --disable-pip-version-check \
	--no-index --find-links $(WHEELHOUSE)

lock: setup                  ## regenerate requirements/*.lock (needs the index; keeps pins unless LOCK_UPGRADE)
	$(BIN)/pip install -q "uv==$(UV_VERSION)"
	$(LOCK) requirements/build.in -o requirements/build.lock
	$(LOCK) pyproject.toml --extra dev --extra train -c constraints-cpu.txt -c requirements/build.lock \
		--find-links $(TORCH_CPU_WHEELS) -o requirements/cpu.lock
	$(LOCK) pyproject.toml --extra train --extra notebook --extra qlora --extra tensorboard --extra postgres \
		-c requirements/cuda.in -c requirements/build.lock -o requirements/cuda.lock

wheelhouse:                  ## every file of requirements/$(VARIANT).lock and build.lock into $(WHEELHOUSE)/, hash-checked
	$(PY) -m pip download -q --disable-pip-version-check --no-deps --require-hashes \
		--find-links $(TORCH_CPU_WHEELS) -r requirements/$(VARIANT).lock -d $(WHEELHOUSE)
	$(PY) -m pip download -q --disable-pip-version-check --no-deps --require-hashes \
		-r requirements/build.lock -d $(WHEELHOUSE)

setup-offline:               ## .venv from $(WHEELHOUSE)/ alone (no index), hash-checked; then the project
	test -d $(WHEELHOUSE) || { echo "no $(WHEELHOUSE)/: run make wheelhouse where the index is reachable"; exit 1; }
	rm -rf $(VENV)
	$(PY) -m venv $(VENV)
	$(OFFLINE_PIP) --require-hashes -r requirements/build.lock
	$(OFFLINE_PIP) --require-hashes --no-build-isolation -r requirements/$(VARIANT).lock
	$(OFFLINE_PIP) --no-build-isolation --no-deps -e .
	$(BIN)/python -m pip check
	touch $(VENV)/.installed

# What the tests need from Debian: Chromium (browser test), Korean fonts (plots, screenshots), PostgreSQL.
system-deps:
	apt-get update -qq && apt-get install -y -qq chromium fonts-nanum postgresql >/dev/null

quickstart: setup            ## the main job on this machine: samples → ingest → dataset
	$(BIN)/hira-chat quickstart

serve: setup                 ## the web app on http://127.0.0.1:8000 (create an admin first: see README)
	$(BIN)/hira-chat serve

lint: setup
	$(BIN)/ruff check src tests benchmarks notebooks
	$(BIN)/ruff format --check src tests benchmarks notebooks

typecheck: setup
	$(BIN)/mypy

test: lint typecheck         ## what CI runs: every tier but gpu (slow, browser, postgres included)
	$(BIN)/pytest -q

test-fast: setup             ## the unit tier, under a minute: no server, browser, database server or training
	$(BIN)/pytest -q tests/unit -m "not slow and not browser and not postgres and not gpu"

bench: setup
	$(BIN)/python benchmarks/bench_data.py --rows 1000000
	$(BIN)/python benchmarks/bench_serve.py --requests 1000

clean:
	rm -rf $(VENV) workspace .pytest_cache .mypy_cache .ruff_cache
