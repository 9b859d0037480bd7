# The two commands a newcomer needs: `make run` and `make test`.
# Each creates the virtual environment .venv when it is missing.

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin

.PHONY: install run dry-run test lint bench clean

$(BIN)/sheetsync: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

install: $(BIN)/sheetsync

run: install          ## set up, then run one cycle with your settings (.env or SHEETSYNC_*)
	$(BIN)/sheetsync run

dry-run: install      ## set up, then print what a cycle would do
	$(BIN)/sheetsync run --dry-run

lint: install
	$(BIN)/ruff check sheetsync tests benchmarks
	$(BIN)/mypy

test: lint            ## set up, lint, type-check, run every test
	$(BIN)/pytest -q

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache

bench: install        ## print the figures of a billing, an idle and a polling cycle
	$(BIN)/python -m benchmarks.bench_cycle 500
