"""Read the summary of an MIT/Heimdal FILE credential cache: principal and TGT times.

Only what a health check needs is decoded (client principal, the ticket-granting ticket's
start/end/renew times); ticket and key bytes are skipped, never returned or logged.
Format: https://web.mit.edu/kerberos/krb5-latest/doc/formats/ccache_file_format.html
(versions 3 and 4, big-endian; 1 and 2 are native-endian and unused since krb5 1.0).

The sidecar (``platform-bootstrap/kerberos/ticket_sharer.py``) carries a copy of this reader
because its image holds nothing but that one file; ``tests/kerberos`` checks both agree.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass


class CcacheFormatError(ValueError):
    """The bytes are not a (complete) FILE credential cache of version 3 or 4."""


@dataclass(frozen=True)
class CcacheSummary:
    """What a FILE ccache says about its ticket-granting ticket.

    Attributes:
        principal: default client principal, e.g. ``"alice@EXAMPLE.COM"``.
        tgt_starts / tgt_expires / tgt_renew_until: Unix seconds of the newest
            ``krbtgt/REALM@REALM`` ticket for the principal's realm; None when there is none.
        credentials: number of real (non-config) credentials in the cache.
    """

    principal: str
    tgt_starts: int | None
    tgt_expires: int | None
    tgt_renew_until: int | None
    credentials: int

    @property
    def has_tgt(self) -> bool:
        """True if a TGT for the principal's own realm is present (expired or not)."""
        return self.tgt_expires is not None

    def tgt_valid_at(self, now: float) -> bool:
        """True if the TGT exists and has not expired at ``now`` (Unix seconds)."""
        return self.tgt_expires is not None and now < self.tgt_expires


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data, self.pos = data, 0

    def take(self, n: int) -> bytes:
        if n < 0 or self.pos + n > len(self.data):
            raise CcacheFormatError("truncated credential cache")
        chunk = self.data[self.pos : self.pos + n]
        self.pos += n
        return chunk

    def u8(self) -> int:
        return self.take(1)[0]

    def u16(self) -> int:
        return struct.unpack(">H", self.take(2))[0]

    def u32(self) -> int:
        return struct.unpack(">I", self.take(4))[0]

    def octets(self) -> bytes:
        return self.take(self.u32())

    def principal(self) -> tuple[str, list[str]]:
        self.u32()  # name type
        count = self.u32()
        if count > 64:
            raise CcacheFormatError("implausible principal component count")
        realm = self.octets().decode("utf-8", "replace")
        return realm, [self.octets().decode("utf-8", "replace") for _ in range(count)]


def _name(realm: str, components: list[str]) -> str:
    return "/".join(components) + "@" + realm


def parse_ccache(data: bytes) -> CcacheSummary:
    """Summarise FILE ccache bytes.

    Args:
        data: the whole cache file content.

    Returns:
        CcacheSummary (principal and TGT times; no secrets).

    Raises:
        CcacheFormatError: empty, truncated, or not a version 3/4 FILE cache.
    """
    if not data:
        raise CcacheFormatError("credential cache is empty")
    reader = _Reader(data)
    if reader.u8() != 5:
        raise CcacheFormatError("not a FILE credential cache (bad magic byte)")
    version = reader.u8()
    if version not in (3, 4):
        raise CcacheFormatError(f"unsupported credential cache version {version} (expected 3 or 4)")
    if version == 4:
        reader.take(reader.u16())  # header tags (KDC time offset)
    realm, components = reader.principal()
    principal = _name(realm, components)
    tgt_name = _name(realm, ["krbtgt", realm])
    best: tuple[int, int, int] | None = None
    count = 0
    while reader.pos < len(data):
        reader.principal()  # client
        server_realm, server_components = reader.principal()
        reader.u16()  # key enctype
        if version == 3:
            reader.u16()  # v3 repeats the enctype
        reader.octets()  # key bytes: skipped
        authtime, starttime, endtime, renew_till = (reader.u32() for _ in range(4))
        reader.u8()  # is_skey
        reader.u32()  # ticket flags
        for _ in range(reader.u32()):  # addresses
            reader.u16()
            reader.octets()
        for _ in range(reader.u32()):  # authdata
            reader.u16()
            reader.octets()
        reader.octets()  # ticket: skipped
        reader.octets()  # second ticket
        if server_realm == "X-CACHECONF:":
            continue  # krb5 config entries (pa_type, refresh_time...), not tickets
        count += 1
        if _name(server_realm, server_components) == tgt_name and (best is None or endtime > best[1]):
            best = (starttime or authtime, endtime, renew_till)
    if best is None:
        return CcacheSummary(principal, None, None, None, count)
    return CcacheSummary(principal, best[0], best[1], best[2] or None, count)
