"""Airflow provider for the OpenMetadata platform.

Airflow discovers it through the ``apache_airflow_provider`` entry point, which calls
:func:`get_provider_info`. Nothing here imports ``openmetadata-ingestion`` (about 5 s to
import): hooks and operators import it inside their methods.
"""

from __future__ import annotations

from importlib import metadata as _metadata

try:  # The installed distribution's version, which setuptools-scm derived from git at build time.
    __version__ = _metadata.version("airflow-provider-openmetadata-platform")
except _metadata.PackageNotFoundError:  # imported from a source tree that was never installed
    __version__ = "0+unknown"


INTEGRATION = "OpenMetadata"


def get_provider_info() -> dict:
    """Return the provider metadata Airflow's ProvidersManager reads (provider_info schema).

    Besides the usual integration, hooks, operators and config entries it declares:

    - the ``openmetadata`` connection type with its form (``conn-fields`` and
      ``ui-field-behaviour``, Airflow 3.2+'s declarative replacement of the hook's
      ``get_connection_form_widgets``/``get_ui_field_behaviour``). openmetadata-ingestion
      registers the same type for its legacy hook; Airflow keeps the first provider to
      claim a type, iterating providers sorted by package name
      (``ProvidersManager.initialize_providers_list`` sorts ``_provider_dict``;
      ``_discover_hooks_from_connection_types`` keeps an already registered type), so
      ``airflow-provider-openmetadata-platform`` always wins over ``openmetadata-ingestion``;
      a test pins it.
    - ``asset-uris`` for the ``openmetadata`` scheme: Airflow calls
      :func:`openmetadata_platform.lineage.assets.sanitize_uri` whenever an Asset with that
      scheme is created, so a malformed ``om_table(...)``/``openmetadata://`` URI fails the
      DAG's import, naming the part that is wrong.
    """
    from openmetadata_platform.lineage.config import OPTIONS, SECTION  # stdlib-only module

    return {
        "package-name": "airflow-provider-openmetadata-platform",
        "name": "OpenMetadata Platform",
        "description": "OpenMetadata hook, ingestion operators and automatic lineage for Airflow 3.",
        "versions": [__version__],
        "integrations": [
            {
                "integration-name": INTEGRATION,
                "external-doc-url": "https://docs.open-metadata.org/",
                "tags": ["service"],
            }
        ],
        "hooks": [{"integration-name": INTEGRATION, "python-modules": ["openmetadata_platform.hooks.openmetadata"]}],
        "operators": [
            {
                "integration-name": INTEGRATION,
                "python-modules": [
                    "openmetadata_platform.operators.ingestion",
                    "openmetadata_platform.operators.lineage",
                ],
            }
        ],
        "connection-types": [
            {
                "connection-type": "openmetadata",
                "hook-class-name": "openmetadata_platform.hooks.openmetadata.OpenMetadataHook",
                "hook-name": "OpenMetadata",
                "conn-fields": {
                    "verify_ssl": {
                        "label": "Verify TLS",
                        "description": "no-ssl (http), validate (https, checks the certificate) or ignore "
                        "(https, accepts any certificate). Empty: no-ssl over http, validate over https.",
                        "schema": {"type": ["string", "null"], "enum": ["no-ssl", "validate", "ignore", None]},
                    },
                    "ca_certificate": {
                        "label": "CA certificate file",
                        "description": "Path of a PEM bundle to validate the server's certificate with.",
                        "schema": {"type": ["string", "null"]},
                    },
                },
                "ui-field-behaviour": {
                    "hidden-fields": ["login"],
                    "relabeling": {"password": "JWT token (ingestion bot)", "schema": "Scheme (http or https)"},
                    "placeholders": {"host": "localhost", "port": "8585", "schema": "http"},
                },
            }
        ],
        "asset-uris": [{"schemes": ["openmetadata"], "handler": "openmetadata_platform.lineage.assets.sanitize_uri"}],
        "config": {
            SECTION: {
                "description": "Automatic pipeline metadata, run status and lineage of DAGs in OpenMetadata.",
                "options": OPTIONS,
            }
        },
    }
