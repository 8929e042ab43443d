"""Transport: a small, bounded REST client for the OpenMetadata calls the listener makes.

Why not ``metadata.ingestion.ometa.ometa_api.OpenMetadata``: importing
``openmetadata-ingestion`` takes ~5 s, far too much for every task process. This client
uses ``httpx`` (already imported by the Task SDK), speaks JSON to ``/api/v1``, bounds the
whole sequence of calls made for one event by a single deadline, and records the slowest
answer so that a slow server trips the back-off like a failing one.
"""

from __future__ import annotations

import time
from urllib.parse import quote

import httpx


class OpenMetadataCallError(Exception):
    """An OpenMetadata call failed: ``status`` is the HTTP status (``None`` for no answer).

    The message names the method, path and the server's message; never the token.
    """

    def __init__(self, message: str, status: int | None = None):
        super().__init__(message)
        self.status = status

    @property
    def server_unusable(self) -> bool:
        """No answer, a 5xx or a rejected token: the server cannot take anything now."""
        return self.status is None or self.status >= 500 or self.status in (401, 403)


class DeadlineExceeded(OpenMetadataCallError):
    """The event's time budget ran out before the next call."""


def quote_fqn(fqn: str) -> str:
    """Quote an FQN for a URL path segment (the server decodes it; ``/`` must not split it)."""
    return quote(fqn, safe="")


class RestClient:
    """JSON calls to ``<host_port>/v1/...`` with a bearer token, all within one deadline.

    Args:
        host_port: API base URL as in the hook, e.g. ``http://localhost:8585/api``.
        token: the JWT (sent as ``Authorization: Bearer``; never logged).
        timeout: seconds for all calls made through this instance together.
        verify: ``httpx`` TLS verification (``False``, ``True`` or a CA bundle path).

    Attributes:
        slowest: seconds the slowest answer took so far (0.0 before any call).
    """

    def __init__(self, host_port: str, token: str, timeout: float, verify: bool | str = True):
        self.base = host_port.rstrip("/") + "/v1"
        self.deadline = time.monotonic() + timeout
        self.slowest = 0.0
        self._client = httpx.Client(headers={"Authorization": f"Bearer {token}"}, verify=verify, trust_env=False)

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> RestClient:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def call(self, method: str, path: str, *, json=None, params: dict | None = None, ok_404: bool = False):
        """Make one call; return the decoded JSON body (``None`` for a 404 when ``ok_404``).

        Raises:
            DeadlineExceeded: no time left in the budget.
            OpenMetadataCallError: no answer within the remaining budget, or a non-2xx status.
        """
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            raise DeadlineExceeded(f"{method} {path}: time budget exhausted")
        started = time.monotonic()
        try:
            response = self._client.request(
                method, self.base + path, json=json, params=params, timeout=httpx.Timeout(remaining)
            )
        except httpx.TimeoutException:
            raise OpenMetadataCallError(f"{method} {path}: no answer within {remaining:.1f}s") from None
        except httpx.HTTPError as exc:
            raise OpenMetadataCallError(f"{method} {path}: {type(exc).__name__}: {exc}") from None
        finally:
            self.slowest = max(self.slowest, time.monotonic() - started)
        if response.status_code == 404 and ok_404:
            return None
        if response.status_code >= 300:
            try:
                message = response.json().get("message", "")
            except ValueError:
                message = response.text[:200]
            raise OpenMetadataCallError(
                f"{method} {path}: HTTP {response.status_code} {message}"[:500], status=response.status_code
            )
        return response.json() if response.content else None
