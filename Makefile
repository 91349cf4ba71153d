# Galleria — `make help` lists the targets.
SHELL := /bin/bash
# The Lambda runtime's Python, 3.13: found on PATH or among pyenv's and uv's versions
# (scripts/find-python), or given as PYTHON=/path/to/python3.13. Exported so that sam build's layer
# Makefile compiles bytecode with the same interpreter.
ifndef PYTHON
PYTHON := $(shell scripts/find-python 3.13)
endif
export PYTHON
VENV := .venv
BIN := $(VENV)/bin
SAM_VENV := .venv-sam
CHECKOV_VENV := .venv-checkov
SAM := $(SAM_VENV)/bin/sam
STAGE ?= dev
PORT ?= 8000
# The browser tests drive Debian's Chromium (`make browser` installs it); no browser download.
CHROMIUM ?= /usr/bin/chromium

.DEFAULT_GOAL := help

help: ## List the targets
	@grep -E '^[a-zA-Z0-9_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  %-12s %s\n", $$1, $$2}'

$(BIN)/.installed: requirements/dev.txt layers/shared/requirements.txt pyproject.toml
	@test -n "$(PYTHON)" || { scripts/find-python 3.13; exit 1; }
	$(PYTHON) -m venv --clear $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements/dev.txt
	$(BIN)/pip install --quiet --no-deps -e .
	@touch $@

$(BIN)/.bench-installed: $(BIN)/.installed requirements/bench.txt
	$(BIN)/pip install --quiet -r requirements/bench.txt
	@touch $@

$(CHECKOV_VENV)/bin/.installed: requirements/checkov.txt
	@test -n "$(PYTHON)" || { scripts/find-python 3.13; exit 1; }
	$(PYTHON) -m venv --clear $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/pip install --quiet -r requirements/checkov.txt
	@touch $@

$(SAM_VENV)/bin/.installed: requirements/sam.txt
	@test -n "$(PYTHON)" || { scripts/find-python 3.13; exit 1; }
	$(PYTHON) -m venv --clear $(SAM_VENV)
	$(SAM_VENV)/bin/pip install --quiet -r requirements/sam.txt
	@touch $@

install: $(BIN)/.installed ## Create .venv with every pinned dependency

run: install ## Start the local stack on 127.0.0.1:$(PORT) (Ctrl-C stops it)
	$(BIN)/galleria-local --port $(PORT)

test: lint sam-install browser ## Lint, then run every test (unit, integration, template, e2e, browser)
	SAM_CLI=$(CURDIR)/$(SAM) $(BIN)/pytest

# The inner loop: no browser, no SAM CLI, no test marked slow (sam build, moto servers, local stacks,
# worker processes, benchmark runs: pyproject.toml's markers). Under a minute on two CPUs.
unit: install ## Fast inner loop (~35 s): tests/unit minus tests marked slow (moto servers, local stacks, bench runs)
	$(BIN)/pytest tests/unit -m "not slow and not e2e and not browser"

# tests/e2e starts its own local stacks (galleria-local: moto server, gateway, function processes).
e2e: install ## The HTTP end-to-end tests (tests/e2e) against local stacks they start
	$(BIN)/pytest tests/e2e

browser-test: install browser ## The browser tests (tests/browser): Chromium (CHROMIUM, `make browser`) on a local stack
	$(BIN)/pytest tests/browser

lint: install $(CHECKOV_VENV)/bin/.installed ## ruff, cfn-lint, checkov (.checkov.yaml: each skipped check with its reason), mypy
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/cfn-lint template.yaml
	$(CHECKOV_VENV)/bin/checkov --config-file .checkov.yaml
	@$(MAKE) --no-print-directory typecheck

# pyproject.toml's [tool.mypy]: strict on the shipped code (layer, handlers), the admin CLI and the
# local stack; the tests and benchmarks in mypy's default mode. Both run, whichever fails first.
typecheck: install ## mypy: --strict on the layer, handlers, CLI and local stack; default mode on tests and bench
	$(BIN)/mypy --strict layers/shared/galleria functions/*/*.py cli/galleria_cli local/galleria_local; \
	strict=$$?; $(BIN)/mypy tests bench && exit $$strict

format: install ## Format the code
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

openapi: install ## Regenerate the committed OpenAPI document from the handlers (a test checks it is current)
	$(BIN)/galleria-openapi

bench-listing: install ## Items read per gallery page at 1,000, 10,000 and 50,000 items (about four minutes)
	$(BIN)/python -m bench.listing_cost --sizes 1000,10000,50000

bench-export: install ## Export worker peak memory and MB/s at 50 and 500 images of 2 MB, vs zip -0 (about a minute)
	$(BIN)/python -m bench.export_memory --sizes 50,500 --image-mb 2

bench-images: $(BIN)/.bench-installed ## Image pipeline ms per image vs pyvips and the floor, 1024² PNG and 2048² JPEG (about 30 s)
	$(BIN)/python -m bench.image_pipeline

bench-cold-start: install sam-install ## Handler import time per function vs a bare API function, on a fresh sam build (about five minutes)
	$(BIN)/python -m bench.cold_start --sam $(SAM)

bench-aws-calls: install ## AWS calls per API operation and per generated image, warm and cold (about three minutes)
	$(BIN)/python -m bench.aws_calls_per_operation

bench-worker: install ## Generation worker ms per image without the provider call, split, vs its floors (about ten seconds)
	$(BIN)/python -m bench.worker_overhead

bench-throughput: install ## Local stack req/s and p50/p99 of gallery list and get, 16 clients, vs a bare HTTP server (about two minutes)
	$(BIN)/python -m bench.local_stack_throughput

cost: install ## The month's AWS bill for a workload (flags: COST_ARGS="--generations 50000 ..."), from measured calls and durations (about 15 s)
	$(BIN)/python -m bench.cost $(COST_ARGS)

sam-install: $(SAM_VENV)/bin/.installed ## Install SAM CLI into its own virtualenv

browser: ## Install Debian's chromium for the browser tests if missing (apt-get, with sudo when not root)
	@if [ -x "$(CHROMIUM)" ] || command -v chromium >/dev/null; then exit 0; fi; \
	command -v apt-get >/dev/null || { echo "The browser tests need Chromium: install the 'chromium' package, or set CHROMIUM=/path/to/chromium" >&2; exit 1; }; \
	if [ "$$(id -u)" -eq 0 ]; then SUDO=; elif command -v sudo >/dev/null; then SUDO=sudo; \
	else echo "The browser tests need Debian's 'chromium' package: run 'apt-get install chromium' as root" >&2; exit 1; fi; \
	echo "Installing Debian's chromium for the browser tests (apt-get install chromium)"; \
	APT="$$SUDO env DEBIAN_FRONTEND=noninteractive apt-get"; \
	$$APT install -y -q chromium >/dev/null 2>&1 || { $$APT update -q >/dev/null && $$APT install -y -q chromium >/dev/null; } \
	  || { echo "Could not install Debian's 'chromium' package with apt-get; install it, or set CHROMIUM=/path/to/chromium" >&2; exit 1; }; \
	[ -x "$(CHROMIUM)" ] || command -v chromium >/dev/null || { echo "chromium is installed but not at $(CHROMIUM) nor on PATH: set CHROMIUM" >&2; exit 1; }

build: sam-install ## sam build (layer and functions, no container)
	$(SAM) build

validate: sam-install ## sam validate --lint
	$(SAM) validate --lint

deploy: build ## Deploy to your AWS account: STAGE=dev (default) or prod, per samconfig.toml (docs/deploying.md)
	@case "$(STAGE)" in dev|prod) ;; *) echo "STAGE must be dev or prod (samconfig.toml)" >&2; exit 2;; esac
	$(SAM) deploy --config-env $(STAGE)

outputs: sam-install ## The deployed stack's outputs (API URL, table and bucket names): STAGE=dev or prod
	$(SAM) list stack-outputs --config-env $(STAGE) --output table

clean: ## Remove virtualenvs, build output and caches
	rm -rf $(VENV) $(SAM_VENV) $(CHECKOV_VENV) .aws-sam .pytest_cache .ruff_cache .local-stack

.PHONY: help install run test unit e2e browser-test lint typecheck format sam-install browser build validate deploy outputs cost clean openapi bench-listing bench-export bench-images bench-cold-start bench-aws-calls bench-worker bench-throughput
