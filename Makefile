# Safeguard: `make run` starts the service on SQLite; `make test` runs every test.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
KERNELS_STAMP := $(VENV)/.kernels-compiled
KERNEL_SOURCES := src/safeguard/warmup.py $(shell grep -rl --include='*.py' '@njit' src/safeguard)
PIP_VERSION := 25.3

.PHONY: install run test lint typecheck unit bench clean load faults fuzz

install: $(STAMP) $(KERNELS_STAMP)

# pyproject.toml gives ranges (for those who use the package as a library); the service
# and its tests install the exact versions of requirements.lock (made by scripts/lock).
$(STAMP): pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check pip==$(PIP_VERSION)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c requirements.lock -e '.[test]'
	touch $(STAMP)

# numba compiles its kernels into __pycache__ now, not at the first hash; again whenever
# a kernel's source changes (or the install does).
$(KERNELS_STAMP): $(STAMP) $(KERNEL_SOURCES)
	$(BIN)/python -m safeguard.warmup
	touch $(KERNELS_STAMP)

run: install
	$(BIN)/safeguard demo
	$(BIN)/safeguard serve

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

typecheck: install
	$(BIN)/mypy

# pytest exits 5 when it collected no test: that is a failure here, never a pass.
# Two processes (pytest-xdist), each taking whole files: most integration tests wait on
# a server starting, so two share the machine's cores well.
# The 30 slowest tests are listed at the end, to keep the suite well under 20 minutes.
# tests/browser drives the system's chromium with Playwright (never a downloaded browser):
# without one those tests are skipped, and fail under CI (.ci/run installs it).
# scripts/with-postgres starts a throwaway PostgreSQL when its binaries are installed
# (apt-get install postgresql), so the database tests run as in CI.
test: lint typecheck
	scripts/with-postgres $(BIN)/python -m pytest -n 2 --dist loadfile --durations=30; status=$$?; \
	if [ $$status -eq 5 ]; then echo "pytest collected no tests" >&2; exit 1; fi; \
	exit $$status

# Benchmarks need ../shared (photos) beside the checkout; see docs/benchmarks.md.
bench: install
	$(BIN)/python benchmarks/pdq_bench.py
	$(BIN)/python benchmarks/index_bench.py --n 1000000
	$(BIN)/python benchmarks/robustness.py
	$(BIN)/python benchmarks/screening_latency.py

# Two workers on one throwaway PostgreSQL under Locust while the banks change, for
# LOAD_SECONDS (docs/benchmarks.md, "Load"); exits 1 when a check fails.
LOAD_SECONDS ?= 60
load: install
	$(BIN)/python benchmarks/load.py --seconds $(LOAD_SECONDS)

# Workers and the CLI killed during imports and screenings, PostgreSQL restarted under
# load (tests/faults, a few minutes; plain `pytest` leaves them out).
faults: install
	$(BIN)/python -m pytest tests/faults --durations=10

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache

# Coverage-guided fuzzing (atheris) of the decoders and list parsers, FUZZ_SECONDS each;
# what crashes one is kept in fuzz/crashes/ (docs/operations.md). `make test` runs each
# for a few seconds.
FUZZ_SECONDS ?= 300
fuzz: install
	$(BIN)/python -m fuzz.run --seconds $(FUZZ_SECONDS)
