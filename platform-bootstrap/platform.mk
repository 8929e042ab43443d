# Targets for the always-on platform stack; included by the top-level Makefile, so paths
# are relative to the repository root. Docker Compose v2 (`docker compose`) or v1
# (`docker-compose`) both work (scripts/compose.sh picks one).
PLATFORM_DIR := platform-bootstrap
PLATFORM_PY := $(if $(wildcard .venv/bin/python),.venv/bin/python,python3)
PLATFORM := $(PLATFORM_PY) $(PLATFORM_DIR)/platform
PLATFORM_COMPOSE := PLATFORM_PYTHON=$(PLATFORM_PY) bash $(PLATFORM_DIR)/scripts/compose.sh
OPENMETADATA_SERVICES := openmetadata-server openmetadata-migrate platform-elasticsearch

.PHONY: platform-setup platform-start platform-stop openmetadata-start openmetadata-stop \
	openmetadata-status openmetadata-logs openmetadata-clean openmetadata-backup openmetadata-restore \
	platform-env

##@ OpenMetadata
platform-setup: ## Run the setup wizard: ports, images, Kerberos; generates secrets (NONINTERACTIVE=1 for CI)
	@$(PLATFORM) setup $(if $(NONINTERACTIVE),--non-interactive)

platform-env:
	@test -f $(PLATFORM_DIR)/.env || $(PLATFORM) setup --non-interactive

platform-start: openmetadata-start ## Start the always-on platform (OpenMetadata included)

platform-stop: ## Stop the whole platform stack (data volumes are kept)
	@$(PLATFORM_COMPOSE) down

openmetadata-start: platform-env ## Start OpenMetadata, store the ingestion-bot token in .env, print URL and login
	@$(PLATFORM_COMPOSE) up -d --wait
	@$(PLATFORM) bot-token --wait 180
	@$(PLATFORM) login-info

openmetadata-stop: ## Stop the OpenMetadata server and search (shared PostgreSQL keeps running)
	@$(PLATFORM_COMPOSE) stop $(OPENMETADATA_SERVICES)

openmetadata-status: ## Containers plus server, search and database health
	@$(PLATFORM_COMPOSE) ps
	@$(PLATFORM) health

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
