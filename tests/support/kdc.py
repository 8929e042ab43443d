"""A throwaway MIT KDC on 127.0.0.1 for Kerberos tests (k5test ``K5Realm``).

All configuration (krb5.conf, kdc.conf, database, keytabs, caches) lives in one temp dir;
nothing touches /etc/krb5.conf. Processes see the realm only through the environment this
module hands out (``KRB5_CONFIG`` ...); :meth:`TestKDC.activated` sets it on ``os.environ``
for in-process libraries (gssapi reads it at call time) and restores the old values after.

Service principals (``postgres/localhost``, ``MSSQLSvc/localhost:<port>``) are added on demand
with their keytabs, which can be handed to a system user (the PostgreSQL server runs as
``postgres``).
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

from platform_bootstrap.local_postgres import free_port

REALM = "KRBTEST.COM"
USER = "alice"

# Every variable a Kerberos library or tool reads from the environment in these tests.
KRB5_ENV_KEYS = ("KRB5_CONFIG", "KRB5_KDC_PROFILE", "KRB5CCNAME", "KRB5_KTNAME", "KRB5_CLIENT_KTNAME", "KRB5RCACHEDIR")


class TestKDC:
    """A running KDC for realm ``KRBTEST.COM`` with user ``alice`` (random password).

    Hostnames are never canonicalised (``dns_canonicalize_hostname = false``, ``rdns = false``)
    so a client asking for ``MSSQLSvc/localhost:1433`` gets exactly that principal.

    Raises (on construction):
        RuntimeError: the MIT KDC binaries are missing (Debian: krb5-kdc, krb5-admin-server).
    """

    __test__ = False  # not a pytest test class despite the name

    def __init__(self, max_life: str = "10h") -> None:
        if not shutil.which("krb5kdc") and not Path("/usr/sbin/krb5kdc").exists():
            raise RuntimeError(
                "MIT KDC not installed: run `bash .ci/install-system-packages` (krb5-kdc, krb5-admin-server)"
            )
        from k5test import K5Realm

        port = free_port()
        self.password = os.urandom(12).hex()
        self._realm = K5Realm(
            realm=REALM,
            portbase=port,
            create_user=False,
            create_host=False,
            get_creds=False,
            krb5_conf={
                "libdefaults": {
                    "dns_canonicalize_hostname": "false",
                    "rdns": "false",
                    "dns_lookup_realm": "false",
                    "udp_preference_limit": "1",  # TCP only: one port to think about
                    # Tickets stay usable for clockskew seconds past their end (default 300):
                    # 1 s lets "expired" tests wait for seconds, not minutes.
                    "clockskew": "1",
                },
                "realms": {"$realm": {"kdc": f"127.0.0.1:{port}", "admin_server": f"127.0.0.1:{port + 1}"}},
                "domain_realm": {"localhost": "$realm", ".localhost": "$realm"},
            },
            kdc_conf={
                "realms": {
                    "$realm": {
                        "kdc_listen": f"127.0.0.1:{port}",
                        "kdc_tcp_listen": f"127.0.0.1:{port}",
                        "max_life": max_life,
                    }
                }
            },
        )
        self.realm = REALM
        self.port = port
        self.tmpdir = Path(self._realm.tmpdir)
        self.user_principal = f"{USER}@{REALM}"
        self._realm.addprinc(self.user_principal, self.password)

    # -- environment --------------------------------------------------------------
    @property
    def env(self) -> dict[str, str]:
        """The Kerberos variables for this realm (``KRB5CCNAME`` points at a scratch cache)."""
        return dict(self._realm.env)

    def client_env(self, ccache: Path | str, base: dict[str, str] | None = None) -> dict[str, str]:
        """A full process environment that uses this realm and the cache ``ccache``.

        Args:
            ccache: FILE cache path (without or with a ``FILE:`` prefix).
            base: environment to extend (default ``os.environ``).
        """
        return {**(os.environ if base is None else base), **self.env, "KRB5CCNAME": str(ccache)}

    @contextlib.contextmanager
    def activated(self, ccache: Path | str | None = None) -> Iterator[None]:
        """Set this realm's variables (and ``KRB5CCNAME=ccache`` if given) on ``os.environ``; restore after."""
        saved = {key: os.environ.get(key) for key in KRB5_ENV_KEYS}
        os.environ.update(self.env)
        if ccache is not None:
            os.environ["KRB5CCNAME"] = str(ccache)
        try:
            yield
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value

    # -- principals, tickets, keytabs ----------------------------------------------
    def kinit(self, ccache: Path | str, lifetime: str | None = None, extra: list[str] | None = None) -> Path:
        """Get a TGT for the user into the FILE cache ``ccache`` (``kinit [-l lifetime]``).

        Args:
            ccache: path of the cache file to (re)create.
            lifetime: krb5 duration such as ``"3s"`` or ``"1h"``; default the realm's.
            extra: more kinit flags (e.g. ``["-f"]``).

        Raises:
            subprocess.CalledProcessError: kinit failed (stderr attached; never the password).
        """
        args = ["kinit"] + (["-l", lifetime] if lifetime else []) + (extra or []) + [self.user_principal]
        subprocess.run(
            args, input=self.password + "\n", env=self.client_env(ccache), check=True, capture_output=True, text=True
        )
        return Path(ccache)

    def add_service(self, principal: str, keytab: Path | str, owner: str | None = None) -> Path:
        """Create ``principal@REALM`` with a random key and write its keytab.

        Args:
            principal: service principal without realm, e.g. ``"MSSQLSvc/localhost:1433"``.
            keytab: where to write the keytab (mode 0600).
            owner: system user that must read the keytab (e.g. ``"postgres"``); default the caller.
        """
        full = f"{principal}@{self.realm}"
        self._realm.addprinc(full)
        self._realm.extract_keytab(full, str(keytab))
        keytab = Path(keytab)
        keytab.chmod(0o600)
        if owner is not None and os.geteuid() == 0:
            entry = pwd.getpwnam(owner)
            os.chown(keytab, entry.pw_uid, entry.pw_gid)
        return keytab

    def klist_ok(self, ccache: Path | str) -> bool:
        """True if ``klist -s -c ccache`` finds an unexpired TGT."""
        return (
            subprocess.run(["klist", "-s", "-c", str(ccache)], env=self.client_env(ccache), check=False).returncode == 0
        )

    def wait_expired(self, ccache: Path | str, timeout: float = 30.0) -> None:
        """Block until the TGT in ``ccache`` has expired for client and KDC (for short ``kinit -l`` tickets).

        ``klist`` calls a ticket expired at its end time; the libraries and the KDC accept it
        for ``clockskew`` (1 s here) longer, hence the extra wait.

        Raises:
            TimeoutError: still valid after ``timeout`` seconds.
        """
        deadline = time.monotonic() + timeout
        while self.klist_ok(ccache):
            if time.monotonic() > deadline:
                raise TimeoutError(f"ticket in {ccache} still valid after {timeout}s")
            time.sleep(0.2)
        time.sleep(2.0)

    def stop(self) -> None:
        """Stop the KDC and delete the realm's directory."""
        self._realm.stop()
        shutil.rmtree(self.tmpdir, ignore_errors=True)
