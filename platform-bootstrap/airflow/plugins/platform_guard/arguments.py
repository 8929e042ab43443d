"""What each managed-APIs route needs from a request, checked before the route runs.

openmetadata-managed-apis 2.0.6 answers 500 (``An unexpected problem occurred``, or Airflow's
HTML error page) when a request lacks what it reads:

- ``dag_id`` in the JSON body of trigger/enable/disable/kill (``api/utils.py
  get_request_dag_id``: ``request.get_json().get("dag_id")``), or in the query of
  delete/status/last_dag_logs (``get_arg_dag_id``); ``task_id`` for last_dag_logs;
- a deploy body without ``openMetadataServerConnection`` (``operations/deploy.py``:
  ``DagDeployer.__init__`` reads its ``secretsManagerProvider``, ``dump_with_safe_jwt`` its
  ``securityConfig.jwtToken``) or without ``service`` (the DAG tags and the workflow read
  ``service.name``: the file is written, then fails to import);
- a ``run_automation`` body without ``openMetadataServerConnection`` (``routes/run_automation.py``).

:func:`problem` answers ``(400, message naming the field)`` for each, so nothing runs.
"""

from __future__ import annotations

from collections.abc import Mapping

# Routes that read dag_id from the JSON body, and those that read it from the query.
JSON_DAG_ID_ROUTES = frozenset({"trigger", "enable", "disable", "kill"})
QUERY_DAG_ID_ROUTES = frozenset({"delete", "status", "last_dag_logs"})
# Further query parameters a route cannot run without.
REQUIRED_QUERY = {"last_dag_logs": ("task_id",)}
# Body fields upstream dereferences without a check (dotted paths in the JSON body).
REQUIRED_BODY_FIELDS = {
    "deploy": (
        "openMetadataServerConnection",
        "openMetadataServerConnection.securityConfig.jwtToken",
        "service",
        "service.name",
    ),
    "run_automation": ("openMetadataServerConnection",),
}


def _describe(value: object) -> str:
    return "nothing" if value is None else f"{type(value).__name__} {value!r}"[:80]


def _lookup(body: Mapping, dotted: str) -> object:
    value: object = body
    for part in dotted.split("."):
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
    return value


def problem(route: str, method: str, query: Mapping[str, str], body: object) -> str | None:
    """What makes this request one the route cannot serve, or ``None`` when it can.

    Args:
        route: the managed-APIs route name (``trigger``, ``deploy``, ...).
        method: the HTTP method.
        query: the query parameters (``request.args``).
        body: the parsed JSON body, ``None`` when there is none or it is not JSON.

    Returns:
        A message naming the field and what was expected (the guard answers it as a 400).
    """
    if route in JSON_DAG_ID_ROUTES and method == "POST":
        if not isinstance(body, Mapping):
            return f"{route} expects a JSON object body with dag_id (the DAG id, a string); got {_describe(body)}"
        dag_id = body.get("dag_id")
        if not isinstance(dag_id, str) or not dag_id.strip():
            return f"dag_id: expected a non-empty string (the DAG id) in the JSON body; got {_describe(dag_id)}"
        if route == "trigger":
            if body.get("conf") is not None and not isinstance(body["conf"], Mapping):
                return f"conf: expected a JSON object (the run's configuration) or null; got {_describe(body['conf'])}"
            if body.get("run_id") is not None and not isinstance(body["run_id"], str):
                return f"run_id: expected a string or null; got {_describe(body['run_id'])}"
    if route in QUERY_DAG_ID_ROUTES:
        for name in ("dag_id", *REQUIRED_QUERY.get(route, ())):
            if not (query.get(name) or "").strip():
                return f"{name}: expected a non-empty query parameter (?{name}=...)"
        after = query.get("after")
        if route == "last_dag_logs" and after is not None and not after.isdigit():
            return f"after: expected a non-negative integer (a log chunk index); got {after!r}"
    fields = REQUIRED_BODY_FIELDS.get(route)
    if fields and method == "POST" and isinstance(body, Mapping):
        for dotted in fields:
            value = _lookup(body, dotted)
            if value is None or value == "":
                return (
                    f"{dotted}: required by the managed APIs to {route} (the OpenMetadata server sends it); "
                    "it is missing"
                )
    return None
