# afterview: the commands a newcomer runs. `make test` builds its own virtualenv in .venv.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: test demo bench bench-load lint typecheck unit clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "afterview needs Python 3.11 or newer; set PYTHON=python3.11 (or newer)")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $@

## test: the whole suite: lint, strict types, unit and real-server integration tests
test: $(STAMP)
	scripts/ensure-test-servers
	$(BIN)/ruff check daemon tests benchmarks
	$(BIN)/mypy --strict daemon
	@# Byte-code compiled once: the tests start the daemon hundreds of times, and an environment
	@# with PYTHONDONTWRITEBYTECODE would otherwise compile every module at every start.
	$(BIN)/python -m compileall -q daemon tests
	$(BIN)/python -m pytest -W error

## unit: only the tests that need no server
unit: $(STAMP)
	$(BIN)/python -m pytest -W error tests/unit

## demo: afterview at work on mail servers it starts in-process (no account, no root)
demo: $(STAMP)
	$(BIN)/afterview demo --yes

## bench: speed and memory figures, each against a baseline measured in the same run
bench: $(STAMP)
	$(BIN)/python benchmarks/run.py

## bench-load: 100,000 messages over 5 years: first scan, memory, an hour's CPU (~5 min; not in bench)
bench-load: $(STAMP)
	$(BIN)/python benchmarks/load.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
