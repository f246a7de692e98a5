# Two commands do everything on a fresh clone:
#   make search Q="what about Syria"   install, build the index from corpus/, search it
#   make test                          install, lint, run the whole test suite
VENV ?= .venv
PY := $(VENV)/bin/python
Q ?= what about Syria
K ?= 5

.PHONY: install search test lint bench clean docs

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	# torch first, pinned: pip then keeps this CPU build instead of a multi-GB CUDA build.
	$(PY) -m pip install --quiet torch==2.13.0
	# The cluster extra (Ray) too: its tests run with the others. `pip install .` stays without it.
	$(PY) -m pip install --quiet -e '.[test,cluster]'
	touch $@

install: $(VENV)/.installed

search: install
	$(VENV)/bin/r2p-search search "$(Q)" -k $(K)

lint: install
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

test: lint
	$(PY) -m pytest -q

bench: install
	$(PY) benchmarks/compare.py

# Each command's --help into docs/commands.md, and the README's tour run again on corpus/.
docs: install
	$(PY) -m cogapp -r -I docs docs/commands.md README.md

clean:
	rm -rf index .pytest_cache .ruff_cache
