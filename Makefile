# Set-up is two commands: `make run` and `make test`. Both create .venv when missing.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: install run test test-fast lint typecheck pytest bench bench-placement perf-report lock clean

$(STAMP): pyproject.toml requirements.lock
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "anitrakt needs Python 3.11+; set PYTHON=python3.11")'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --constraint requirements.lock --editable '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

run: install
	$(BIN)/anitrakt db upgrade
	$(BIN)/anitrakt serve

# vulture: dead code; what frameworks, templates and tests reach is in its whitelist.
lint: install
	$(BIN)/ruff check src tests scripts
	$(BIN)/ruff format --check src tests scripts
	$(BIN)/vulture src scripts/vulture_whitelist.py --min-confidence 60 \
	  --exclude src/anitrakt/store/migrations \
	  --ignore-decorators "@*.command,@*.get,@*.post,@*.delete,@*.head,@*.callback,@field_validator,@compiles,@*.exception_handler"

typecheck: install
	$(BIN)/mypy

# Most of the suite's wall time is spent waiting (Trakt's 1 write/s pacing in the crash
# matrix, subprocess start-up), so it runs on more workers than cores; 0 runs in-process.
PYTEST_WORKERS ?= 4

pytest: install
	PYTHON=$(BIN)/python scripts/with-postgres.sh scripts/ensure-chromium.sh \
	  $(BIN)/python -m pytest -n $(PYTEST_WORKERS) --durations=25 $(PYTEST_ARGS)

test: lint typecheck pytest

# The fast tier (well under 30 s): the foundation, the pure domain, the upstream clients
# against their in-process fakes and the fakes' contracts, on SQLite. `make test` is the
# whole thing.
FAST_TESTS := tests/foundation tests/domain tests/clients tests/contract

test-fast: install
	$(BIN)/python -m pytest -n 2 -m "not postgres and not browser" -p no:cacheprovider $(FAST_TESTS)

# Benchmarks print numbers (they are not tests): sync cost vs. the rate-limit floor, the
# mapping-source refresh/lookup, and streaming a 40 MB anibridge release (time, peak RSS).
# BENCH_ARGS=--postgres runs the sync one on PostgreSQL. `make bench-placement` prints how
# right placement is on the real anibridge sample (right / wrong / held by rule): today's
# translate() vs the new rule chain without and with anibridge ranges.
bench: install
	$(BIN)/python scripts/bench_sync.py $(BENCH_ARGS)
	$(BIN)/python scripts/bench_mappings.py
	$(BIN)/python scripts/bench_anibridge.py

bench-placement: install
	$(BIN)/python scripts/bench_placement.py

# Regenerate docs/performance.md (several minutes; installs Debian's wrk when missing).
# PERF_ARGS=--quick gives small sizes and short load runs.
perf-report: install
	@command -v wrk >/dev/null || scripts/apt-install.sh wrk
	$(BIN)/python scripts/perf_report.py $(PERF_ARGS)

# Re-pin every installed package after changing pyproject.toml's dependencies.
lock: install
	@{ echo "# Every package anitrakt installs, pinned (pip constraints). Regenerate with 'make lock'."; \
	   $(BIN)/python -m pip freeze --exclude-editable --disable-pip-version-check; } > requirements.lock

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .pg-test
