"""Usage for the stand-in: ``PUT``/``POST /v1/usage/{entity}/{id}`` and ``compute.percentile``.

What OpenMetadata's pipeline connectors call after each pipeline (``OpenMetadata
.publish_pipeline_usage``, ``compute_percentile``; the Airflow connector does). Mirrors
open-metadata/OpenMetadata 2.0 (``openmetadata-service/src/main/java/org/openmetadata/service/``):

- ``resources/usage/UsageResource.createOrUpdate`` (PUT) / ``create`` (POST): a ``@Valid
  DailyCount`` (``{count, date}``) for the entity of that type and id;
  ``jdbi3/UsageRepository.createOrUpdate``/``create`` first resolve it NON_DELETED (404);
  ``addUsage`` supports table, pipeline, dashboard, chart and mlmodel (any other type:
  ``UnhandledServerException``, a 500); ``pipelineEntityUsage`` answers ``201`` with a
  ``ChangeEvent`` whose entity is the pipeline with its new ``usageSummary``
  (``fieldsUpdated: usageSummary``); the entity's version does not change.
- ``UsageDAO.insertOrUpdateCount`` (PUT) adds to the day's count, ``insertOrReplaceCount``
  (POST) replaces it (the DAO SQL was not read: taken from the method names); the summary's
  weekly and monthly counts are the sums over 7 and 30 days up to that date
  (``UsageDetailsMapper``: count1/count7/count30); percentiles stay 0 until
  ``compute.percentile`` (not modelled beyond the 201).
- ``computePercentile`` (``POST /compute.percentile/{entity}/{date}``): 201, no body.
"""

from __future__ import annotations

import datetime as dt
import time
import uuid

from tests.openmetadata_standin.entities import KINDS
from tests.openmetadata_standin.errors import ApiError
from tests.openmetadata_standin.routes import Call, Route

USAGE_TYPES = {"table", "pipeline", "dashboard", "chart", "mlmodel"}
EXTENSION = "usage.dailyCount"


def _summary(rows: dict[str, int], date: str) -> dict:
    day = dt.date.fromisoformat(date)

    def window(days: int) -> int:
        return sum(count for d, count in rows.items() if 0 <= (day - dt.date.fromisoformat(d)).days < days)

    return {
        "date": date,
        "dailyStats": {"count": rows.get(date, 0), "percentileRank": 0.0},
        "weeklyStats": {"count": window(7), "percentileRank": 0.0},
        "monthlyStats": {"count": window(30), "percentileRank": 0.0},
    }


def report(server, call: Call):
    from metadata.generated.schema.type.changeEvent import ChangeEvent
    from metadata.generated.schema.type.dailyCount import DailyCountOfSomeMeasurement
    from pydantic import ValidationError

    entity_type = call.groups["entity"]
    if entity_type.lower() not in USAGE_TYPES or entity_type not in KINDS:
        raise ApiError(500, f"Entity type {entity_type} not supported for usage")
    entity = server.store.get_by_id(entity_type, call.groups["id"])
    try:
        usage = DailyCountOfSomeMeasurement.model_validate(call.body)
    except ValidationError as exc:
        raise ApiError(400, f"Invalid DailyCount: {exc.errors()[:3]}") from None
    date = str(usage.date.root)
    rows = server.extensions.get_value(entity["id"], EXTENSION) or {}
    rows[date] = (rows.get(date, 0) if call.method == "PUT" else 0) + usage.count
    server.extensions.put_value(entity["id"], EXTENSION, rows)
    summary = _summary(rows, date)
    updated = server.store.replace_fields(KINDS[entity_type], entity["id"], {"usageSummary": summary})
    event = {
        "id": str(uuid.uuid4()),
        "eventType": "entityUpdated",
        "entityType": entity_type,
        "entityId": entity["id"],
        "entityFullyQualifiedName": entity["fullyQualifiedName"],
        "previousVersion": entity["version"],
        "currentVersion": entity["version"],
        "userName": entity.get("updatedBy"),
        "timestamp": int(time.time() * 1000),
        "changeDescription": {
            "fieldsAdded": [],
            "fieldsUpdated": [{"name": "usageSummary", "newValue": summary, "oldValue": entity.get("usageSummary")}],
            "fieldsDeleted": [],
            "previousVersion": entity["version"],
        },
        "entity": updated,
    }
    ChangeEvent.model_validate(event)
    return 201, event


def compute_percentile(server, call: Call):
    try:
        dt.date.fromisoformat(call.groups["date"])
    except ValueError:
        raise ApiError(400, f"Invalid date {call.groups['date']}: expected yyyy-MM-dd") from None
    return 201, None


ROUTES = [
    Route("POST", r"usage/compute\.percentile/(?P<entity>[^/]+)/(?P<date>[^/]+)", compute_percentile),
    Route("PUT", r"usage/(?P<entity>[^/]+)/(?P<id>[0-9a-fA-F-]{36})", report),
    Route("POST", r"usage/(?P<entity>[^/]+)/(?P<id>[0-9a-fA-F-]{36})", report),
]
