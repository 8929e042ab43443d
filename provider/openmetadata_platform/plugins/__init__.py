"""The provider's Airflow plugin: the OpenMetadata lineage listener and hook lineage reader.

Loaded through the ``airflow.plugins`` entry point of this distribution (see
``provider/pyproject.toml``), which both Airflow's plugins manager (scheduler, API server,
dag processor) and the Task SDK's (task processes) read unconditionally. The provider-info
``plugins`` key is NOT used: Airflow only loads those when
``[core] lazy_discover_providers = False``, and declaring the plugin in both places would
make Airflow report a duplicate.
"""

from __future__ import annotations

from airflow.sdk.plugins_manager import AirflowPlugin

from openmetadata_platform.lineage.hook_lineage import OpenMetadataHookLineageReader
from openmetadata_platform.plugins.listener import listener


class OpenMetadataLineagePlugin(AirflowPlugin):
    """Registers :data:`~openmetadata_platform.plugins.listener.listener` and the hook lineage reader."""

    name = "openmetadata_lineage"
    listeners = [listener]
    hook_lineage_readers = [OpenMetadataHookLineageReader]
