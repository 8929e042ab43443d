"""`make standin`: the OpenMetadata stand-in as a tool for users. It prints the two ``export``
lines, answers with that token until Ctrl-C, says nothing of pydantic's "schema" UserWarning, and
the README says when to use it (a test double in memory, not OpenMetadata)."""

from __future__ import annotations

import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import time

import httpx

from tests.conftest import REPO_ROOT

EXPORT = re.compile(r"^export (OPENMETADATA_HOST_PORT|OPENMETADATA_JWT_TOKEN)=(\S+)$")


def _lines(stream) -> queue.Queue:
    lines: queue.Queue = queue.Queue()

    def pump():
        for line in stream:
            lines.put(line)
        lines.put(None)

    threading.Thread(target=pump, daemon=True).start()
    return lines


def test_make_standin_prints_the_exports_serves_and_stops_on_ctrl_c():
    # `-o install`: the environment is installed already; the target's own command is what is tested.
    process = subprocess.Popen(
        ["make", "--no-print-directory", "-o", "install", "standin"],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group: Ctrl-C reaches make and the server, as in a terminal
    )
    try:
        lines, exports, printed = _lines(process.stdout), {}, []
        deadline = time.monotonic() + 120
        while len(exports) < 2:
            line = lines.get(timeout=max(deadline - time.monotonic(), 0.1))
            assert line is not None, "".join(printed) + process.stderr.read()
            printed.append(line)
            match = EXPORT.match(line.strip())
            if match:
                exports[match[1]] = match[2]
        url, token = exports["OPENMETADATA_HOST_PORT"], exports["OPENMETADATA_JWT_TOKEN"]
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+", url), url
        headers = {"Authorization": f"Bearer {token}"}
        version = httpx.get(f"{url}/api/v1/system/version", headers=headers, timeout=30)
        assert version.status_code == 200 and version.json()["version"].startswith("2.0.")
        assert (
            httpx.get(f"{url}/api/v1/tables", headers={"Authorization": "Bearer wrong"}, timeout=30).status_code == 401
        )
        # A Postgres service: validating it loads the Postgres models, whose "schema" field makes
        # pydantic warn (UserWarning: Field name "schema" ... shadows an attribute in parent "BaseModel").
        service = {
            "name": "try_me",
            "serviceType": "Postgres",
            "connection": {
                "config": {
                    "type": "Postgres",
                    "username": "u",
                    "hostPort": "db:5432",
                    "database": "d",
                    "authType": {"password": "p"},
                }
            },
        }
        put = httpx.put(f"{url}/api/v1/services/databaseServices", json=service, headers=headers, timeout=60)
        assert put.status_code in (200, 201), put.text
        os.killpg(process.pid, signal.SIGINT)  # Ctrl-C
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    out = "".join(printed) + "".join(iter(lambda: lines.get(timeout=5) or "", ""))
    err = process.stderr.read()
    # make ends by the SIGINT it got too (as in a terminal); the server stopped cleanly, without a word on stderr.
    assert process.returncode in (0, -signal.SIGINT), (process.returncode, out, err)
    assert (
        "***" not in err and "UserWarning" not in err and "shadows an attribute" not in err and "Traceback" not in err
    ), err
    assert "test double" in out and "in memory" in out and "make demo" in out
    assert "Stopped the OpenMetadata stand-in." in out
    with socket.socket() as probe:  # it let go of its port
        probe.bind(("127.0.0.1", int(url.rsplit(":", 1)[1])))


def test_a_taken_port_is_refused_with_the_fix():
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "tests.openmetadata_standin.server", "--port", str(port)],
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"error: cannot serve on 127.0.0.1:{port}" in result.stderr and "STANDIN_PORT" in result.stderr
    assert "Traceback" not in result.stderr and "export" not in result.stdout


def test_the_readme_says_when_to_use_the_standin():
    readme = " ".join((REPO_ROOT / "README.md").read_text().split())
    assert "`make standin`" in readme
    paragraph = readme[readme.index("`make standin`") - 200 : readme.index("`make standin`") + 900]
    for words in ("`make demo`", "the operators", "test double", "not OpenMetadata", "in memory", "Ctrl-C", "export"):
        assert words in paragraph, words
    help_text = subprocess.run(["make", "help"], cwd=REPO_ROOT, capture_output=True, text=True, check=True).stdout
    assert re.search(r"^\s+standin\s+\S", help_text, re.MULTILINE), help_text
