# Kerberos diagnostics; included from the top-level Makefile.
##@ Kerberos
.PHONY: kerberos-check kerberos-diagnose

kerberos-check: ## Host: is your ticket shareable (FILE cache, the file the sidecar shares, a TGT of KRB5_PRINCIPAL, 10 min left)?
	@bash platform-bootstrap/diagnostics/check-kerberos.sh

kerberos-diagnose: ## Step-by-step Kerberos path check (sidecar, shared cache, consumer, SQL Server); KRB_EXEC="docker compose exec -T <service>" runs it in a container
	@bash platform-bootstrap/diagnostics/test-openmetadata-krb.sh
