# One command per habit. Everything runs inside .venv, created on first use.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# `make serve` needs only the service (no C compiler, under a minute on a fresh machine);
# tests, evals and CI also install the dev tools and the [local] model (llama-cpp-python).
SERVE_STAMP := $(VENV)/.installed-serve
# llama-cpp-python compiles llama.cpp; a native build (-march=native) segfaults on the
# first multi-token prompt on some of our machines' CPUs (AVX-512/AMX, llama-cpp-python
# 0.3.36, seen 2026-12-07), so it is built for the portable instruction set.
export CMAKE_ARGS ?= -DGGML_NATIVE=OFF
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: install serve test lint typecheck check evals bench clean ui-install ui-test bench-ui contract

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,local]'
	touch $(STAMP) $(SERVE_STAMP)

$(SERVE_STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -e .
	touch $(SERVE_STAMP)

install: $(STAMP)

## Install the service only (no model, no compiler) and start the API.
serve: $(SERVE_STAMP)
	$(BIN)/tactful serve --host $(HOST) --port $(PORT)

## The whole test suite (unit + integration: real Redis, real local model).
test: $(STAMP)
	$(BIN)/python -m pytest

## The OpenAPI document is the contract: schemathesis (every check, stateful links) against
## `tactful serve` with Redis and an API key; 0 failures or it fails. Report: reports/contract/.
CONTRACT_EXAMPLES ?= 30
contract: $(STAMP)
	$(BIN)/python -m tests.contract --max-examples $(CONTRACT_EXAMPLES) --report-dir reports/contract

lint: $(STAMP)
	$(BIN)/ruff check service tests bench examples
	$(BIN)/ruff format --check service tests bench examples

typecheck: $(STAMP)
	$(BIN)/mypy

## The offline eval suite (exits non-zero under thresholds).
evals: $(STAMP)
	$(BIN)/tactful evals run --report-dir reports/evals

check: lint typecheck test evals

bench: $(STAMP)
	$(BIN)/python -m bench --quick

## Browser extension, /playground and JS client: tests in headless Chromium (Debian's
## `chromium`, driven by playwright-core; no browser download). Screenshots: reports/ui/.
NODE_STAMP := node_modules/.installed
CHROMIUM   ?= /usr/bin/chromium

$(NODE_STAMP): package.json package-lock.json
	npm ci --ignore-scripts --no-audit --no-fund
	touch $(NODE_STAMP)

ui-install: $(NODE_STAMP)

ui-test: $(STAMP) $(NODE_STAMP)
	mkdir -p reports/ui
	TACTFUL_PYTHON=$(abspath $(BIN))/python CHROMIUM_PATH=$(CHROMIUM) node --test --test-concurrency=1 \
		--test-reporter=spec --test-reporter-destination=stdout \
		--test-reporter=junit --test-reporter-destination=reports/ui/junit.xml tests/ui/

## The playground serves copies of extension/lib/ (a unit test checks they match).

## Typing pause -> underlines drawn, through the extension, with distinct drafts (not part of CI).
bench-ui: $(STAMP) $(NODE_STAMP)
	TACTFUL_PYTHON=$(abspath $(BIN))/python CHROMIUM_PATH=$(CHROMIUM) node bench/ui_roundtrip.mjs

clean:
	rm -rf $(VENV) reports node_modules .pytest_cache .mypy_cache .ruff_cache
