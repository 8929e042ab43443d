# Targets for the always-on platform stack; included by the top-level Makefile, so paths
# are relative to the repository root. Needs Docker Compose v2 (scripts/compose.sh refuses v1).
PLATFORM_DIR := platform-bootstrap
PLATFORM_PY := $(if $(wildcard .venv/bin/python),.venv/bin/python,python3)
PLATFORM := $(PLATFORM_PY) $(PLATFORM_DIR)/platform
PLATFORM_COMPOSE := PLATFORM_PYTHON=$(PLATFORM_PY) bash $(PLATFORM_DIR)/scripts/compose.sh
OPENMETADATA_SERVICES := openmetadata-server openmetadata-migrate platform-elasticsearch
AIRFLOW_SERVICES := airflow-apiserver airflow-scheduler airflow-dag-processor airflow-triggerer
# `compose ps [services]` when the engine and Compose answer (else `./platform status` names what
# is missing, once, as its first line), then the health lines either way; exit 1 if either fails.
PLATFORM_STATUS = rc=0; if $(PLATFORM_COMPOSE) --check >/dev/null 2>&1; then $(PLATFORM_COMPOSE) ps $(1) || rc=1; fi; \
	$(PLATFORM) status || rc=1; exit $$rc

.PHONY: platform-setup platform-start platform-stop platform-status platform-preflight platform-pull \
	openmetadata-start openmetadata-stop \
	openmetadata-status openmetadata-logs openmetadata-clean openmetadata-backup openmetadata-restore \
	platform-env airflow-logs airflow-status airflow-restart

##@ OpenMetadata
platform-setup: ## Run the setup wizard: ports, images, Kerberos; generates secrets (NONINTERACTIVE=1 for CI)
	@$(PLATFORM) setup $(if $(NONINTERACTIVE),--non-interactive)

platform-env:
	@test -f $(PLATFORM_DIR)/.env || $(PLATFORM) setup --non-interactive

platform-start: openmetadata-start ## Start the always-on platform (OpenMetadata included)

platform-stop: ## Stop the whole platform stack (data volumes are kept)
	@$(PLATFORM_COMPOSE) down

platform-status: ## Containers, then engine, server, search, database and Kerberos sidecar (waiting for a ticket is not a failure)
	@$(call PLATFORM_STATUS)

platform-preflight: platform-env ## Before start: Docker engine, Compose v2, bind address, free ports, Kerberos directory; names the fix
	@$(PLATFORM) preflight

platform-pull: platform-preflight ## Before start: pull the images not here yet; one that fails names its .env variable and setting
	@$(PLATFORM) pull

openmetadata-start: platform-pull ## Start OpenMetadata, store the ingestion-bot token in .env, print URL and login
	@echo "Starting the platform containers (docker compose up --wait: the first start builds the Airflow image and migrates, up to ~10 min)..."
	@$(PLATFORM_COMPOSE) up -d --wait
	@$(PLATFORM) bot-token --wait 300
	@# The Airflow containers read the bot token from .env: recreate the ones it changed.
	@$(PLATFORM_COMPOSE) up -d --wait $(AIRFLOW_SERVICES)
	@$(PLATFORM) status
	@$(PLATFORM) login-info

openmetadata-stop: ## Stop the OpenMetadata server and search (shared PostgreSQL keeps running)
	@$(PLATFORM_COMPOSE) stop $(OPENMETADATA_SERVICES)

openmetadata-status: platform-status ## Same as platform-status

openmetadata-logs: ## Follow the OpenMetadata logs (SERVICE=<name> for one service)
	@$(PLATFORM_COMPOSE) logs -f --tail=200 $(SERVICE)

openmetadata-clean: ## Delete the stack and its data volumes; asks first (FORCE=1 skips); .env and keys stay
	@if [ "$(FORCE)" != "1" ]; then \
	  read -r -p "Delete the OpenMetadata containers and ALL their data? Type 'yes': " answer; \
	  [ "$$answer" = "yes" ] || { echo "Aborted; nothing deleted."; exit 1; }; \
	fi
	@$(PLATFORM_COMPOSE) down -v --remove-orphans

openmetadata-backup: ## pg_dump openmetadata_db to platform-bootstrap/backups/openmetadata_db-<timestamp>.dump
	@bash $(PLATFORM_DIR)/scripts/backup.sh

openmetadata-restore: ## Restore BACKUP=<file> into openmetadata_db and reindex search (asks; FORCE=1 skips)
	@test -n "$(BACKUP)" || { echo "error: BACKUP=<file> is required (see platform-bootstrap/backups/)" >&2; exit 2; }
	@FORCE=$(FORCE) PLATFORM_PYTHON=$(PLATFORM_PY) bash $(PLATFORM_DIR)/scripts/restore.sh "$(BACKUP)"

##@ Airflow
airflow-status: ## The platform Airflow: its containers, health, managed APIs and the server's pipeline client
	@$(call PLATFORM_STATUS,$(AIRFLOW_SERVICES) airflow-init airflow-db-setup pagila-loader)

airflow-logs: ## Follow the platform Airflow's logs (SERVICE=<one of its services> for one)
	@$(PLATFORM_COMPOSE) logs -f --tail=200 $(or $(SERVICE),$(AIRFLOW_SERVICES))

airflow-restart: ## Restart the Airflow processes (e.g. after changing dags/ or a plugin)
	@$(PLATFORM_COMPOSE) restart $(AIRFLOW_SERVICES)
