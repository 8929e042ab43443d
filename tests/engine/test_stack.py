"""The stack after ``./platform setup`` and ``make openmetadata-start``: every service healthy,
the one-shots done, the status commands naming each service, the logs target following logs."""

from __future__ import annotations

import json
import subprocess
import time

import httpx

LONG_RUNNING = {
    "platform-postgres",
    "openmetadata-server",
    "developer-kerberos-service",
    "airflow-apiserver",
    "airflow-scheduler",
    "airflow-dag-processor",
    "airflow-triggerer",
}
ONE_SHOTS = {"openmetadata-migrate", "airflow-db-setup", "airflow-init", "pagila-loader"}


def test_every_service_is_healthy_and_every_one_shot_succeeded(stack):
    rows = [json.loads(line) for line in stack.compose("ps", "-a", "--format", "json").stdout.splitlines() if line]
    by_service = {row["Service"]: row for row in rows}
    assert set(by_service) == LONG_RUNNING | ONE_SHOTS, sorted(by_service)
    for service in LONG_RUNNING:
        assert stack.health(service) == "healthy", f"{service}: {stack.logs(service, 30)}"
    for service in ONE_SHOTS:
        state = stack.state(service)
        assert (state["Status"], state["ExitCode"]) == ("exited", 0), f"{service}: {stack.logs(service, 30)}"
    assert "platform-elasticsearch" not in by_service  # left out by the override: no image here
    # The start printed the login and stored the ingestion bot's token for the Airflow containers.
    assert f"OpenMetadata UI: {stack.dotenv['OPENMETADATA_HOST_PORT']}" in stack.start_output
    assert stack.dotenv["OPENMETADATA_JWT_TOKEN"]
    assert stack.dotenv["OPENMETADATA_ADMIN_PASSWORD"] not in stack.start_output


def test_the_airflow_containers_got_the_bot_token_the_server_accepts(stack):
    token = stack.dotenv["OPENMETADATA_JWT_TOKEN"]
    env = stack.exec("airflow-scheduler", "printenv", "AIRFLOW_CONN_OPENMETADATA_DEFAULT").stdout
    assert json.loads(env)["password"] == token
    # The scheduler reaches the server by service name with that token, as every task does.
    probe = (
        "import json, os, urllib.request;"
        "c = json.loads(os.environ['AIRFLOW_CONN_OPENMETADATA_DEFAULT']);"
        "r = urllib.request.Request('http://openmetadata-server:8585/api/v1/bots/name/ingestion-bot',"
        " headers={'Authorization': 'Bearer ' + c['password']});"
        "print(json.load(urllib.request.urlopen(r, timeout=30))['name'])"
    )
    assert stack.exec("airflow-scheduler", "python", "-c", probe).stdout.strip() == "ingestion-bot"
    wrong = httpx.get(
        f"{stack.openmetadata_url}/api/v1/bots/name/ingestion-bot", headers={"Authorization": "Bearer nope"}, timeout=30
    )
    assert wrong.status_code == 401


def test_make_openmetadata_status_names_every_service_healthy(stack):
    result = stack.make("openmetadata-status")
    out = result.stdout
    for service in LONG_RUNNING:
        assert service in out, out  # `compose ps` lists it ...
    lines = {line.split()[1]: line for line in out.splitlines() if line.strip().startswith(("ok", "wait", "FAIL"))}
    assert set(lines) >= {"server", "database", "kerberos", "airflow"}, out
    for name in ("server", "database", "airflow"):
        assert lines[name].strip().startswith("ok"), lines[name]
    assert "FAIL" not in out, out
    platform_status = stack.platform("status")
    assert platform_status.returncode == 0 and "FAIL" not in platform_status.stdout, platform_status.stdout


def test_make_openmetadata_logs_follows_one_service(stack):
    process = subprocess.Popen(
        ["make", "--no-print-directory", "openmetadata-logs", "SERVICE=openmetadata-server"],
        cwd=stack.root,
        env=stack.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        seen = []
        while time.monotonic() < deadline:
            line = process.stdout.readline()
            seen.append(line)
            if "OpenMetadata stand-in serving on" in line:
                break
        assert any("OpenMetadata stand-in serving on" in line for line in seen), "".join(seen[-20:])
        assert all(line.startswith("openmetadata-server") for line in seen if line.strip()), "".join(seen[-5:])
        time.sleep(1)
        assert process.poll() is None  # -f: still following
    finally:
        import os
        import signal

        os.killpg(process.pid, signal.SIGTERM)
        process.wait(30)
