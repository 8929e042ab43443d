"""Automatic lineage and pipeline metadata from Airflow 3 DAGs into OpenMetadata.

Installing the provider is all a DAG author needs: its Airflow plugin
(:mod:`openmetadata_platform.plugins`, loaded through the ``airflow.plugins`` entry point)
registers a listener that, for every DAG selected by the ``[openmetadata_lineage]`` config
section, keeps a Pipeline entity per DAG in OpenMetadata, reports each run's status and
sends table -> table lineage edges carrying the pipeline in their lineage details.

Public API for DAG authors (cheap to import: no ``openmetadata-ingestion`` import)::

    from openmetadata_platform.lineage import om_table

    source = om_table("pagila.pagila.public.customer")
    staging = om_table(
        "warehouse.warehouse.staging.stg_customer",
        # optional column lineage: target column -> fully qualified source columns
        columns={"full_name": ["pagila.pagila.public.customer.first_name",
                               "pagila.pagila.public.customer.last_name"]},
    )
    BashOperator(task_id="load", bash_command="...", inlets=[source], outlets=[staging])

- :func:`om_table` names an OpenMetadata table by its fully qualified name
  (``service.database.schema.table``) as an Airflow ``Asset`` with the URI
  ``openmetadata://table/<url-quoted fqn>``. It is a normal Airflow Asset (it can schedule
  DAGs); the listener turns every inlet x outlet pair of a task into an edge.
- :func:`table_fqn_from_asset` is the reverse (``None`` for non-OpenMetadata assets).
- Lineage that SQL hooks report through Airflow's hook lineage collector is added too
  (see :mod:`openmetadata_platform.lineage.hook_lineage`), unless
  ``[openmetadata_lineage] only_keep_dag_lineage`` is true.
- :class:`openmetadata_platform.operators.lineage.OpenMetadataLineageOperator` sends the
  same metadata as a visible task, through the same code path.

Why the ``openmetadata`` URI scheme: the asset is identified by OpenMetadata's own name
for it (the FQN, globally unique in one OpenMetadata), not by a database URL that would
have to be mapped to an OpenMetadata service; the ``table`` host leaves room for other
entity types later.
"""

from __future__ import annotations

from openmetadata_platform.lineage.assets import (
    OM_SCHEME,
    MalformedAssetError,
    om_table,
    table_fqn_from_asset,
)

__all__ = ["OM_SCHEME", "MalformedAssetError", "om_table", "table_fqn_from_asset"]
