"""What a GET answers: the ``fields`` and ``include`` query parameters, as the server applies them.

Citations are to open-metadata/OpenMetadata 2.0 (``openmetadata-service/src/main/java/org/
openmetadata/service/``; read in the 2.0.0-SNAPSHOT mirror, see /work/notes/server-rules.md):

- ``util/EntityUtil.Fields``: ``fields`` is split on ``,`` (blanks removed); a name that is
  not a property of the entity is ``400 Invalid field name <name>``; ``EntityRepository
  .getFields``: ``*`` means every field.
- ``jdbi3/EntityRepository.clearFieldsInternal``: owners, tags, followers, extension,
  domains, dataProducts, children, experts, reviewers and votes come back only when asked
  for; each repository's ``clearFields`` adds its own (``EntityKind.on_request``).
- ``TableRepository.clearFields``/``fetchAndSetColumnTags``: columns always come back, their
  tags only with ``fields`` naming both ``columns`` and ``tags``.
- ``PipelineRepository.setFields``/``clearFields``: ``tasks`` and ``pipelineStatus`` (the
  latest status, task statuses by start time) only on request; task tags only with
  ``tags``; task owners are never read back on a GET (``getTaskOwners`` only re-reads
  owners of tasks that already carry some, and the stored JSON drops them).
- ``TeamRepository.clearFields``: ``childrenCount``/``userCount`` are 0 unless requested.
- PUT/POST answers are not filtered (``createOrUpdate`` returns the entity as written).
"""

from __future__ import annotations

import base64
import copy

from tests.openmetadata_standin.entities import EntityKind
from tests.openmetadata_standin.errors import ApiError

COMMON_ON_REQUEST = (
    "owners",
    "tags",
    "followers",
    "extension",
    "domains",
    "dataProducts",
    "children",
    "experts",
    "reviewers",
    "votes",
)


def requested_fields(kind: EntityKind, raw: str | None) -> set[str]:
    """The field names of a ``fields`` parameter (``*`` = all).

    Raises:
        ApiError: 400 ``Invalid field name <name>`` for a name the entity does not have.
    """
    if not raw:
        return set()
    if raw.strip() == "*":
        return set(kind.field_names)
    names = {name for name in raw.replace(" ", "").split(",") if name}
    for name in sorted(names):
        if name not in kind.field_names:
            raise ApiError(400, f"Invalid field name {name}")
    return names


def view(kind: EntityKind, entity: dict, fields: set[str], latest_status: dict | None = None) -> dict:
    """``entity`` as a GET with ``fields`` answers it (a copy; the stored entity is untouched).

    Args:
        latest_status: for pipelines, the newest PipelineStatus (shown with ``pipelineStatus``).
    """
    answer = copy.deepcopy(entity)
    for name in (*COMMON_ON_REQUEST, *kind.on_request):
        if name not in fields:
            answer.pop(name, None)
    if kind.type_name == "table" and "tags" not in fields:
        answer["columns"] = [_without_tags(c) for c in answer.get("columns", [])]
    elif kind.type_name == "table":
        # populateEntityFieldTags sets every column's tags (an empty list when it has none), and
        # JsonUtils writes empty lists: clients patch tags into that list (patch_column_tags).
        answer["columns"] = [_with_tags(c) for c in answer.get("columns", [])]
    if "tags" in fields and "tags" in kind.field_names:
        answer.setdefault("tags", [])  # EntityRepository.getTags: an empty list, never null
    if kind.type_name == "pipeline":
        for task in answer.get("tasks") or []:
            task.pop("owners", None)
            if "tags" not in fields:
                task.pop("tags", None)
        if "pipelineStatus" in fields and latest_status is not None:
            status = copy.deepcopy(latest_status)
            status["taskStatus"] = sorted(
                status.get("taskStatus") or [], key=lambda t: (t.get("startTime") is None, t.get("startTime") or 0)
            )
            answer["pipelineStatus"] = status
    if kind.type_name == "team":
        for name in ("childrenCount", "userCount"):
            if name not in fields and name in kind.field_names:
                answer[name] = 0
    return answer


def _without_tags(column: dict) -> dict:
    column = {k: v for k, v in column.items() if k != "tags"}
    if column.get("children"):
        column["children"] = [_without_tags(c) for c in column["children"]]
    return column


def _with_tags(column: dict) -> dict:
    column = {**column, "tags": column.get("tags") or []}
    if column.get("children"):
        column["children"] = [_with_tags(c) for c in column["children"]]
    return column


def page(items: list[dict], query: dict, view=lambda entity: entity) -> dict:
    """A listing's answer: ``{"data": [...], "paging": {...}}`` for ``limit`` (default 10) and
    the ``after`` cursor (a base64 offset, as ``ResultList`` gives); ``view`` shapes each
    entity of the page (only those: the rest are never viewed)."""
    limit = int(query.get("limit", 10))
    offset = int(base64.b64decode(query["after"]).decode()) if query.get("after") else 0
    paging = {"total": len(items)}
    if offset + limit < len(items):
        paging["after"] = base64.b64encode(str(offset + limit).encode()).decode()
    if offset:
        paging["before"] = base64.b64encode(str(max(offset - limit, 0)).encode()).decode()
    return {"data": [view(entity) for entity in items[offset : offset + limit]], "paging": paging}
