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

Then the route's own needs (``platform_guard.arguments``): ``dag_id`` and ``task_id`` where
the route reads them, and the body fields upstream dereferences unchecked: ``400`` in JSON,
naming the field, instead of upstream's 500. A ``delete`` of a DAG that is not there: ``404``.

The guard serves two routes itself:

- ``trigger`` (``platform_guard.dags.trigger_as``): it waits for a just-deployed DAG to be
  parsed instead of failing, and records the calling user as the run's ``triggering_user_name``;
- ``ip``: the address of this Airflow's own network interface. Upstream asks two public
  services (api.ipify.org, api.my-ip.io) from the platform.

Every request body's credentials are registered with Airflow's secrets masker
(``platform_guard.redaction``), installed on the managed APIs' loggers: upstream logs whole
bodies, the ingestion bot's JWT included, when a deploy fails. A deploy that fails puts back the
DAG file and config it overwrote (``platform_guard.dags.snapshot``), so nothing is left behind.

Last, one Airflow 3 fix: before ``delete`` runs, the DAG's task instances are deleted, the first
step of Airflow's own ``airflow.api.common.delete_dag.delete_dag`` ("To ensure the TaskInstance
and DagRun model is deleted before each of the model DagVersion"). The managed APIs delete only
the DagModel and DagRun rows (``operations/delete.py``), which on PostgreSQL fails with
``task_instance_dag_version_id_fkey`` once the DAG has run, after the DAG file and its config
are already gone.
"""

from __future__ import annotations

import contextlib
import logging

from airflow.plugins_manager import AirflowPlugin
from flask import Blueprint, Response, g, jsonify, request
from platform_guard import arguments, dags, redaction

log = logging.getLogger(__name__)
redaction.install()

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
# And one choice: delete removes what deploy wrote, so it needs deploy's level too (Airflow's
# User role may delete DAGs, but not undo the server's deploys). The roles out of the box, as
# platform-bootstrap/README.md tabulates them (tests/platform_airflow/test_managed_apis_roles.py):
# Viewer reads (status, logs); User also runs (trigger, enable, disable, kill, ip); Op and
# Admin also deploy, delete and test connections.
READ = (("dag", "GET"),)
EDIT = (("dag", "PUT"),)
DEPLOY = (("dag", "PUT"), ("connection", "POST"))
DELETE = (("dag", "DELETE"), *DEPLOY)
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
    body = request.get_json(silent=True, cache=True)
    redaction.mask_request_secrets(body)
    return _check_body(route) or _check_arguments(route, body) or _serve(route, credentials.username, body)


def _check_arguments(route: str, body: object) -> Response | None:
    """400 naming the field the route needs; 404 for a delete of a DAG that is not there."""
    message = arguments.problem(route, request.method, request.args, body)
    if message:
        return _deny(400, message)
    if route == "delete":
        dag_id = dags.clean(request.args["dag_id"])
        if not dags.exists(dag_id):
            return _deny(404, f"DAG {dag_id} not found: nothing to delete")
        # Upstream's delete fails unless the DAG is in the database: wait for a fresh deploy's
        # parse. A DAG that never parses (a broken file) is still deleted by upstream after that.
        dags.wait_until_parsed(dag_id)
    return None


def _serve(route: str, user: str, body: object) -> Response | None:
    """Answer ``trigger`` and ``ip`` here; prepare ``delete`` and ``deploy``; else let upstream run."""
    if route == "trigger" and request.method == "POST":
        status, payload = dags.trigger_as(user, body["dag_id"], body.get("run_id"), body.get("conf"))
        response = jsonify(payload)
        response.status_code = status
        return response
    if route == "ip" and request.method == "GET":
        return jsonify({"ip": local_address()})
    if route == "deploy" and request.method == "POST":
        g.platform_deploy_snapshot = dags.snapshot(body["name"])
        return None
    return _prepare_delete(route)


def local_address() -> str:
    """This machine's address on its default route, found without sending a packet (a UDP
    socket's ``connect`` only picks the route); the host name's address when there is none."""
    import socket

    with contextlib.suppress(OSError), socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.connect(("192.0.2.1", 9))  # TEST-NET-1 (RFC 5737): routed like any address, never answered
        return probe.getsockname()[0]
    with contextlib.suppress(OSError):
        return socket.gethostbyname(socket.gethostname())
    return "unknown"


def restore_after_failed_deploy(response: Response) -> Response:
    """Flask ``after_request`` hook: a deploy that failed gets its DAG file and config put back."""
    saved = g.pop("platform_deploy_snapshot", None)
    if saved is not None and response.status_code >= 400:
        dags.restore(saved)
        log.warning(
            "openmetadata-managed-apis: deploy failed (%s); its DAG file and config were put back", response.status_code
        )
    return response


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
guard_blueprint.after_app_request(restore_after_failed_deploy)


class ManagedApisGuardPlugin(AirflowPlugin):
    """Registers :func:`check_managed_api_request` on Airflow's Flask plugin app."""

    name = "openmetadata_managed_apis_guard"
    flask_blueprints = [guard_blueprint]
