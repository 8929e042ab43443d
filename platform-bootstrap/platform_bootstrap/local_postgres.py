"""A throwaway PostgreSQL server for tests and the local demo.

Uses Debian's PostgreSQL binaries (``/usr/lib/postgresql/<major>/bin``): ``initdb`` into a
temporary directory, a free TCP port on 127.0.0.1, password (scram) authentication.
PostgreSQL refuses to run as root, so when the tests run as root the server runs as the
``postgres`` system user that Debian's package creates.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

SUPERUSER = "postgres"


def find_postgres_bindir() -> Path:
    """Return the directory holding ``initdb``/``pg_ctl`` (newest Debian major first).

    Raises:
        RuntimeError: no PostgreSQL server binaries are installed.
    """
    candidates = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda p: int(Path(p).parent.parent.name),
        reverse=True,
    )
    if candidates:
        return Path(candidates[0]).parent
    which = shutil.which("initdb")
    if which:
        return Path(os.path.realpath(which)).parent
    raise RuntimeError(
        "PostgreSQL server binaries not found: install Debian's 'postgresql' package "
        "(bash .ci/install-system-packages does it)"
    )


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that is free right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class ThrowawayPostgres:
    """A PostgreSQL cluster in a temp dir, started on 127.0.0.1:<free port>.

    Use as a context manager, or call :meth:`start` / :meth:`stop`. ``password`` is the
    superuser's password (random unless given). Extra ``pg_hba.conf`` lines and
    ``postgresql.conf`` settings can be passed for special cases (e.g. GSSAPI auth).
    """

    password: str = field(default_factory=lambda: os.urandom(12).hex())
    hba_lines: list[str] = field(default_factory=list)
    settings: dict[str, str] = field(default_factory=dict)
    environment: dict[str, str] = field(default_factory=dict)
    host: str = "127.0.0.1"
    port: int = 0
    base_dir: Path | None = None

    def _run_as_owner(self, args: list[str], **kwargs) -> subprocess.CompletedProcess:
        env = {**os.environ, **self.environment, "LC_ALL": "C.UTF-8"}
        if os.geteuid() == 0:
            args = ["runuser", "-u", SUPERUSER, "--", "env", *[f"{k}={v}" for k, v in self.environment.items()], *args]
        return subprocess.run(args, check=True, capture_output=True, text=True, env=env, **kwargs)

    @property
    def data_dir(self) -> Path:
        assert self.base_dir is not None, "not started"
        return self.base_dir / "data"

    def start(self) -> ThrowawayPostgres:
        """initdb and start the server; wait until it accepts connections.

        Raises:
            RuntimeError: the binaries are missing or the server did not start (with its log).
        """
        bindir = find_postgres_bindir()
        self.base_dir = Path(tempfile.mkdtemp(prefix="throwaway-pg-"))
        self.port = self.port or free_port()
        pwfile = self.base_dir / "pwfile"
        pwfile.write_text(self.password)
        if os.geteuid() == 0:
            owner = pwd.getpwnam(SUPERUSER)
            os.chown(self.base_dir, owner.pw_uid, owner.pw_gid)
            os.chown(pwfile, owner.pw_uid, owner.pw_gid)
        pwfile.chmod(0o600)
        self._run_as_owner(
            [
                str(bindir / "initdb"),
                "-D",
                str(self.data_dir),
                "-U",
                SUPERUSER,
                "--pwfile",
                str(pwfile),
                "--auth-host=scram-sha-256",
                "--auth-local=trust",
                "-E",
                "UTF8",
                "--no-sync",
            ]
        )
        pwfile.unlink()
        conf = {
            "listen_addresses": f"'{self.host}'",
            "port": str(self.port),
            "unix_socket_directories": f"'{self.base_dir}'",
            "fsync": "off",
            "synchronous_commit": "off",
            "full_page_writes": "off",
            **self.settings,
        }
        with open(self.data_dir / "postgresql.conf", "a") as fh:
            fh.writelines(f"{k} = {v}\n" for k, v in conf.items())
        if self.hba_lines:
            hba = self.data_dir / "pg_hba.conf"
            hba.write_text("\n".join(self.hba_lines) + "\n" + hba.read_text())
        log = self.base_dir / "server.log"
        try:
            self._run_as_owner(
                [str(bindir / "pg_ctl"), "-D", str(self.data_dir), "-l", str(log), "-w", "-t", "30", "start"]
            )
        except subprocess.CalledProcessError as exc:
            text = log.read_text() if log.exists() else ""
            raise RuntimeError(f"PostgreSQL did not start: {exc.stderr}\n{text}") from exc
        return self

    def stop(self) -> None:
        """Stop the server immediately and delete its directory."""
        if self.base_dir is None:
            return
        bindir = find_postgres_bindir()
        try:
            self._run_as_owner([str(bindir / "pg_ctl"), "-D", str(self.data_dir), "-m", "immediate", "-w", "stop"])
        except subprocess.CalledProcessError:
            pass
        shutil.rmtree(self.base_dir, ignore_errors=True)
        self.base_dir = None

    def __enter__(self) -> ThrowawayPostgres:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # -- client helpers -------------------------------------------------------------
    def airflow_connection(self, database: str) -> dict[str, object]:
        """This server as an Airflow connection in the JSON form of ``AIRFLOW_CONN_<ID>``:
        type ``postgres``, the superuser and its password, ``schema`` = ``database``."""
        return {
            "conn_type": "postgres",
            "host": self.host,
            "port": self.port,
            "login": SUPERUSER,
            "password": self.password,
            "schema": database,
        }

    def psql_env(self, user: str = SUPERUSER, password: str | None = None) -> dict[str, str]:
        """Environment for ``psql``/``pg_dump`` to reach this server over TCP."""
        return {
            **os.environ,
            "PGHOST": self.host,
            "PGPORT": str(self.port),
            "PGUSER": user,
            "PGPASSWORD": self.password if password is None else password,
        }

    def psql(
        self,
        sql: str,
        database: str = "postgres",
        user: str = SUPERUSER,
        password: str | None = None,
        separator: str = "|",
    ) -> str:
        """Run SQL with ``psql`` (ON_ERROR_STOP) and return its unaligned, tuples-only output
        (fields joined by ``separator``).

        Raises:
            subprocess.CalledProcessError: psql failed (stderr attached).
        """
        result = subprocess.run(
            ["psql", "-X", "-q", "-A", "-t", "-F", separator, "-v", "ON_ERROR_STOP=1", "-d", database, "-c", sql],
            check=True,
            capture_output=True,
            text=True,
            env=self.psql_env(user, password),
        )
        # Only newlines: str.strip() would also eat a trailing separator such as "\x1f" (it counts as
        # whitespace), losing the empty last fields of the last row.
        return result.stdout.strip("\n")

    def psql_file(self, path: Path, database: str) -> None:
        """Load an SQL file into ``database`` with ``psql -f`` (ON_ERROR_STOP).

        Raises:
            subprocess.CalledProcessError: psql failed (stderr attached).
        """
        subprocess.run(
            ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", database, "-f", str(path)],
            check=True,
            capture_output=True,
            text=True,
            env=self.psql_env(),
        )

    def wait_until_ready(self, timeout: float = 10.0) -> None:
        """Poll ``SELECT 1`` until it succeeds or ``timeout`` seconds pass."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                self.psql("SELECT 1")
                return
            except subprocess.CalledProcessError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
