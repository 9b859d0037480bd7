# The commands a newcomer needs: `make demo` (no accounts), `make test`, then `make run`.
# Each creates the virtual environment .venv when it is missing.

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin

.PHONY: install demo run dry-run test lint bench clean lock

LOCK   := requirements/dev.txt

# Exactly the locked versions (hash-checked), then sheetsync itself with no dependencies.
$(BIN)/sheetsync: pyproject.toml $(LOCK)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --require-hashes -r $(LOCK)
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
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

lock:                 ## refresh requirements/dev.txt after changing a dependency in pyproject.toml
	$(PYTHON) -m venv .venv-lock
	.venv-lock/bin/python -m pip install --quiet pip-tools
	.venv-lock/bin/pip-compile --quiet --upgrade --extra test --generate-hashes --allow-unsafe \
		--strip-extras --no-emit-index-url --no-emit-find-links -o $(LOCK) pyproject.toml requirements/build.in
	rm -rf .venv-lock
