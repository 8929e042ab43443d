"""How the stand-in maps a request to a handler: an ordered table of (method, path regex).

Every area module (entities, lineage, pipeline statuses, ...) exposes ``ROUTES``, a list of
:class:`Route`; :class:`~tests.openmetadata_standin.server.StandInServer` tries them in the
order of ``ROUTE_MODULES`` there, so specific paths (``pipelines/{fqn}/status``) come
before the generic entity routes. A request no route matches answers 501 and is recorded.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class Call:
    """One request as a handler sees it.

    ``path`` is relative to ``/api/v1`` (no leading slash), ``query`` the decoded query
    parameters (last value wins, as JAX-RS ``@QueryParam`` does for single values),
    ``body`` the parsed JSON (``None`` when empty), ``groups`` the route regex's named groups,
    ``user`` the authenticated principal's name, ``content_type`` the request's media type
    (``""`` for in-process calls); a YAML body (``application/yaml``, ``text/yaml``,
    ``application/x-yaml``) arrives as text, for the resource to parse.
    """

    method: str
    path: str
    query: dict[str, str]
    body: object = None
    groups: dict[str, str] = field(default_factory=dict)
    user: str = "ingestion-bot"
    content_type: str = ""


@dataclass(frozen=True)
class TextAnswer:
    """A non-JSON answer (e.g. ``@Produces("application/yaml")``): ``text`` sent as ``media_type``."""

    text: str
    media_type: str


# (server, call) -> (HTTP status, JSON-serialisable payload)
Handler = Callable[[object, Call], tuple[int, object]]


@dataclass(frozen=True)
class Route:
    """``method`` plus a regex matched against the whole path after ``/api/v1/``."""

    method: str
    pattern: str
    handler: Handler

    def match(self, method: str, path: str) -> dict[str, str] | None:
        if method != self.method:
            return None
        found = re.fullmatch(self.pattern, path)
        return found.groupdict() if found else None
