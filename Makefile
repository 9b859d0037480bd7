# The commands a newcomer needs: `make demo` (no accounts), `make test`, then `make run`.
# Each creates the virtual environment .venv when it is missing.

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin

.PHONY: install demo run dry-run test lint bench clean

$(BIN)/sheetsync: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

install: $(BIN)/sheetsync

demo: install         ## set up, then bill a local demo workbook through a local Stripe sandbox
	$(BIN)/sheetsync demo

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
