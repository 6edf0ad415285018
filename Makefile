# Everything installs from pyproject.toml into .venv; each target creates it if missing.
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

# dagster.yaml reads all DAGSTER_PG_* variables; these defaults apply when only DAGSTER_PG_HOST is set.
export DAGSTER_PG_USER ?= postgres
export DAGSTER_PG_PASSWORD ?=
export DAGSTER_PG_DB ?= dagster
export DAGSTER_PG_PORT ?= 5432

.PHONY: install demo test ui bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/dataval demo

test: $(STAMP)
	$(BIN)/pytest

ui: $(STAMP)
	DAGSTER_HOME="$$($(BIN)/dataval dagster-home)" $(BIN)/dagster dev -w workspace.yaml

bench: $(STAMP)
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) data .pytest_cache
