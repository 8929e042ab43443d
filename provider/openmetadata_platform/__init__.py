"""Airflow provider for the OpenMetadata platform.

Airflow discovers it through the ``apache_airflow_provider`` entry point, which calls
:func:`get_provider_info`. Nothing here imports ``openmetadata-ingestion`` (about 5 s to
import): hooks and operators import it inside their methods.
"""

from __future__ import annotations

__version__ = "0.1.0"


def get_provider_info() -> dict:
    """Return the provider metadata Airflow's ProvidersManager reads (provider_info schema)."""
    from openmetadata_platform.lineage.config import OPTIONS, SECTION  # stdlib-only module

    return {
        "package-name": "airflow-provider-openmetadata-platform",
        "name": "OpenMetadata Platform",
        "description": "OpenMetadata hook, metadata-ingestion operators and automatic lineage.",
        "versions": [__version__],
        "connection-types": [
            {
                "connection-type": "openmetadata",
                "hook-class-name": "openmetadata_platform.hooks.openmetadata.OpenMetadataHook",
            }
        ],
        "config": {
            SECTION: {
                "description": "Automatic pipeline metadata, run status and lineage of DAGs in OpenMetadata.",
                "options": OPTIONS,
            }
        },
    }
