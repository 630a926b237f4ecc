# One command per habit. Everything runs inside .venv, created on first use.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: install serve test lint typecheck check evals bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

## Install (first run compiles llama-cpp-python, ~5 min) and start the API.
serve: $(STAMP)
	$(BIN)/tactful serve --host $(HOST) --port $(PORT)

## The whole test suite (unit + integration: real Redis, real local model).
test: $(STAMP)
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check service tests bench
	$(BIN)/ruff format --check service tests bench

typecheck: $(STAMP)
	$(BIN)/mypy

## The offline eval suite (exits non-zero under thresholds).
evals: $(STAMP)
	$(BIN)/tactful evals run --report-dir reports/evals

check: lint typecheck test evals

bench: $(STAMP)
	$(BIN)/python -m bench --quick

clean:
	rm -rf $(VENV) reports .pytest_cache .mypy_cache .ruff_cache
