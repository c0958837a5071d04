# Two commands on a fresh machine: `make run` and `make test` (both install what is missing).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.emrlab-installed
PYTEST_ARGS ?= --durations=15

.PHONY: install run test lint doctor lab release clean

install: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	@$(PYTHON) -c 'import sys; v = sys.version_info[:2]; sys.exit(0 if (3, 10) <= v <= (3, 12) else "emrlab needs Python 3.10-3.12: run make PYTHON=python3.11 ...")'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[dev]'
	@touch $(STAMP)

run: install
	$(BIN)/emrlab run

test: install
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/emrlab release --check
	$(BIN)/pytest $(PYTEST_ARGS)
	$(BIN)/pytest -p no:cacheprovider --nbval quiz/ --nbval-sanitize-with quiz/nbval_sanitize.cfg

lint: install
	$(BIN)/ruff check .

doctor: install
	$(BIN)/emrlab doctor

lab: install
	$(BIN)/emrlab lab

release: install
	$(BIN)/emrlab release

clean:
	rm -rf runs .pytest_cache .ruff_cache .mypy_cache
