# Kerberos diagnostics; included from the top-level Makefile.
##@ Kerberos
.PHONY: kerberos-check kerberos-diagnose

kerberos-check: ## Host: is your own Kerberos ticket usable and shareable (FILE cache, valid TGT)?
	@bash platform-bootstrap/diagnostics/check-kerberos.sh

kerberos-diagnose: ## Step-by-step Kerberos path check (sidecar, shared cache, consumer, SQL Server); set KRB_EXEC/KRB_MSSQL_HOST_PORT
	@bash platform-bootstrap/diagnostics/test-openmetadata-krb.sh
