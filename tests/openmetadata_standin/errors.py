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


def validated(model, body, name: str):
    """``model.model_validate(body)``, or a 400 naming the first five wrong fields (the server's
    answer to a body its JSON schema rejects).

    Raises:
        ApiError: 400 ``Invalid <name>: <field>: <message>; ...``.
    """
    from pydantic import ValidationError

    try:
        return model.model_validate(body)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc']) or '<body>'}: {e['msg']}" for e in exc.errors()[:5])
        raise ApiError(400, f"Invalid {name}: {problems}") from None
