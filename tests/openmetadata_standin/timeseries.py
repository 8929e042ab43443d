"""Time series and entity extensions for the stand-in, stored the way the server stores them.

The server keeps profiles, test case results and usage in ``entity_extension_time_series``
tables (rows of entity FQN, extension name, timestamp, JSON: ``EntityTimeSeriesDAO`` and
``ProfilerDataTimeSeriesDAO`` in ``openmetadata-service/.../jdbi3/CollectionDAO.java``) and
one-per-entity values (sample data, a table's profiler config) in ``entity_extension``
(``EntityExtensionDAO``: keyed by entity id and extension, an insert replaces). Listing is
``listBetweenTimestampsByOrder``: ``startTs <= timestamp <= endTs``, newest first.
"""

from __future__ import annotations

import copy
import threading

from tests.openmetadata_standin.errors import ApiError

# Extension names of TableRepository / TestCaseRepository (constants of the same names).
TABLE_PROFILE = "table.tableProfile"
COLUMN_PROFILE = "table.columnProfile"
SYSTEM_PROFILE = "table.systemProfile"
SAMPLE_DATA = "table.sampleData"
TABLE_PROFILER_CONFIG = "table.tableProfilerConfig"
TEST_CASE_RESULT = "testCase.testCaseResult"


class EntityExtensions:
    """Time-series rows and per-entity extension values, for one stand-in store."""

    def __init__(self):
        self._series: dict[tuple[str, str], list[dict]] = {}
        self._values: dict[tuple[str, str], dict] = {}
        self._lock = threading.Lock()

    # -- entity_extension_time_series --------------------------------------------------
    def insert(self, fqn: str, extension: str, record: dict) -> None:
        """``insert``: a new row, even when one with the same timestamp exists."""
        with self._lock:
            self._series.setdefault((fqn, extension), []).append(copy.deepcopy(record))

    def upsert(self, fqn: str, extension: str, record: dict, same=lambda a, b: a["timestamp"] == b["timestamp"]):
        """``storeTimeSeries`` after ``getExtensionAtTimestamp``: the row ``same`` matches is replaced."""
        with self._lock:
            rows = self._series.setdefault((fqn, extension), [])
            kept = [row for row in rows if not same(row, record)]
            kept.append(copy.deepcopy(record))
            self._series[(fqn, extension)] = kept

    def between(self, fqn: str, extension: str, start: int, end: int) -> list[dict]:
        """Rows with ``start <= timestamp <= end``, newest first (``OrderBy.DESC``)."""
        rows = list(self._series.get((fqn, extension), []))
        found = [row for row in rows if start <= row["timestamp"] <= end]
        return copy.deepcopy(sorted(found, key=lambda row: row["timestamp"], reverse=True))

    def latest(self, fqn: str, extension: str) -> dict | None:
        """``getLatestExtension``: the row with the highest timestamp, or ``None``."""
        rows = list(self._series.get((fqn, extension), []))
        return copy.deepcopy(max(rows, key=lambda row: row["timestamp"])) if rows else None

    def delete_at(self, fqn: str, extension: str, timestamp: int) -> int:
        """``deleteAtTimestamp``; returns how many rows went."""
        with self._lock:
            rows = self._series.get((fqn, extension), [])
            kept = [row for row in rows if row["timestamp"] != timestamp]
            self._series[(fqn, extension)] = kept
            return len(rows) - len(kept)

    def all_rows(self, extension: str) -> dict[str, list[dict]]:
        """Every row of ``extension`` by entity FQN (for tests)."""
        return {fqn: copy.deepcopy(rows) for (fqn, ext), rows in list(self._series.items()) if ext == extension}

    # -- entity_extension ----------------------------------------------------------------
    def put_value(self, entity_id: str, extension: str, value: dict) -> None:
        with self._lock:
            self._values[(entity_id, extension)] = copy.deepcopy(value)

    def get_value(self, entity_id: str, extension: str) -> dict | None:
        value = self._values.get((entity_id, extension))
        return copy.deepcopy(value) if value is not None else None

    def delete_value(self, entity_id: str, extension: str) -> None:
        with self._lock:
            self._values.pop((entity_id, extension), None)


def time_range(query: dict) -> tuple[int, int]:
    """``startTs``/``endTs`` query parameters (epoch ms), both required by the resources.

    Raises:
        ApiError: 400 when one is missing or not a number.
    """
    try:
        return int(query["startTs"]), int(query["endTs"])
    except (KeyError, ValueError):
        raise ApiError(400, "query param startTs and endTs must be epoch milliseconds") from None


def check_timestamp_ms(timestamp) -> None:
    """``RestUtil.validateTimestampMilliseconds``: 12 digits or more.

    Raises:
        ApiError: 400 ``Timestamp is required`` / ``Timestamp X is not valid, ...``.
    """
    if timestamp is None:
        raise ApiError(400, "Timestamp is required")
    if len(str(timestamp)) < 12:
        raise ApiError(400, f"Timestamp {timestamp} is not valid, it should be in milliseconds since epoch")


def result_list(data: list[dict], start: int, end: int) -> dict:
    """``new ResultList<>(data, startTs.toString(), endTs.toString(), size)``."""
    return {"data": data, "paging": {"before": str(start), "after": str(end), "total": len(data)}}
