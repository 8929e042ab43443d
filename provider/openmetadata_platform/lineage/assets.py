"""Naming OpenMetadata tables as Airflow Assets, and reading them back.

An OpenMetadata table is the Asset ``openmetadata://table/<fqn>``, the FQN URL-quoted
(OpenMetadata quotes names containing dots with ``"``; spaces and quotes become ``%20``/``%22``).
Optional column lineage rides in ``Asset.extra["openmetadata"]["columns"]``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from urllib.parse import SplitResult, quote, unquote, urlsplit

OM_SCHEME = "openmetadata"
TABLE_KIND = "table"
TABLE_FQN_PARTS = 4  # service.database.schema.table


class MalformedAssetError(ValueError):
    """An ``openmetadata://`` asset that does not name a table (the message says why)."""


def split_fqn(fqn: str) -> list[str]:
    """Split an OpenMetadata FQN on dots outside double quotes (``a."b.c".d`` -> 3 parts).

    Quotes are kept on the parts, as OpenMetadata writes them. Raises:
        MalformedAssetError: unbalanced quotes or an empty part.
    """
    parts, current, quoted = [], [], False
    for char in fqn:
        if char == '"':
            quoted = not quoted
        if char == "." and not quoted:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    if quoted or any(not part for part in parts):
        raise MalformedAssetError(f"{fqn!r} is not a valid OpenMetadata fully qualified name")
    return parts


def om_table(fqn: str, columns: Mapping[str, Iterable[str]] | None = None):
    """Return the Airflow Asset naming the OpenMetadata table ``fqn``.

    Args:
        fqn: the table's fully qualified name, ``service.database.schema.table`` (parts
            containing dots quoted with ``"`` as OpenMetadata does).
        columns: optional column lineage for edges INTO this table: target column name ->
            fully qualified source columns (``<source table fqn>.<column>``). Only source
            columns of the task's inlets are used for an edge.

    Returns:
        ``airflow.sdk.Asset`` with URI ``openmetadata://table/<quoted fqn>``.

    Raises:
        MalformedAssetError: ``fqn`` does not have four parts.
    """
    from airflow.sdk import Asset

    parts = split_fqn(fqn)
    if len(parts) != TABLE_FQN_PARTS:
        raise MalformedAssetError(f"{fqn!r} has {len(parts)} parts; a table FQN is service.database.schema.table")
    extra = {}
    if columns:
        extra = {OM_SCHEME: {"columns": {str(k): [str(c) for c in v] for k, v in columns.items()}}}
    return Asset(uri=f"{OM_SCHEME}://{TABLE_KIND}/{quote(fqn, safe='.')}", name=fqn, extra=extra)


def sanitize_uri(uri: SplitResult) -> SplitResult:
    """Airflow's asset-URI handler for the ``openmetadata`` scheme (``asset-uris`` in the provider info).

    Airflow calls it when an Asset is created (so at DAG parse time); a ``ValueError`` here
    makes the DAG fail to import with this message.

    Args:
        uri: the URI as Airflow split and normalised it (lower-case scheme, no trailing slash).

    Returns:
        ``uri``, with the FQN quoted the one way :func:`om_table` writes it.

    Raises:
        MalformedAssetError: names the part that is wrong (host, path, FQN parts, query).
    """
    if uri.netloc != TABLE_KIND:
        raise MalformedAssetError(
            f"{uri.geturl()!r}: the host part must be {TABLE_KIND!r} (openmetadata://table/<fqn>), got {uri.netloc!r}"
        )
    if uri.query:
        raise MalformedAssetError(f"{uri.geturl()!r}: an openmetadata:// URI takes no query part, got {uri.query!r}")
    fqn = unquote(uri.path.lstrip("/"))
    if not fqn:
        raise MalformedAssetError(f"{uri.geturl()!r}: the path must be a table FQN, service.database.schema.table")
    parts = split_fqn(fqn)
    if len(parts) != TABLE_FQN_PARTS:
        raise MalformedAssetError(
            f"{uri.geturl()!r}: the path {fqn!r} has {len(parts)} part(s); a table FQN is service.database.schema.table"
        )
    return uri._replace(path="/" + quote(fqn, safe="."))


def table_fqn_from_asset(asset) -> str | None:
    """Return the table FQN an asset names, or ``None`` when it is not an ``openmetadata://`` asset.

    Accepts anything with a ``uri`` attribute (``Asset``) or a URI string.

    Raises:
        MalformedAssetError: an ``openmetadata://`` URI that does not name a table.
    """
    uri = asset if isinstance(asset, str) else getattr(asset, "uri", None)
    if not isinstance(uri, str):
        return None
    parsed = urlsplit(uri)
    if parsed.scheme != OM_SCHEME:
        return None
    if parsed.netloc != TABLE_KIND:
        raise MalformedAssetError(f"{uri!r}: only openmetadata://table/<fqn> is supported")
    fqn = unquote(parsed.path.lstrip("/"))
    parts = split_fqn(fqn) if fqn else []
    if len(parts) != TABLE_FQN_PARTS:
        raise MalformedAssetError(f"{uri!r}: expected openmetadata://table/service.database.schema.table")
    return fqn


def column_lineage_of(asset) -> dict[str, list[str]]:
    """The ``columns`` mapping declared with :func:`om_table` (empty when none).

    Raises:
        MalformedAssetError: the declaration is not a mapping of name -> list of names.
    """
    extra = getattr(asset, "extra", None) or {}
    columns = (extra.get(OM_SCHEME) or {}).get("columns") if isinstance(extra, Mapping) else None
    if not columns:
        return {}
    if not isinstance(columns, Mapping) or not all(
        isinstance(v, (list, tuple)) and all(isinstance(c, str) for c in v) for v in columns.values()
    ):
        raise MalformedAssetError(
            f"{getattr(asset, 'uri', asset)!r}: extra.openmetadata.columns must map "
            "a column name to a list of fully qualified source columns"
        )
    return {str(k): list(v) for k, v in columns.items()}
