# Everything installs from pyproject.toml into .venv; each target creates it if missing.
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
# datacontract-cli pins duckdb < 1.6 and typer < 0.28: it lints the contracts from its own environment.
CONTRACTS_VENV ?= .venv-contracts
CONTRACTS_STAMP := $(CONTRACTS_VENV)/.installed-stamp
DATACONTRACT_CLI := datacontract-cli==1.2.8

# dagster.yaml reads all DAGSTER_PG_* variables; these defaults apply when only DAGSTER_PG_HOST is set.
export DAGSTER_PG_USER ?= postgres
export DAGSTER_PG_PASSWORD ?=
export DAGSTER_PG_DB ?= dagster
export DAGSTER_PG_PORT ?= 5432

.PHONY: install ocr demo test ui bench clean lint-contracts screenshot

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test]'
	touch $(STAMP)

$(CONTRACTS_STAMP):
	test -x $(CONTRACTS_VENV)/bin/python || $(PYTHON) -m venv $(CONTRACTS_VENV)
	$(CONTRACTS_VENV)/bin/python -m pip install -q --upgrade pip
	$(CONTRACTS_VENV)/bin/python -m pip install -q '$(DATACONTRACT_CLI)'
	touch $(CONTRACTS_STAMP)

install: $(STAMP) $(CONTRACTS_STAMP) ocr

# Tesseract with the French pack reads scanned (image-only) PDFs. Installed with apt-get when it is missing
# and we may (root on Debian/Ubuntu), as .ci/run does; otherwise the target stops and says what to run.
ocr:
	@if command -v tesseract >/dev/null && tesseract --list-langs 2>/dev/null | grep -qx fra; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "Installing Tesseract OCR with French (tesseract-ocr tesseract-ocr-fra)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq tesseract-ocr tesseract-ocr-fra >/dev/null; \
	else \
	  echo "Tesseract OCR with French is needed for scanned PDFs: sudo apt-get install tesseract-ocr tesseract-ocr-fra" \
	       "(macOS: brew install tesseract tesseract-lang), then run make again." >&2; exit 1; \
	fi

lint-contracts: $(CONTRACTS_STAMP)
	for contract in data_contracts/*.yaml; do $(CONTRACTS_VENV)/bin/datacontract lint "$$contract" || exit 1; done

demo: $(STAMP) ocr
	$(BIN)/dataval demo

# DATAVAL_REQUIRE_OCR: the test session stops at once if OCR is missing, instead of OCR tests adapting.
test: $(STAMP) $(CONTRACTS_STAMP) ocr
	DATAVAL_REQUIRE_OCR=1 DATAVAL_DATACONTRACT_BIN=$(CURDIR)/$(CONTRACTS_VENV)/bin/datacontract $(BIN)/pytest

ui: $(STAMP)
	DAGSTER_HOME="$$($(BIN)/dataval dagster-home)" $(BIN)/dagster dev -w workspace.yaml

bench: $(STAMP)
	$(BIN)/python bench/run.py

# docs/asset_graph.png: the UI's asset lineage page, captured with headless Chromium (Debian: chromium).
screenshot: $(STAMP)
	$(BIN)/python docs/screenshot.py

clean:
	rm -rf $(VENV) $(CONTRACTS_VENV) data .pytest_cache
