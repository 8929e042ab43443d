"""A guard in front of openmetadata-managed-apis on Airflow 3: who may call it, with what body.

openmetadata-managed-apis serves the REST API the OpenMetadata server's pipeline service
client (``AirflowRESTClient``) calls: deploy, trigger, status, logs, enable/disable, kill,
delete and ``run_automation`` (the UI's Test Connection). On Airflow 3 it enforces nothing:
its ``requires_access`` decorator is a pass-through there
(``openmetadata_managed_apis/utils/security_compat.py``: "No-op decorator since Flask plugins
inherit authentication from the Airflow web layer") and Airflow 3 mounts Flask plugins at
``/pluginsv2`` through a bare ``WSGIMiddleware`` (``airflow/api_fastapi/core_api/app.py
init_flask_plugins``), which authenticates nobody. Anyone reaching the port could deploy and
trigger DAGs.

This plugin closes that without touching the installed package: a Flask ``before_app_request``
hook on the same Flask app (Airflow's FAB plugin app) checks every ``/api/v2/openmetadata/*``
request except ``health`` before the managed APIs see it:

- HTTP Basic credentials of an Airflow user, checked by the FAB provider's own basic-auth
  backend (``airflow.providers.fab.auth_manager.api.auth.backend.basic_auth.auth_current_user``:
  database users, LDAP when FAB is configured for it). Missing or wrong: ``401`` with
  ``WWW-Authenticate: Basic``, and the route does not run.
- The permission the route needs (:data:`REQUIRED`, from the managed APIs'
  ``requires_access_decorator`` lines), checked with the auth manager's ``is_authorized_dag``
  and ``is_authorized_connection``. Not granted: ``403``.

Every request must carry the credentials: a session cookie alone is not accepted, so a
browser cannot be tricked into calling these routes (the server's client sends Basic auth on
every call, plus the CSRF token and session cookie it fetched from ``csrf-token``).

Then, for an authorised request, the body of ``deploy`` must parse as OpenMetadata's
``IngestionPipeline`` and the body of ``run_automation`` as an automations ``Workflow``
(the generated models in ``metadata.generated.schema``): ``400`` naming each wrong field.
The managed APIs name the field only for errors inside ``sourceConfig``; for any other
(``parse_ingestion_pipeline_config_gracefully`` raises ``ParsingConfigurationError``) they
answer ``500 An unexpected problem occurred``.

Last, one Airflow 3 fix: before ``delete`` runs, the DAG's task instances are deleted, the first
step of Airflow's own ``airflow.api.common.delete_dag.delete_dag`` ("To ensure the TaskInstance
and DagRun model is deleted before each of the model DagVersion"). The managed APIs delete only
the DagModel and DagRun rows (``operations/delete.py``), which on PostgreSQL fails with
``task_instance_dag_version_id_fkey`` once the DAG has run, after the DAG file and its config
are already gone.
"""

from __future__ import annotations

import logging

from airflow.plugins_manager import AirflowPlugin
from flask import Blueprint, Response, jsonify, request

log = logging.getLogger(__name__)

# Where the managed APIs' blueprint lives inside the Flask plugin app (api/config.py
# REST_API_ENDPOINT on Airflow 3); Airflow serves it under /pluginsv2.
PREFIX = "/api/v2/openmetadata/"
# The one route the server's client calls without credentials (AirflowRESTClient
# .fetchCsrfTokenFromHealthEndpoint falls back to it; routes/health.py: "without auth").
OPEN_ROUTES = frozenset({"health"})
# What each route needs, as (auth-manager check, method) pairs that must all pass. The levels follow
# what the managed APIs declare (openmetadata_managed_apis/api/routes/<route>.py
# requires_access_decorator): can_read / can_edit / can_delete on DAGs map to the auth manager's
# is_authorized_dag GET / PUT / DELETE. Two differences, both stricter:
# - deploy and health-auth declare (can_create, DAGs), a permission Airflow 3 no longer has (FAB
#   creates only can_read/can_edit/can_delete on "DAGs"), so nobody would pass;
# - run_automation declares only can_read although it runs a connection test with the
#   credentials in the request.
# Both run source connections with their secrets, so they need what creating a connection needs
# on top of editing DAGs: the Op or Admin role out of the box.
READ = (("dag", "GET"),)
EDIT = (("dag", "PUT"),)
DELETE = (("dag", "DELETE"),)
DEPLOY = (("dag", "PUT"), ("connection", "POST"))
REQUIRED = {
    "health-auth": DEPLOY,
    "deploy": DEPLOY,
    "run_automation": DEPLOY,
    "trigger": EDIT,
    "enable": EDIT,
    "disable": EDIT,
    "kill": EDIT,
    "ip": EDIT,
    "delete": DELETE,
    "status": READ,
    "last_dag_logs": READ,
    "csrf-token": READ,
}
# A route this table does not know (a newer managed-APIs release) needs the strongest level.
DEFAULT = DEPLOY


def _deny(status: int, message: str) -> Response:
    response = jsonify({"error": message})
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Basic realm="Airflow (openmetadata-managed-apis)"'
    return response


def check_managed_api_request() -> Response | None:
    """Flask ``before_request`` hook: ``None`` lets the request through, a response refuses it.

    Returns:
        ``None`` for paths outside :data:`PREFIX`, for ``health``, and for an authenticated user
        holding the route's permission; a 401 JSON response (no or wrong Basic credentials) or a
        403 one (permission missing) otherwise.
    """
    path = request.path
    if not path.startswith(PREFIX):
        return None
    route = path[len(PREFIX) :].strip("/")
    if route in OPEN_ROUTES:
        return None
    from airflow.api_fastapi.app import get_auth_manager
    from airflow.providers.fab.auth_manager.api.auth.backend.basic_auth import auth_current_user

    credentials = request.authorization
    if credentials is None or credentials.type != "basic" or not credentials.username:
        return _deny(401, "Authentication required: send HTTP Basic credentials of an Airflow user")
    user = auth_current_user()
    if user is None:
        # The user name is not secret; the password never reaches a log.
        log.warning("openmetadata-managed-apis: rejected credentials of %r for %s", credentials.username, route)
        return _deny(401, "Invalid username or password")
    auth_manager = get_auth_manager()
    checks = {"dag": auth_manager.is_authorized_dag, "connection": auth_manager.is_authorized_connection}
    missing = [
        f"{method} on {kind}s"
        for kind, method in REQUIRED.get(route, DEFAULT)
        if not checks[kind](method=method, user=user)
    ]
    if missing:
        log.warning("openmetadata-managed-apis: user %r lacks %s for %s", credentials.username, missing, route)
        return _deny(403, f"User {credentials.username} may not call {route}: it needs {' and '.join(missing)}")
    return _check_body(route) or _prepare_delete(route)


# Route -> the generated model its JSON body must parse as.
BODY_MODELS = {
    "deploy": "metadata.generated.schema.entity.services.ingestionPipelines.ingestionPipeline.IngestionPipeline",
    "run_automation": "metadata.generated.schema.entity.automations.workflow.Workflow",
}


def _check_body(route: str) -> Response | None:
    """400 naming the fields when the body of ``deploy``/``run_automation`` is not a valid model."""
    import importlib

    from pydantic import ValidationError

    dotted = BODY_MODELS.get(route)
    if dotted is None or request.method != "POST":
        return None
    body = request.get_json(silent=True, cache=True)
    module, _, name = dotted.rpartition(".")
    model = getattr(importlib.import_module(module), name)
    if not isinstance(body, dict):
        return _deny(400, f"Expected a JSON {name} object as the request body")
    try:
        model.model_validate(body)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in error['loc']) or '<body>'}: {error['msg']}" for error in exc.errors()[:10]
        )
        return _deny(400, f"Invalid {name}: {problems}")
    return None


def _prepare_delete(route: str) -> None:
    """Delete the task instances of the DAG ``delete`` is about to delete (see module docstring)."""
    if route != "delete" or request.method != "DELETE":
        return None
    from airflow import settings
    from airflow.models import TaskInstance
    from sqlalchemy import delete

    dag_id = request.args.get("dag_id")
    if dag_id:
        with settings.Session() as session:
            session.execute(delete(TaskInstance).where(TaskInstance.dag_id == dag_id))
            session.commit()
    return None


guard_blueprint = Blueprint("openmetadata_managed_apis_guard", __name__)
guard_blueprint.before_app_request(check_managed_api_request)


class ManagedApisGuardPlugin(AirflowPlugin):
    """Registers :func:`check_managed_api_request` on Airflow's Flask plugin app."""

    name = "openmetadata_managed_apis_guard"
    flask_blueprints = [guard_blueprint]
