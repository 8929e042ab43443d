"""Kerberos helpers: ticket preflight and SQL Server (ODBC, integrated security) connections.

``preflight.check_kerberos_ticket`` needs the ``kerberos`` extra (python-gssapi); the other
modules are stdlib-only until called.
"""
