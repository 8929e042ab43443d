"""The stand-in as the ``openmetadata-server`` container of the engine tests' stack.

``python -m tests.openmetadata_standin.container`` reads the server's own environment, as
docker-compose.openmetadata.yml passes it to the real image, and serves:

- the REST API on ``SERVER_PORT`` (8585) on every interface;
- Dropwizard's admin ``GET /healthcheck`` on ``SERVER_ADMIN_PORT`` (8586), which the compose
  healthcheck and ``./platform status`` probe;
- basic-auth login for ``admin`` with the password from ``AUTHORIZER_ADMIN_PRINCIPALS``
  (``[admin:<password>]``), and the ``ingestion-bot`` whose JWT ``./platform bot-token``
  fetches. The bot token is derived from ``FERNET_KEY``, so it survives a restart like the
  real server's (which keeps it in its database); entities do not (the store is in memory);
- the pipeline service client: ``PIPELINE_SERVICE_CLIENT_ENDPOINT`` with ``AIRFLOW_USERNAME``
  and ``AIRFLOW_PASSWORD`` (the port of ``AirflowRESTClient``), and ``SERVER_HOST_API_URL`` as
  the ``hostPort`` deployed pipelines call back.

A request the stand-in does not implement is logged as ``stand-in does not implement ...``,
so the engine tests can fail on it from ``docker logs``. Stops on SIGTERM (``docker stop``).
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import os
import signal
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from tests.openmetadata_standin.auth import seed_basic_auth
from tests.openmetadata_standin.server import StandInServer

log = logging.getLogger("openmetadata-standin")


class ContainerStandIn(StandInServer):
    """:class:`StandInServer` that logs every request it does not implement."""

    def dispatch(self, call):
        status, payload = super().dispatch(call)
        if status == 501:
            log.warning("%s", payload["message"])
        return status, payload


def admin_password(principals: str) -> str:
    """The password of ``admin`` in ``AUTHORIZER_ADMIN_PRINCIPALS`` (``[admin:secret, ...]``).

    Raises:
        SystemExit: no ``admin:<password>`` entry (the wizard writes one).
    """
    for entry in principals.strip().strip("[]").split(","):
        name, sep, password = entry.strip().partition(":")
        if name == "admin" and sep and password:
            return password
    raise SystemExit("AUTHORIZER_ADMIN_PRINCIPALS: expected [admin:<password>] (written by ./platform setup)")


def bot_token(fernet_key: str) -> str:
    """The ingestion bot's token: stable for one ``FERNET_KEY``, never the key itself."""
    return base64.urlsafe_b64encode(hashlib.sha256(b"standin-ingestion-bot:" + fernet_key.encode()).digest()).decode()


def _serve_admin(port: int) -> ThreadingHTTPServer:
    class Health(BaseHTTPRequestHandler):
        def do_GET(self):
            ok = self.path.split("?")[0] == "/healthcheck"
            body = json.dumps({"deadlocks": {"healthy": True}, "database": {"healthy": True}} if ok else {}).encode()
            self.send_response(200 if ok else 404)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("0.0.0.0", port), Health)
    threading.Thread(target=server.serve_forever, name="admin-port", daemon=True).start()
    return server


def main() -> None:
    """Serve until SIGTERM or SIGINT."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    env = os.environ
    domain = env.get("AUTHORIZER_PRINCIPAL_DOMAIN", "open-metadata.org")
    public = env.get("SERVER_HOST_API_URL", "http://openmetadata-server:8585/api").removesuffix("/api")
    standin = ContainerStandIn(
        token=bot_token(env["FERNET_KEY"]),
        port=int(env.get("SERVER_PORT", "8585")),
        host="0.0.0.0",
        public_url=public,
    )
    seed_basic_auth(standin, admin_password(env.get("AUTHORIZER_ADMIN_PRINCIPALS", "")), f"admin@{domain}")
    if env.get("PIPELINE_SERVICE_CLIENT_ENABLED", "false").lower() == "true":
        from tests.support.airflow_rest_client import AirflowRESTClient

        standin.pipeline_service_client = AirflowRESTClient(
            env["PIPELINE_SERVICE_CLIENT_ENDPOINT"], env["AIRFLOW_USERNAME"], env["AIRFLOW_PASSWORD"]
        )
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    standin.start()
    admin = _serve_admin(int(env.get("SERVER_ADMIN_PORT", "8586")))
    log.info("OpenMetadata stand-in serving on :%s (admin :%s) as %s", standin.port, admin.server_port, public)
    stop.wait()
    admin.shutdown()
    standin.stop()


if __name__ == "__main__":
    main()
