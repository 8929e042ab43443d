"""Table profiles, sample data and the profiler settings, as the profiler workflow uses them.

Mirrors open-metadata/OpenMetadata 2.0 (``openmetadata-service/src/main/java/org/openmetadata/
service/``); the TableRepository read is the 2.0-era one (``find(tableId, NON_DELETED)``):

- ``resources/system/SystemResource.getProfilerConfigurationSetting``: answers
  ``systemRepository.getConfigWithKey(PROFILER_CONFIGURATION)``; a fresh server has no such
  setting (``SettingsCache.createDefaultConfiguration`` seeds none), so it answers null, which
  JAX-RS sends as ``204 No Content``.
- ``jdbi3/TableRepository.addTableProfileData`` (``PUT /tables/{id}/tableProfile``): the table
  must exist and not be deleted (404); ``validateProfilerTimestamps`` wants milliseconds
  (``RestUtil.validateTimestampMilliseconds``, 400); every column profile must name a column
  of the table, nested ones as ``parent.child`` (``getColumnNameForProfiler``; 400 ``Invalid
  column name X``); table and column profiles are INSERTED, system profiles replace the row
  with the same timestamp and operation; the answer is the table with ``profile`` set.
- ``getTableProfiles``/``getColumnProfiles``/``getSystemProfiles``: ``startTs``..``endTs``,
  newest first, ``ResultList(data, startTs, endTs, size)``; ``getLatestTableProfile``: the
  latest table profile and, with ``includeColumnProfile`` (default true), each column's.
- ``addSampleData`` (``PUT /tables/{id}/sampleData``): every column must exist
  (``validateColumn``: 400 ``Invalid column name X``), each row as long as ``columns`` (400
  ``Number of columns is N but row has M sample values``); stored per table, replaced.
- ``addTableProfilerConfig``: include/exclude columns must exist; stored per table.
"""

from __future__ import annotations

from tests.openmetadata_standin import timeseries as ts
from tests.openmetadata_standin.entities import KINDS
from tests.openmetadata_standin.errors import ApiError, validated
from tests.openmetadata_standin.routes import Call, Route
from tests.openmetadata_standin.views import view


def _column_by_profile_name(columns: list[dict], name: str, parent: str | None = None) -> dict | None:
    """``TableRepository.getColumnNameForProfiler``: ``a.b`` names child ``b`` of column ``a``."""
    for column in columns:
        full = f"{parent}.{column['name']}" if parent else column["name"]
        if full == name:
            return column
        found = _column_by_profile_name(column.get("children") or [], name, full)
        if found:
            return found
    return None


def _validate_column(table: dict, name: str) -> None:
    """``TableRepository.validateColumn``: a top-level column name of the table."""
    if name not in {column["name"] for column in table.get("columns", [])}:
        raise ApiError(400, f"Invalid column name {name}")


def _answer(table: dict, **extra) -> dict:
    """The table as ``setFieldsInternal(table, EMPTY_FIELDS)`` leaves it, plus ``extra``; validated."""
    from metadata.generated.schema.entity.data.table import Table

    answer = {**view(KINDS["table"], table, set()), **extra}
    Table.model_validate(answer)
    return answer


def profiler_configuration(server, call: Call):
    return 204, None


def put_table_profile(server, call: Call):
    from metadata.generated.schema.api.data.createTableProfile import CreateTableProfileRequest

    table = server.store.get_by_id("table", call.groups["id"])
    request = validated(CreateTableProfileRequest, call.body, "CreateTableProfileRequest")
    data = request.model_dump(mode="json", exclude_none=True, by_alias=True)
    ts.check_timestamp_ms(data["tableProfile"].get("timestamp"))
    for profile in [*data.get("columnProfile", []), *data.get("systemProfile", [])]:
        ts.check_timestamp_ms(profile.get("timestamp"))
    columns = []
    for profile in data.get("columnProfile", []):
        column = _column_by_profile_name(table.get("columns", []), profile["name"])
        if column is None:
            raise ApiError(400, f"Invalid column name {profile['name']}")
        columns.append((column["fullyQualifiedName"], profile))
    # All checks passed: nothing is stored for a rejected request.
    fqn = table["fullyQualifiedName"]
    server.extensions.insert(fqn, ts.TABLE_PROFILE, data["tableProfile"])
    for column_fqn, profile in columns:
        server.extensions.insert(column_fqn, ts.COLUMN_PROFILE, profile)
    for profile in data.get("systemProfile", []):
        server.extensions.upsert(
            fqn,
            ts.SYSTEM_PROFILE,
            profile,
            same=lambda a, b: (a["timestamp"], a.get("operation")) == (b["timestamp"], b.get("operation")),
        )
    return 200, _answer(table, profile=data["tableProfile"])


def _table_by_fqn(server, fqn: str) -> dict:
    return server.store.get_by_fqn("table", fqn)


def latest_table_profile(server, call: Call):
    table = server.store.get_by_fqn("table", call.groups["fqn"], "all")  # findByName(fqn, ALL)
    latest = server.extensions.latest(table["fullyQualifiedName"], ts.TABLE_PROFILE)
    include_columns = call.query.get("includeColumnProfile", "true") != "false"
    answer = view(KINDS["table"], table, set())
    if include_columns:
        answer["columns"] = [_with_profile(server, column) for column in answer.get("columns", [])]
    return 200, _answer(answer, **({"profile": latest} if latest else {}))


def _with_profile(server, column: dict) -> dict:
    latest = server.extensions.latest(column["fullyQualifiedName"], ts.COLUMN_PROFILE)
    column = {**column, **({"profile": latest} if latest else {})}
    if column.get("children"):
        column["children"] = [_with_profile(server, child) for child in column["children"]]
    return column


def list_profiles(server, call: Call):
    from metadata.generated.schema.entity.data.table import ColumnProfile, SystemProfile, TableProfile

    kind = call.groups["kind"]
    start, end = ts.time_range(call.query)
    fqn = call.groups["fqn"]
    if kind == "columnProfile":
        _table_by_fqn(server, fqn.rsplit(".", 1)[0])  # the resource authorizes on the table
        extension, model = ts.COLUMN_PROFILE, ColumnProfile
    else:
        _table_by_fqn(server, fqn)
        extension, model = (
            (ts.TABLE_PROFILE, TableProfile) if kind == "tableProfile" else (ts.SYSTEM_PROFILE, SystemProfile)
        )
    rows = server.extensions.between(fqn, extension, start, end)
    for row in rows:
        model.model_validate(row)
    return 200, ts.result_list(rows, start, end)


def put_sample_data(server, call: Call):
    from metadata.generated.schema.entity.data.table import TableData

    table = server.store.get_by_id("table", call.groups["id"])
    data = validated(TableData, call.body, "TableData").model_dump(mode="json", exclude_none=True)
    for name in data.get("columns", []):
        _validate_column(table, name)
    for row in data.get("rows", []):
        if len(row) != len(data.get("columns", [])):
            raise ApiError(
                400, f"Number of columns is {len(data.get('columns', []))} but row has {len(row)} sample values"
            )
    server.extensions.put_value(table["id"], ts.SAMPLE_DATA, data)
    return 200, _answer(table, sampleData=data)


def get_sample_data(server, call: Call):
    table = server.store.get_by_id("table", call.groups["id"])
    sample = server.extensions.get_value(table["id"], ts.SAMPLE_DATA)
    return 200, _answer(table, **({"sampleData": sample} if sample else {}))


def put_profiler_config(server, call: Call):
    from metadata.generated.schema.entity.data.table import TableProfilerConfig

    table = server.store.get_by_id("table", call.groups["id"])
    config = validated(TableProfilerConfig, call.body, "TableProfilerConfig").model_dump(mode="json", exclude_none=True)
    for name in config.get("excludeColumns") or []:
        _validate_column(table, name)
    for column in config.get("includeColumns") or []:
        _validate_column(table, column["columnName"])
    server.extensions.put_value(table["id"], ts.TABLE_PROFILER_CONFIG, config)
    return 200, _answer(table, tableProfilerConfig=config)


_ID = r"(?P<id>[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})"

ROUTES = [
    Route("GET", r"system/settings/profilerConfiguration", profiler_configuration),
    Route("PUT", rf"tables/{_ID}/tableProfile", put_table_profile),
    Route("PUT", rf"tables/{_ID}/sampleData", put_sample_data),
    Route("GET", rf"tables/{_ID}/sampleData", get_sample_data),
    Route("PUT", rf"tables/{_ID}/tableProfilerConfig", put_profiler_config),
    Route("GET", r"tables/(?P<fqn>.+)/tableProfile/latest", latest_table_profile),
    Route("GET", r"tables/(?P<fqn>.+)/(?P<kind>tableProfile|columnProfile|systemProfile)", list_profiles),
]
