"""Small fixes for measured slowness in openmetadata-ingestion 2.0.6, applied in the task process.

Each fix names its upstream cause, what it changes and what was measured; the speed fixes leave
what the workflow writes unchanged (``tests/workflows/test_upstream_fixes.py`` compares the
entities with and without them, ``tests/workflows/test_same_as_cli.py`` with what ``metadata
ingest -c`` writes), the one correctness fix says what it changes. Drop a fix when upstream
ships the same change: delete its function and its name in :data:`FIXES`.
``OPENMETADATA_PLATFORM_UPSTREAM_FIXES=off`` turns the speed fixes off, ``off:<name>,...`` the
named ones (to measure each).

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
  (``SELECT count(*)``) and only ``rowCount`` is replaced: the size upstream read
  (``pg_total_relation_size``: pagila's ``category`` 32768, ``payment`` 0) and every other
  field stay as upstream wrote them (``tests/workflows/test_same_as_cli.py`` compares every
  field with ``metadata profile -c``); tables with statistics keep upstream's cheap estimate.
- :func:`read_tables_once_for_foreign_keys`: ``metadata.ingestion.source.database
  .common_db_source.CommonDbSourceService.yield_table_constraints`` (the harvest's last step,
  for every foreign key whose referred table was not written yet when its table was read:
  nearly all of them on a first harvest, since the sink writes tables in bulk batches of 100)
  re-reads, per table, what the same run has just written: ``fqn.build`` searches the table
  (``GET search/fieldQuery`` and a ``GET tables/name`` per hit), then ``GET tables/name`` of
  the table and of each referred table. Here those reads come from one listing per schema
  (``GET tables?databaseSchema=...&fields=tableConstraints``); the PATCHes are upstream's.
  Measured on 1,000 synthetic tables (tests/scale_catalog.py; whole processes, 3 interleaved
  runs, medians): 2.15 requests per table instead of 5.94 (``GET tables/name`` 3.81 -> 0.96,
  searches 1.12 -> 0.14); time in the workflow 29.0 -> 24.9 s, CPU 21.3 -> 18.6 s against
  the in-memory stand-in (a real server spends milliseconds more on each read saved); peak
  RSS +3 MiB (the listings of at most :data:`SCHEMAS_KEPT` schemas).
- :func:`skip_lookups_of_unwritten_tables`: ``CommonDbSourceService._prepare_foreign_constraints``
  sends, for each foreign key of each table read, ``GET tables/name/{referred table}``. On a
  first harvest nearly every answer is 404 (the referred table is in the sink's bulk buffer or
  not read yet) and the key is deferred to the pass above. A referred table that is neither in
  its schema's listing (once per schema and run) nor sent by this process is not looked up: it
  is deferred as the 404 would have deferred it. Over stored tables every lookup still goes to
  the server. Measured on pagila (18 foreign keys; ``test_upstream_fixes.py`` compares the
  tables written, versions and change descriptions included, on a first and a second
  harvest): 18 lookups -> 1 listing on the first harvest, the same 28 lookups + 1 listing on
  the second. On 1,000 synthetic tables (tests/bench_harvest.py ``--tables 1000``): 2.15 ->
  0.99 requests per table, entities identical to ``metadata ingest -c``'s.
- :func:`read_proxy_environment_once`: ``requests.Session`` (``prepare_request``,
  ``merge_environment_settings``) reads ``.netrc``, every ``*_proxy`` variable with
  ``NO_PROXY`` and the CA bundle variables for EVERY request of OpenMetadata's client
  (``metadata.ingestion.ometa.client.REST``): ~490 ``os.environ`` lookups per request with
  120 variables set, 0.7 ms. They are read once per host of each client; HTTP(S)_PROXY and
  NO_PROXY keep working (``test_upstream_fixes.py`` sends through a proxy). Measured: 1,000
  GETs 2.22 -> 1.49 s; 1,000 tables harvested in 26.6 s instead of 29.0 s in the workflow
  (CPU 21.3 -> 20.3 s).
- :func:`reflect_types_once_per_inspector`: ``metadata.ingestion.source.database.postgres
  .utils.get_columns`` does not pass its ``info_cache`` to ``_load_domains``/``_load_enums``,
  so two catalog queries over every type of the database run for each table (2 of ~9 SQL
  statements per table); with the cache they run once per inspector. Measured: 1,000 tables
  harvested in 26.6 s instead of 29.0 s in the workflow (CPU 21.3 -> 20.5 s); all three
  together 22.0 s (CPU 17.5 s).
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

import collections
import contextvars
import functools
import gc
import importlib.metadata
import logging
import os
import threading

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


@functools.cache
def _metrics_row(fields: tuple[str, ...]) -> type:
    """A named tuple with the fields of upstream's result row (what ``compute`` returns)."""
    return collections.namedtuple("TableMetrics", fields)


def count_rows_without_statistics() -> None:
    """Wrap ``PostgresTableMetricComputer.compute``: a negative ``reltuples`` is counted instead.

    Only ``rowCount`` is replaced; every other value of upstream's row (``sizeInBytes`` from
    ``pg_total_relation_size``, ``columnNames``, ``columnCount``) is kept as upstream computed
    it (``BaseTableMetricComputer.compute`` alone has no size: ``sizeInByte`` would be null).
    Runs one more query, ``SELECT count(*), ... FROM <table>``, for those tables only.
    """
    from metadata.profiler.orm.functions import table_metric_computer as computers

    computer = computers.PostgresTableMetricComputer
    if getattr(computer.compute, "_counts_without_statistics", False):
        return
    upstream = computer.compute

    def compute(self):
        result = upstream(self)
        if result is None or result.rowCount is None or result.rowCount >= 0:
            return result
        counted = computers.BaseTableMetricComputer.compute(self)  # SELECT count(*), ... FROM the table
        if counted is None or counted.rowCount is None:
            return result
        values = result._asdict()
        values["rowCount"] = counted.rowCount
        return _metrics_row(tuple(values))(**values)

    compute._counts_without_statistics = True
    computer.compute = compute


# Page size of the table listings of the foreign-key pass (a page of 500 tables with their
# columns is a few MB), and how many schemas' listings it keeps (the pass goes schema by schema).
TABLE_PAGE_SIZE = 500
SCHEMAS_KEPT = 4


class _TablesReadOnce:
    """Answers the foreign-key pass's table reads from one listing per schema.

    Stands in for the source's ``OpenMetadata`` client (``self.metadata``) while
    ``CommonDbSourceService.yield_table_constraints`` runs; every other call goes to the client.
    Nothing is written during that pass but the foreign-key PATCHes of tables already read, so
    what a GET or a search would answer is what the listing answered:

    - ``get_by_name(Table, fqn, fields=None | ["tableConstraints"])``: the listed table (its
      ``tableConstraints`` cleared when not asked for, as the server does); a table not in its
      schema's listing is not there (``None``).
    - ``es_search_from_fqn(Table, "<service>.<db>.<schema>.<table>")``: the search index folds
      case, so it finds the one table with that name up to case, or nothing; when the database
      or the schema name is shared up to case with another, or several tables match, the
      server is asked.

    The listings of the last :data:`SCHEMAS_KEPT` schemas are kept (memory stays that of a few
    schemas, not of the catalog).
    """

    def __init__(self, metadata, service: str):
        from metadata.generated.schema.entity.data.table import Table

        self._metadata = metadata
        self._table_type = Table
        self._service = service
        self._schemas: collections.OrderedDict[str, tuple[dict, dict]] = collections.OrderedDict()
        self._folded_names: dict[str, dict[str, int]] = {}  # parent FQN -> {child name folded: how many}

    def __getattr__(self, name: str):
        return getattr(self._metadata, name)

    def _listing(self, schema_fqn: str) -> tuple[dict, dict]:
        """({table FQN: Table}, {table FQN folded: [Table]}) of one schema, listed once."""
        if schema_fqn in self._schemas:
            self._schemas.move_to_end(schema_fqn)
            return self._schemas[schema_fqn]
        tables, folded = {}, {}
        # GET /api/v1/tables?databaseSchema=<fqn>&fields=tableConstraints&limit=..., paginated
        for table in self._metadata.list_all_entities(
            entity=self._table_type,
            fields=["tableConstraints"],
            params={"databaseSchema": schema_fqn},
            limit=TABLE_PAGE_SIZE,
        ):
            name = table.fullyQualifiedName.root
            tables[name] = table
            folded.setdefault(name.lower(), []).append(table)
        self._schemas[schema_fqn] = (tables, folded)
        if len(self._schemas) > SCHEMAS_KEPT:
            self._schemas.popitem(last=False)
        return tables, folded

    def _unique_up_to_case(self, parent_fqn: str, kind, name: str) -> bool:
        """Whether no other child of ``parent_fqn`` (a service or a database) is named ``name`` up to case."""
        if parent_fqn not in self._folded_names:
            from metadata.generated.schema.entity.data.database import Database
            from metadata.generated.schema.entity.data.databaseSchema import DatabaseSchema

            entity, param = (Database, "service") if kind == "database" else (DatabaseSchema, "database")
            counts: dict[str, int] = {}
            # GET /api/v1/databases?service=... or /api/v1/databaseSchemas?database=..., paginated
            for child in self._metadata.list_all_entities(entity=entity, params={param: parent_fqn}, limit=1000):
                counts[child.name.root.lower()] = counts.get(child.name.root.lower(), 0) + 1
            self._folded_names[parent_fqn] = counts
        return self._folded_names[parent_fqn].get(name.lower(), 0) <= 1

    def _schema_of(self, table_fqn: str) -> str | None:
        """The schema FQN of a table FQN of this service, or None."""
        from metadata.utils import fqn

        parts = fqn.split(table_fqn)
        if len(parts) != 4 or parts[0] != self._service:
            return None
        return fqn._build(*parts[:3])

    @staticmethod
    def _as_got(table, fields):
        # Shallow copies: upstream deep-copies the table it changes (``new_entity``) and only
        # reads the others (columns, constraints), so nothing handed out is changed in place.
        if fields:
            return table.model_copy()
        return table.model_copy(update={"tableConstraints": None})

    def get_by_name(self, entity, fqn, fields=None, nullable=True, include=None):
        name = getattr(fqn, "root", fqn)
        schema = self._schema_of(name) if entity is self._table_type and include is None else None
        if schema and list(fields or []) in ([], ["tableConstraints"]):
            table = self._listing(schema)[0].get(name)
            if table is not None:
                return self._as_got(table, fields)
            if nullable:
                return None
        return self._metadata.get_by_name(entity=entity, fqn=fqn, fields=fields, nullable=nullable, include=include)

    def es_search_from_fqn(self, entity_type, fqn_search_string, from_count=0, size=10, fields=None):
        from metadata.utils import fqn

        schema = None
        if entity_type is self._table_type and from_count == 0 and fields is None and "*" not in fqn_search_string:
            schema = self._schema_of(fqn_search_string)
        if schema:
            service, database, schema_name, _ = fqn.split(fqn_search_string)
            if self._unique_up_to_case(service, "database", database) and self._unique_up_to_case(
                fqn._build(service, database), "schema", schema_name
            ):
                found = self._listing(schema)[1].get(fqn_search_string.lower(), [])
                if len(found) <= 1:
                    return [self._as_got(table, None) for table in found] or None
        return self._metadata.es_search_from_fqn(
            entity_type=entity_type,
            fqn_search_string=fqn_search_string,
            from_count=from_count,
            size=size,
            fields=fields,
        )


def read_tables_once_for_foreign_keys() -> None:
    """Wrap ``CommonDbSourceService.yield_table_constraints``: its reads come from listings.

    Calls ``GET /api/v1/tables?databaseSchema=<fqn>&fields=tableConstraints`` (pages of
    :data:`TABLE_PAGE_SIZE`) once per schema, and once per service and database the listing
    of their databases and schemas, instead of, per table with a deferred foreign key, a search
    (``GET /api/v1/search/fieldQuery``), a ``GET /api/v1/tables/name/{fqn}`` per search hit,
    one for the table and one per referred table. The PATCHes it yields are upstream's own.
    """
    from metadata.ingestion.source.database.common_db_source import CommonDbSourceService

    if getattr(CommonDbSourceService.yield_table_constraints, "_reads_tables_once", False):
        return
    upstream = CommonDbSourceService.yield_table_constraints

    def yield_table_constraints(self):
        if not self.context.get_global().foreign_tables:
            yield from upstream(self)
            return
        client = self.metadata
        reads = _TablesReadOnce(client, self.context.get().database_service)
        steps = upstream(self)
        while True:
            # Only upstream's own code sees the stand-in client: the sink writes each yielded
            # PATCH with the real one, in between.
            self.metadata = reads
            try:
                request = next(steps)
            except StopIteration:
                return
            finally:
                self.metadata = client
            yield request

    yield_table_constraints._reads_tables_once = True
    CommonDbSourceService.yield_table_constraints = yield_table_constraints


# FQNs of the tables this process has sent to each server (its ``hostPort``), by any of the
# client's three table writes; see skip_lookups_of_unwritten_tables.
_TABLES_SENT: dict[str, set[str]] = collections.defaultdict(set)
_TABLES_SENT_LOCK = threading.Lock()


def _record_tables_sent(client, requests) -> None:
    from metadata.generated.schema.api.data.createTable import CreateTableRequest
    from metadata.utils import fqn

    names = {
        fqn._build(*fqn.split(request.databaseSchema.root), request.name.root)
        for request in requests
        if isinstance(request, CreateTableRequest)
    }
    if names:
        with _TABLES_SENT_LOCK:
            _TABLES_SENT[client.config.hostPort].update(names)


class _UnwrittenTablesAbsent:
    """Answers ``get_by_name(Table, fqn)`` with ``None``, without a request, for a table that can
    only be absent: not listed in its schema when first asked (``GET tables?databaseSchema=``,
    once per schema and run) and not sent by this process since. Every other call goes to the
    client, as does any FQN that needs quoting (upstream builds the referred FQN by joining
    raw names, so only a plain one is the stored FQN)."""

    def __init__(self, metadata, listed: dict[str, set[str]]):
        from metadata.generated.schema.entity.data.table import Table

        self._metadata, self._listed, self._table_type = metadata, listed, Table

    def __getattr__(self, name: str):
        return getattr(self._metadata, name)

    def _absent(self, name: str) -> bool:
        from metadata.utils import fqn

        parts = fqn.split(name)
        if len(parts) != 4 or fqn._build(*parts) != name:
            return False
        schema = fqn._build(*parts[:3])
        if schema not in self._listed:
            # GET /api/v1/tables?databaseSchema=<fqn>&limit=1000, paginated: names only are kept
            self._listed[schema] = {
                table.fullyQualifiedName.root
                for table in self._metadata.list_all_entities(
                    entity=self._table_type, params={"databaseSchema": schema}, limit=1000
                )
            }
        with _TABLES_SENT_LOCK:
            sent = name in _TABLES_SENT.get(self._metadata.config.hostPort, ())
        return not sent and name not in self._listed[schema]

    def get_by_name(self, entity, fqn, fields=None, nullable=True, include=None):
        name = getattr(fqn, "root", fqn)
        if entity is self._table_type and not fields and include is None and nullable and self._absent(name):
            return None
        return self._metadata.get_by_name(entity=entity, fqn=fqn, fields=fields, nullable=nullable, include=include)


def skip_lookups_of_unwritten_tables() -> None:
    """Wrap ``CommonDbSourceService._prepare_foreign_constraints`` while tables are read: its
    ``GET /api/v1/tables/name/{referred table}`` is not sent for a table that cannot be there.

    Records the tables sent by ``OpenMetadata.create_or_update``, ``bulk_create_or_update`` and
    ``bulk_create_or_update_tables`` (before sending), and lists each referred schema once per
    run (``GET /api/v1/tables?databaseSchema=``). A referred table in neither is absent, so the
    GET would answer 404 and upstream defers the key to ``yield_table_constraints``: it is
    deferred the same way, without the GET. A table listed or sent is asked for as upstream does.
    Only a writer outside this process, between the listing and the GET, could make the answers
    differ; the key is then written by the deferred pass's PATCH instead of with the table.
    """
    from metadata.ingestion.ometa.ometa_api import OpenMetadata
    from metadata.ingestion.source.database.common_db_source import CommonDbSourceService

    if getattr(CommonDbSourceService._prepare_foreign_constraints, "_skips_unwritten", False):
        return

    def recording(upstream, requests_of):
        @functools.wraps(upstream)
        def write(self, *args, **kwargs):
            _record_tables_sent(self, requests_of(*args, **kwargs))
            return upstream(self, *args, **kwargs)

        return write

    OpenMetadata.create_or_update = recording(OpenMetadata.create_or_update, lambda data: [data])
    OpenMetadata.bulk_create_or_update = recording(
        OpenMetadata.bulk_create_or_update, lambda entities, *args, **kwargs: entities
    )
    OpenMetadata.bulk_create_or_update_tables = recording(
        OpenMetadata.bulk_create_or_update_tables, lambda bulk_request, *args, **kwargs: bulk_request.tables
    )
    upstream = CommonDbSourceService._prepare_foreign_constraints

    @functools.wraps(upstream)
    def _prepare_foreign_constraints(self, *args, **kwargs):
        add_to_global = kwargs.get("add_to_global", args[6] if len(args) > 6 else True)
        if not add_to_global:  # the deferred pass: read_tables_once_for_foreign_keys answers its reads
            return upstream(self, *args, **kwargs)
        client = self.metadata
        listed = self.__dict__.setdefault("_platform_listed_schemas", {})  # per source, i.e. per run
        self.metadata = _UnwrittenTablesAbsent(client, listed)
        try:
            return upstream(self, *args, **kwargs)
        finally:
            self.metadata = client

    _prepare_foreign_constraints._skips_unwritten = True
    CommonDbSourceService._prepare_foreign_constraints = _prepare_foreign_constraints


# The reflection cache of the ``get_columns`` call running in this thread (see below).
_COLUMNS_INFO_CACHE: contextvars.ContextVar[dict | None] = contextvars.ContextVar("columns_info_cache", default=None)


def reflect_types_once_per_inspector() -> None:
    """Wrap PostgreSQL's ``get_columns``: its domain and enum lookups use the inspector's cache.

    ``metadata.ingestion.source.database.postgres.utils.get_columns`` (installed as
    ``PGDialect.get_columns``) calls ``self._load_domains(connection)`` and
    ``self._load_enums(connection, schema="*")`` without the ``info_cache`` it was given, so
    SQLAlchemy's ``reflection.cache`` cannot cache them: two catalog queries over every type of
    the database for each table. They take no table argument; with the inspector's cache they
    run once per inspector, as SQLAlchemy's own ``get_columns`` does.
    """
    from metadata.ingestion.source.database.postgres import metadata  # noqa: F401 - installs get_columns
    from sqlalchemy.dialects.postgresql.base import PGDialect

    if getattr(PGDialect.get_columns, "_types_once", False):
        return
    upstream_columns = PGDialect.get_columns

    def get_columns(self, connection, table_name, schema=None, **kw):
        token = _COLUMNS_INFO_CACHE.set(kw.get("info_cache"))
        try:
            return upstream_columns(self, connection, table_name, schema, **kw)
        finally:
            _COLUMNS_INFO_CACHE.reset(token)

    def with_info_cache(upstream):
        @functools.wraps(upstream)
        def load(self, connection, *args, **kw):
            info_cache = _COLUMNS_INFO_CACHE.get()
            if info_cache is not None and "info_cache" not in kw:
                kw["info_cache"] = info_cache
            return upstream(self, connection, *args, **kw)

        return load

    get_columns._types_once = True
    PGDialect.get_columns = get_columns
    PGDialect._load_domains = with_info_cache(PGDialect._load_domains)
    PGDialect._load_enums = with_info_cache(PGDialect._load_enums)


def _environment_once(session) -> None:
    """Make ``session`` (a ``requests.Session``) read the environment once per host.

    ``requests`` does, on every request with ``trust_env`` (``Session.prepare_request``,
    ``Session.merge_environment_settings``): ``get_netrc_auth``, ``get_environ_proxies`` (every
    ``*_proxy`` variable and ``NO_PROXY`` against the host), ``REQUESTS_CA_BUNDLE`` /
    ``CURL_CA_BUNDLE``. Here they are read the first time a host is called and kept for the
    session; ``trust_env`` is then off so that requests does not read them again. The proxies a
    request names itself still win, as before.
    """
    import requests
    from requests.utils import get_environ_proxies, get_netrc_auth, urlparse

    hosts: dict[tuple[str, str], tuple] = {}

    def environment(url: str) -> tuple:
        parts = urlparse(url)
        key = (parts.scheme, parts.netloc)
        if key not in hosts:
            bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
            hosts[key] = (get_environ_proxies(url), get_netrc_auth(url), bundle)
        return hosts[key]

    def prepare_request(request):
        if not request.auth and not session.auth and request.url:
            request.auth = environment(request.url)[1]
        return requests.Session.prepare_request(session, request)

    def merge_environment_settings(url, proxies, stream, verify, cert):
        if proxies is not None and proxies.get("no_proxy"):
            env_proxies = get_environ_proxies(url, no_proxy=proxies["no_proxy"])  # rare: not cached
            bundle = environment(url)[2]
        else:
            env_proxies, _, bundle = environment(url)
        if proxies is not None:
            for scheme, proxy in env_proxies.items():
                proxies.setdefault(scheme, proxy)
        if verify is True or verify is None:
            verify = bundle or verify
        return requests.Session.merge_environment_settings(session, url, proxies, stream, verify, cert)

    session.trust_env = False
    session.prepare_request = prepare_request
    session.merge_environment_settings = merge_environment_settings


def read_proxy_environment_once() -> None:
    """Wrap ``REST.__init__`` (OpenMetadata's HTTP client): its session reads the environment once
    per host (see :func:`_environment_once`); ``HTTP(S)_PROXY``/``NO_PROXY`` apply as before."""
    from metadata.ingestion.ometa import client

    if getattr(client.REST.__init__, "_environment_once", False):
        return
    upstream = client.REST.__init__

    @functools.wraps(upstream)
    def __init__(self, config):
        upstream(self, config)
        _environment_once(self._session)

    __init__._environment_once = True
    client.REST.__init__ = __init__


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
# samplers only when they profile; the header cache helps every workflow that runs SQL, reading
# the proxy environment once every workflow that talks to the server).
FIXES = {
    "metadata": (
        cache_query_header_version,
        read_proxy_environment_once,
        read_tables_once_for_foreign_keys,
        skip_lookups_of_unwritten_tables,
        reflect_types_once_per_inspector,
        topology_context_for_this_thread,
    ),
    "profiler": (
        cache_query_header_version,
        read_proxy_environment_once,
        skip_full_gc_per_metric,
        count_rows_without_statistics,
    ),
    "data_quality": (cache_query_header_version, read_proxy_environment_once),
    "auto_classification": (cache_query_header_version, read_proxy_environment_once, forbid_spacy_download),
    "lineage": (cache_query_header_version, read_proxy_environment_once),
    "usage": (cache_query_header_version, read_proxy_environment_once),
}


# The fixes that only make a workflow faster (what they write is the same): "off" skips them, to
# measure openmetadata-ingestion's own speed (benchmarks) and to compare outputs (tests).
SPEED_FIXES = (
    cache_query_header_version,
    skip_full_gc_per_metric,
    read_proxy_environment_once,
    read_tables_once_for_foreign_keys,
    skip_lookups_of_unwritten_tables,
    reflect_types_once_per_inspector,
)
SWITCH = "OPENMETADATA_PLATFORM_UPSTREAM_FIXES"


def _speed_fixes_off() -> set[str]:
    """Names of the speed fixes ``$OPENMETADATA_PLATFORM_UPSTREAM_FIXES`` turns off: ``off`` all of
    them, ``off:<name>,<name>`` those named (to measure one fix at a time); anything else none."""
    value = os.environ.get(SWITCH, "on").strip()
    if value.lower() == "off":
        return {fix.__name__ for fix in SPEED_FIXES}
    if value.lower().startswith("off:"):
        return {name.strip() for name in value[4:].split(",") if name.strip()}
    return set()


def apply(workflow_type: str) -> None:
    """Apply the fixes for ``workflow_type`` (idempotent; imports openmetadata-ingestion); with
    ``$OPENMETADATA_PLATFORM_UPSTREAM_FIXES=off`` only those that are not :data:`SPEED_FIXES`,
    with ``off:<name>,...`` all but the named speed fixes."""
    speed_off = _speed_fixes_off()
    if speed_off:
        log.info("openmetadata-ingestion speed fixes off (%s): %s", SWITCH, ", ".join(sorted(speed_off)))
    for fix in FIXES.get(workflow_type, ()):
        if fix.__name__ in speed_off and fix in SPEED_FIXES:
            continue
        fix()
        log.debug("openmetadata-ingestion fix applied: %s", fix.__name__)
