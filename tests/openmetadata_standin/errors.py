"""The error every stand-in handler raises to answer like the server does."""

from __future__ import annotations


class ApiError(Exception):
    """An error answered in the server's JSON shape ``{"code": .., "message": ..}``.

    Mirrors the server's ``WebServiceException`` subclasses (``EntityNotFoundException`` is
    a 404, ``BadRequestException`` a 400, ...): ``status`` is the HTTP status.
    """

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message
