"""A minimal SQL Server (TDS 7.x) stand-in on 127.0.0.1 that checks Kerberos logins.

It speaks just enough TDS for an ODBC client with ``Trusted_Connection=yes`` (FreeTDS or
Microsoft's driver): answers PRELOGIN with "encryption not supported", reads the LOGIN7
packet, takes the integrated-security (SSPI) token out of it and verifies it with
``gssapi`` (``accept_sec_context``) against the ``MSSQLSvc/...`` keytab. The client
principal it authenticated is recorded in :attr:`TdsListener.logins`.

After a good token it sends LOGINACK and answers every SQL batch with a one-row result
(``SELECT SUSER_NAME()``-like: the authenticated principal), so ``SELECT 1`` style probes
and ODBC login checks succeed. A bad or missing token gets login error 18456 and a close.
Only the packets these clients send are understood; this is a test tool, not a server.
"""

from __future__ import annotations

import os
import socket
import struct
import threading
from dataclasses import dataclass, field
from pathlib import Path

# TDS packet types (MS-TDS 2.2.3.1.1)
PRELOGIN, LOGIN7, SQL_BATCH, TABULAR, ATTENTION, SSPI = 0x12, 0x10, 0x01, 0x04, 0x06, 0x11
STATUS_EOM = 0x01


@dataclass
class LoginAttempt:
    """What one connection presented: ``principal`` on success, ``error`` otherwise."""

    principal: str | None
    error: str | None
    mechanism: str | None = None


def _packet(ptype: int, payload: bytes) -> bytes:
    return struct.pack(">BBHHBB", ptype, STATUS_EOM, 8 + len(payload), 0, 1, 0) + payload


def _read_exact(conn: socket.socket, n: int) -> bytes:
    buf = b""
    while len(buf) < n:
        chunk = conn.recv(n - len(buf))
        if not chunk:
            raise ConnectionError("client closed the connection")
        buf += chunk
    return buf


def _read_message(conn: socket.socket) -> tuple[int, bytes]:
    """Read TDS packets until end-of-message; return (type, joined payload)."""
    payload, ptype = b"", None
    while True:
        header = _read_exact(conn, 8)
        ptype, status, length = header[0], header[1], struct.unpack(">H", header[2:4])[0]
        payload += _read_exact(conn, length - 8)
        if status & STATUS_EOM:
            return ptype, payload


def _us_varchar(text: str) -> bytes:
    data = text.encode("utf-16-le")
    return struct.pack("<H", len(text)) + data


def _b_varchar(text: str) -> bytes:
    return struct.pack("<B", len(text)) + text.encode("utf-16-le")


def _prelogin_response() -> bytes:
    # Options: VERSION (6 bytes), ENCRYPTION (1 byte: 0x02 = not supported), INSTOPT, THREADID, MARS.
    options = [(0x00, bytes([15, 0, 0x07, 0xD0, 0, 0])), (0x01, b"\x02"), (0x02, b"\x00"), (0x03, b""), (0x04, b"\x00")]
    head_len = 5 * len(options) + 1
    head, body, offset = b"", b"", head_len
    for token, data in options:
        head += struct.pack(">BHH", token, offset, len(data))
        body += data
        offset += len(data)
    return head + b"\xff" + body


def _error_token(number: int, message: str, severity: int = 14) -> bytes:
    body = (
        struct.pack("<iBB", number, 1, severity)
        + _us_varchar(message)
        + _b_varchar("tds-listener")
        + _b_varchar("")
        + struct.pack("<i", 1)
    )
    return b"\xaa" + struct.pack("<H", len(body)) + body


def _done(status: int = 0, rows: int = 0) -> bytes:
    return b"\xfd" + struct.pack("<HHQ", status, 0xC1, rows)


def _login_ack(tds_version: int) -> bytes:
    body = (
        struct.pack("<B", 1) + struct.pack(">I", tds_version) + _b_varchar("tds-listener") + bytes([15, 0, 0x07, 0xD0])
    )
    return b"\xad" + struct.pack("<H", len(body)) + body


def _env_change(kind: int, new: str, old: str) -> bytes:
    body = bytes([kind]) + _b_varchar(new) + _b_varchar(old)
    return b"\xe3" + struct.pack("<H", len(body)) + body


def _one_row(column: str, value: str) -> bytes:
    """COLMETADATA + ROW for one NVARCHAR(256) column."""
    collation = b"\x09\x04\xd0\x00\x34"  # Latin1_General_CI_AS
    colmeta = (
        b"\x81"
        + struct.pack("<H", 1)
        + struct.pack("<IH", 0, 0x0001)
        + b"\xe7"
        + struct.pack("<H", 512)
        + collation
        + _b_varchar(column)
    )
    data = value.encode("utf-16-le")
    row = b"\xd1" + struct.pack("<H", len(data)) + data
    return colmeta + row + _done(status=0x10, rows=1)


def parse_login7(payload: bytes) -> dict:
    """Pull the fields this listener needs from a LOGIN7 payload (MS-TDS 2.2.6.4).

    Returns a dict with ``tds_version`` (int), ``integrated`` (bool: fIntSecurity),
    ``username`` (str), ``has_password`` (bool) and ``sspi`` (bytes, the GSS token).

    Raises:
        ValueError: the payload is shorter than a LOGIN7 header.
    """
    if len(payload) < 94:
        raise ValueError(f"LOGIN7 payload too short ({len(payload)} bytes)")
    tds_version = struct.unpack("<I", payload[4:8])[0]
    option_flags2 = payload[25]

    def ref(pos: int) -> tuple[int, int]:
        return struct.unpack("<HH", payload[pos : pos + 4])

    user_off, user_len = ref(40)
    _, pwd_len = ref(44)
    sspi_off, sspi_len = ref(78)
    if sspi_len == 0xFFFF:
        sspi_len = struct.unpack("<I", payload[90:94])[0]
    return {
        "tds_version": tds_version,
        "integrated": bool(option_flags2 & 0x80),
        "username": payload[user_off : user_off + 2 * user_len].decode("utf-16-le"),
        "has_password": pwd_len > 0,
        "sspi": payload[sspi_off : sspi_off + sspi_len],
    }


@dataclass
class TdsListener:
    """Listen on 127.0.0.1:<free port>; authenticate Kerberos logins with ``keytab``.

    Args:
        keytab: keytab holding the ``MSSQLSvc/...`` service key (read via gssapi's cred store).
        service_principal: the acceptor principal, e.g. ``"MSSQLSvc/localhost:1433@KRBTEST.COM"``;
            the token must be for it.
        port: TCP port; 0 picks a free one (the SPN must then be created after :meth:`start`,
            or pass a known port).

    Use as a context manager; :attr:`logins` lists every attempt in order.
    """

    keytab: Path
    service_principal: str
    port: int = 0
    logins: list[LoginAttempt] = field(default_factory=list)

    def start(self) -> TdsListener:
        """Bind, listen and serve connections in a daemon thread."""
        self._sock = socket.socket()
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", self.port))
        self.port = self._sock.getsockname()[1]
        self._sock.listen(16)
        self._sock.settimeout(0.2)  # accept() wakes up to notice stop()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="tds-listener", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop accepting and close the socket."""
        self._stop.set()
        self._thread.join(timeout=5)
        self._sock.close()

    def __enter__(self) -> TdsListener:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def authenticated(self) -> list[str]:
        """Principals of the successful logins, in order."""
        return [attempt.principal for attempt in self.logins if attempt.principal]

    # -- serving ------------------------------------------------------------------------
    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            conn.settimeout(None)
            threading.Thread(target=self._handle, args=(conn,), daemon=True).start()

    def _accept_token(self, token: bytes) -> tuple[str, str]:
        import gssapi

        # The cred store names the keytab explicitly: no KRB5_KTNAME juggling in the process.
        server_name = gssapi.Name(self.service_principal, gssapi.NameType.kerberos_principal)
        creds = gssapi.Credentials(name=server_name, usage="accept", store={"keytab": str(self.keytab)})
        ctx = gssapi.SecurityContext(creds=creds, usage="accept")
        ctx.step(token)
        if not ctx.complete:
            raise RuntimeError("GSS context needs more round trips (not supported by this listener)")
        return str(ctx.initiator_name), str(ctx.mech)

    def _handle(self, conn: socket.socket) -> None:
        with conn:
            try:
                conn.settimeout(10)
                ptype, _ = _read_message(conn)
                if ptype != PRELOGIN:
                    return
                conn.sendall(_packet(TABULAR, _prelogin_response()))
                ptype, payload = _read_message(conn)
                if ptype != LOGIN7:
                    return
                login = parse_login7(payload)
                if not login["integrated"] or not login["sspi"]:
                    error = "no integrated-security token (username/password login attempted)"
                    self.logins.append(LoginAttempt(None, error))
                    conn.sendall(_packet(TABULAR, _error_token(18456, f"Login failed: {error}") + _done(0x02)))
                    return
                try:
                    principal, mech = self._accept_token(login["sspi"])
                except Exception as exc:  # noqa: BLE001 - any GSS failure is a failed login
                    self.logins.append(LoginAttempt(None, f"{type(exc).__name__}: {exc}"))
                    conn.sendall(
                        _packet(TABULAR, _error_token(18452, "Login failed: Kerberos token rejected") + _done(0x02))
                    )
                    return
                self.logins.append(LoginAttempt(principal, None, mech))
                conn.sendall(
                    _packet(
                        TABULAR,
                        _env_change(1, "master", "")
                        + _login_ack(login["tds_version"])
                        + _env_change(4, "4096", "4096")
                        + _done(),
                    )
                )
                self._answer_batches(conn, principal)
            except (ConnectionError, OSError, ValueError):
                return

    def _answer_batches(self, conn: socket.socket, principal: str) -> None:
        while True:
            ptype, _ = _read_message(conn)
            if ptype == ATTENTION:
                conn.sendall(_packet(TABULAR, _done(0x20)))
            else:
                conn.sendall(_packet(TABULAR, _one_row("principal", principal)))


def freetds_driver() -> str | None:
    """Path of the FreeTDS ODBC driver (Debian's tdsodbc) if installed, else None."""
    for candidate in ("/usr/lib/x86_64-linux-gnu/odbc/libtdsodbc.so", "/usr/lib/aarch64-linux-gnu/odbc/libtdsodbc.so"):
        if os.path.exists(candidate):
            return candidate
    return None
