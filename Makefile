# `make demo` and `make test` create/refresh the local virtual environment from pyproject.toml.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: venv demo test test-slow lint bench morphologies clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	touch $(STAMP)

venv: $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/cablemodel demo --out out

lint: $(STAMP)
	$(PY) -m ruff check cablemodel tests benchmarks

test: $(STAMP) lint
	$(PY) -m pytest -n 2 --dist loadfile --durations=25 --doctest-modules cablemodel tests --nbmake notebooks

# the tests marked slow (deselected by `make test`): the 10,000-file SWC fuzz, long simulations
test-slow: $(STAMP)
	$(PY) -m pytest -n 2 --dist loadfile -m slow tests

bench: $(STAMP)
	$(PY) -m pip install -q -e '.[bench]'
	$(PY) benchmarks/vs_neuron.py

morphologies: $(STAMP)
	$(VENV)/bin/cablemodel morphologies --out morphologies

clean:
	rm -rf $(VENV) out .pytest_cache
