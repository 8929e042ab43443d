# Entry points for users, CI and benchmarks. `make help` lists them.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat constraints.txt provider/pyproject.toml 2>/dev/null | md5sum | cut -c1-12)

.DEFAULT_GOAL := help
.PHONY: help install system-packages test test-e2e bench demo lint

##@ Core
help: ## List the targets
	@awk 'BEGIN {FS = ":.*##"} /^##@/ {printf "\n%s\n", substr($$0, 5)} /^[a-zA-Z0-9_-]+:.*##/ {printf "  %-24s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

system-packages: ## Install the Debian packages the tests and demo need (PostgreSQL, Kerberos, FreeTDS)
	@bash .ci/install-system-packages

$(STAMP): constraints.txt provider/pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@echo "Installing Python packages into $(VENV) (pins: constraints.txt)..."
	@$(PY) -m pip install -q --upgrade pip
	@$(PY) -m pip install -q -c constraints.txt -e "provider[test]"
	@$(PY) -m pip check
	@rm -f $(VENV)/.installed-*; touch $@

install: system-packages $(STAMP) ## Create .venv with Airflow, openmetadata-ingestion and the provider

test: install ## Install what is needed and run the whole test suite
	@$(PY) -m pytest tests

test-e2e: install ## Run the end-to-end suite against a real server (OPENMETADATA_HOST_PORT, OPENMETADATA_JWT_TOKEN)
	@set -a; [ -f platform-bootstrap/.env ] && . platform-bootstrap/.env; set +a; $(PY) -m pytest tests/e2e -v -rs

bench: install ## Print parse time, harvest wall time and write requests per table
	@$(PY) -m tests.bench

demo: install ## The main job: load pagila, harvest it into OpenMetadata from the Airflow DAG, say where to look
	@$(PY) platform-bootstrap/pagila_demo.py

lint: install ## ruff over the project
	@$(PY) -m ruff check provider dags tests platform-bootstrap

-include platform-bootstrap/platform.mk
-include platform-bootstrap/diagnostics/diagnostics.mk
