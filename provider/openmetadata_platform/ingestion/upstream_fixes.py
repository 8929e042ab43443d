"""Small fixes for measured slowness in openmetadata-ingestion 2.0.6, applied in the task process.

Each fix names its upstream cause, what it changes and what was measured; the speed fixes leave
what the workflow writes unchanged (``tests/workflows/test_upstream_fixes.py`` compares the
entities with and without them), the one correctness fix says what it changes. Drop a fix
when upstream ships the same change: delete its function and its name in :data:`FIXES`.

- :func:`cache_query_header_version`: ``metadata.ingestion.connections.headers
  .inject_query_header`` (a SQLAlchemy ``before_cursor_execute`` hook on every source
  connection) calls ``importlib.metadata.version("openmetadata-ingestion")`` for EVERY SQL
  statement; that re-reads and e-mail-parses the package's 62 KB METADATA file: 5.5 ms per
  statement on this machine (18 ms on the issue's), ~13 statements per harvested table. The
  version cannot change inside a process, so it is cached once. Measured: 1,000 synthetic
  tables harvested in 84 s instead of 113 s (``make bench-scale``).
- :func:`skip_full_gc_per_metric`: ``metadata.profiler.interface.sqlalchemy.profiler_interface
  .SQAProfilerInterface.compute_metrics_in_thread`` runs ``gc.collect()`` (a FULL collection of
  every generation) after each metric query of each column, in the worker threads, holding
  the GIL. With the ~600,000 objects an ingestion process holds, each takes about 1.3 s on
  this machine: profiling pagila's 15 tables (267 metric queries) took 115 s, 3.0 s without
  it. CPython's reference counting frees the query results at once and its automatic
  generational collector still runs; only the forced full collection is skipped.
- :func:`count_rows_without_statistics` (a correctness fix, not a speed one: it changes what is
  written, from a wrong value to the right one): ``metadata.profiler.orm.functions
  .table_metric_computer.PostgresTableMetricComputer.compute`` takes a PostgreSQL table's row
  count from ``pg_class.reltuples`` and falls back to counting only when that is NULL. It is
  ``-1`` for a table never vacuumed or analyzed (PostgreSQL 14+), and always for a
  partitioned table's parent unless someone runs ``ANALYZE`` on the parent itself (autovacuum
  never does): pagila's ``payment`` and every freshly loaded table were profiled with
  ``rowCount = -1``. When ``reltuples`` is negative the base computer counts the rows
  (``SELECT count(*)``); tables with statistics keep upstream's cheap estimate.
- :func:`topology_context_for_this_thread` (a failure, not a speed fix):
  ``metadata.ingestion.source.database.database_service.DatabaseServiceSource.context`` is a
  ``TopologyContextManager`` made when that module is first IMPORTED, and it records the
  importing thread as the "main thread" (``TopologyContextManager.__init__``). When the first
  import happened in another thread (a background thread of the same process: a listener, a
  server thread in tests), every harvest then fails with ``KeyError: <thread id>``
  (``TopologyContextManager.get``). Seen in this repository's suite once pytest no longer loaded
  openmetadata-ingestion's plugin (which imported the client in the main thread first). The
  context is made again for the running thread when it was made for another one.
- :func:`forbid_spacy_download`: ``metadata.pii.algorithms.presidio_utils._load_spacy_model``
  calls ``spacy.cli.download`` when the NER model is missing, which hangs (or installs
  packages at run time) on machines without internet. The operators check the model first
  (:mod:`.nlp_model`); this makes any remaining call fail at once with the same instruction.
"""

from __future__ import annotations

import functools
import gc
import importlib.metadata
import logging
import os

log = logging.getLogger(__name__)


def cache_query_header_version() -> None:
    """Cache the version lookup of ``inject_query_header`` (module global ``_pkg_version``)."""
    from metadata.ingestion.connections import headers

    if not isinstance(headers._pkg_version, functools._lru_cache_wrapper):
        headers._pkg_version = functools.lru_cache(maxsize=None)(importlib.metadata.version)


class _NoFullCollection:
    """Stands in for the ``gc`` module inside the profiler interface: ``collect()`` does nothing."""

    def __getattr__(self, name: str):
        return getattr(gc, name)

    @staticmethod
    def collect(generation: int = 2) -> int:
        return 0


def skip_full_gc_per_metric() -> None:
    """Replace the profiler interface's module-level ``gc`` by :class:`_NoFullCollection`."""
    from metadata.profiler.interface.sqlalchemy import profiler_interface

    if not isinstance(profiler_interface.gc, _NoFullCollection):
        profiler_interface.gc = _NoFullCollection()


def count_rows_without_statistics() -> None:
    """Wrap ``PostgresTableMetricComputer.compute``: a negative ``reltuples`` is counted instead."""
    from metadata.profiler.orm.functions import table_metric_computer as computers

    computer = computers.PostgresTableMetricComputer
    if getattr(computer.compute, "_counts_without_statistics", False):
        return
    upstream = computer.compute

    def compute(self):
        result = upstream(self)
        if result is not None and result.rowCount is not None and result.rowCount < 0:
            return computers.BaseTableMetricComputer.compute(self)  # SELECT count(*), ... FROM the table
        return result

    compute._counts_without_statistics = True
    computer.compute = compute


def topology_context_for_this_thread() -> None:
    """Re-create ``DatabaseServiceSource.context`` when it belongs to another thread."""
    import threading

    from metadata.ingestion.models.topology import TopologyContextManager
    from metadata.ingestion.source.database.database_service import DatabaseServiceSource

    if DatabaseServiceSource.context.main_thread != threading.get_ident():
        DatabaseServiceSource.context = TopologyContextManager(DatabaseServiceSource.topology)


def forbid_spacy_download() -> None:
    """Make ``presidio_utils.download`` (``spacy.cli.download``) raise instead of downloading.

    Raises (when the workflow then asks for a missing model):
        OSError: with the instruction of :func:`.nlp_model.missing_model_message`.
    """
    from metadata.pii.algorithms import presidio_utils

    from openmetadata_platform.ingestion.nlp_model import missing_model_message

    def no_download(model: str, *args, **kwargs):
        raise OSError(missing_model_message(model))

    presidio_utils.download = no_download


# Which fixes each workflow needs (the profiler's also runs in data quality and classification
# samplers only when they profile; the header cache helps every workflow that runs SQL).
FIXES = {
    "metadata": (cache_query_header_version, topology_context_for_this_thread),
    "profiler": (cache_query_header_version, skip_full_gc_per_metric, count_rows_without_statistics),
    "data_quality": (cache_query_header_version,),
    "auto_classification": (cache_query_header_version, forbid_spacy_download),
    "lineage": (cache_query_header_version,),
    "usage": (cache_query_header_version,),
}


# The fixes that only make a workflow faster (what they write is the same): "off" skips them, to
# measure openmetadata-ingestion's own speed (benchmarks) and to compare outputs (tests).
SPEED_FIXES = (cache_query_header_version, skip_full_gc_per_metric)
SWITCH = "OPENMETADATA_PLATFORM_UPSTREAM_FIXES"


def apply(workflow_type: str) -> None:
    """Apply the fixes for ``workflow_type`` (idempotent; imports openmetadata-ingestion); with
    ``$OPENMETADATA_PLATFORM_UPSTREAM_FIXES=off`` only those that are not :data:`SPEED_FIXES`."""
    speed_off = os.environ.get(SWITCH, "on").lower() == "off"
    if speed_off:
        log.info("openmetadata-ingestion speed fixes are off (%s=off)", SWITCH)
    for fix in FIXES.get(workflow_type, ()):
        if speed_off and fix in SPEED_FIXES:
            continue
        fix()
        log.debug("openmetadata-ingestion fix applied: %s", fix.__name__)
