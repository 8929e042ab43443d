"""Basic-auth login and the bot-token endpoints of the stand-in, as OpenMetadata 2.0 serves them.

Endpoints: ``POST /v1/users/login``, ``GET /v1/bots/name/{name}``,
``GET /v1/users/auth-mechanism/{id}``; what ``platform_bootstrap.omapi`` calls to fetch the
ingestion bot's JWT with ``AUTHENTICATION_PROVIDER=basic``.

Server source, read through the code index (paths under ``openmetadata-service/src/main/java/
org/openmetadata/service/``). The index keeps one version per file. **M** is
``Jason-Clark-FG/OpenMetadata-Mirror`` (its pom says 2.0.0-SNAPSHOT); **O** is
``open-metadata/OpenMetadata``, used where M holds no copy:

- M ``resources/teams/UserResource.java`` @1aa230f: ``loginUserWithPassword``,
  ``getAuthenticationMechanism``, ``decryptOrNullify``.
- M ``security/auth/BasicAuthenticator.java`` @1aa230f: ``loginUser``, ``lookUserInProvider``,
  ``validatePassword``, ``checkIfLoginBlocked``, ``recordFailedLoginAttempt``.
- M ``security/JwtFilter.java`` @1aa230f: ``EXCLUDED_ENDPOINTS`` lists ``v1/users/login``.
- M ``exception/CatalogGenericExceptionMapper.java`` @615a02b: ``toResponse``.
- M ``security/DefaultAuthorizer.java`` @b1725ce: ``authorizeAdmin``, ``shouldMaskPasswords``.
- O ``resources/bots/BotResource.java`` @0582ca4: ``getByName``, ``initialize``.
- O ``auth/JwtResponse.java`` @c99ff22, O ``security/auth/AuthenticatorHandler.java`` @01450e1
  (``getJwtResponse``), O ``security/auth/LoginAttemptCache.java`` @102c7cd,
  O ``exception/CatalogExceptionMessage.java`` @049f17d, O ``exception/CustomExceptionMessage.java``
  @0344917, O ``secrets/masker/PasswordEntityMasker.java`` @01450e1.

Rules kept here:

- The login needs no token (JwtFilter.EXCLUDED_ENDPOINTS; ``UNAUTHENTICATED`` in server.py).
  The body is a ``@Valid LoginRequest``, parsed with
  ``metadata.generated.schema.auth.loginRequest.LoginRequest`` (``extra='forbid'``).
- The password must be base64 (``Base64.getDecoder().decode``; padding optional, nothing outside
  the alphabet). Otherwise UserResource.loginUserWithPassword throws ``IllegalArgumentException(
  "Password needs to be encoded in Base-64.")``. CatalogGenericExceptionMapper.toResponse answers
  every IllegalArgumentException with **400 "Invalid request parameter"**, so the text is lost.
  The decoded bytes become a String (UTF-8; bad bytes are replaced, never an error).
- BasicAuthenticator.loginUser runs in this order:
  1. ``checkIfLoginBlocked(email)``: **401** ``MAX_FAILED_LOGIN_ATTEMPT``. An AuthenticationException
     is UNAUTHORIZED in the mapper.
  2. ``lookUserInProvider``: an email without ``@``, no user with that email, or a bot gives
     ``CustomExceptionMessage(BAD_REQUEST, INVALID_USER_OR_PASSWORD, INVALID_USERNAME_PASSWORD)``,
     **400** "You have entered an invalid username or password.". A WebServiceException keeps its
     status, and the mapper writes ``{code, message}``.
  3. ``validatePassword``: no stored mechanism, or a bcrypt mismatch, gives **401** with the same
     message. Only a mismatch is counted (``recordFailedLoginAttempt`` under the user's email).
  4. The answer is ``getJwtResponse``.
- LoginAttemptCache: login is blocked once the failed count is ``>= maxLoginFailAttempts``
  (default 3, ``configuration/loginConfiguration.json``). Counts expire ``accessBlockTime``
  (600 s) after the last failure (``expireAfterWrite``). In 2.0 ``loginUser`` never calls
  ``recordSuccessfulLogin``, so a good login does not clear earlier failures.
- The answer is a JwtResponse ``{accessToken, refreshToken, tokenType, expiryDuration}``.
  ``getJwtResponse`` sets tokenType ``"Bearer"`` and a random UUID refreshToken. expiryDuration is
  ``JWTTokenExpiresAt``, the expiry *instant* in epoch ms, despite its name (jwtTokenExpiryTime,
  default 3600 s). JwtResponse is a Java class, not a JSON schema, so the client has no generated
  model: :class:`JwtResponse` below copies it.
- ``GET /v1/bots/name/{name}`` (BotResource.getByName): ``getByNameInternal(quoteName(name),
  "", include)``, include defaulting to ``non-deleted``. An unknown bot is **404**
  ``entityNotFound("bot", name)``. The answer is a ``Bot``, validated with
  ``metadata.generated.schema.entity.bot.Bot``, and its ``botUser`` is a user reference.
  BotResource.initialize creates ``ingestion-bot`` and its bot user at start-up.
- ``GET /v1/users/auth-mechanism/{id}`` (UserResource.getAuthenticationMechanism):
  1. ``repository.get``: an unknown user is **404** "user instance for {id} not found".
  2. A user that is not a bot: ``IllegalArgumentException("JWT token is only supported for bot
     users")``, which becomes **400** "Invalid request parameter".
  3. ``decryptOrNullify``, then ``authorizer.authorizeAdmin``: a non-admin is **403**
     ``notAdmin(name)`` "Principal: CatalogPrincipal{name='<name>'} is not admin"
     (DefaultAuthorizer.authorizeAdmin; the mapper makes an AuthorizationException FORBIDDEN).
  4. It returns ``user.getAuthenticationMechanism()``. A null answer is a 204 in JAX-RS.
  The answer is validated with ``metadata.generated.schema.entity.teams.user.AuthenticationMechanism``.
- decryptOrNullify masks password fields. ``JWTToken`` is one: it is a ``CustomSecretStr`` in
  ``auth/jwtAuth``. Masking happens when the server runs PasswordEntityMasker
  (``security.maskPasswordsAPI``, default false: "mask all the password fields in the responses
  sent from the API except for the bots") and the caller is not a bot
  (DefaultAuthorizer.shouldMaskPasswords). The mask is PASSWORD_MASK ``"*********"``. Set
  ``auth_state(server).mask_passwords = True`` to get that server.

Not modelled: refresh tokens (``/users/refresh``), logout, bot CRUD, ``/users/token/{id}``,
``generateToken``/``revokeToken``, and the real RS256 JWTs. The stand-in's tokens are random
strings mapped to principals (``StandInServer.accept_token``). Two further differences:
``revokeToken`` stores ``{"JWTToken": ""}`` without ``JWTTokenExpiry``, which the generated model
requires, so a revoked mechanism set here keeps an expiry. Emails are matched exactly against the
stored, lower-cased email; the server's case handling in ``getByEmail`` was not read.
"""

from __future__ import annotations

import base64
import binascii
import copy
import hmac
import re
import threading
import time
import uuid
from dataclasses import dataclass, field

from pydantic import BaseModel, ConfigDict, StrictInt, StrictStr

from tests.openmetadata_standin.entities import KINDS
from tests.openmetadata_standin.errors import ApiError
from tests.openmetadata_standin.routes import Call, Route
from tests.openmetadata_standin.store import API, check_include

ADMIN_EMAIL = "admin@open-metadata.org"  # AUTHORIZER_ADMIN_PRINCIPALS [admin] @ AUTHORIZER_PRINCIPAL_DOMAIN
INGESTION_BOT = "ingestion-bot"
# CatalogExceptionMessage
INVALID_USERNAME_PASSWORD = "You have entered an invalid username or password."
MAX_FAILED_LOGIN_ATTEMPT = "Failed Login Attempts Exceeded. Use Forgot Password or retry after some time."
INVALID_REQUEST_PARAMETER = "Invalid request parameter"  # CatalogGenericExceptionMapper, IllegalArgumentException
PASSWORD_MASK = "*********"  # PasswordEntityMasker.PASSWORD_MASK
# configuration/loginConfiguration.json defaults
MAX_LOGIN_FAIL_ATTEMPTS = 3
ACCESS_BLOCK_SECONDS = 600
JWT_TOKEN_EXPIRY_SECONDS = 3600

_BASE64 = re.compile(r"[A-Za-z0-9+/]*={0,2}")


class JwtResponse(BaseModel):
    """The server's ``org.openmetadata.service.auth.JwtResponse`` (no generated model exists)."""

    model_config = ConfigDict(extra="forbid")
    accessToken: StrictStr
    refreshToken: StrictStr
    tokenType: StrictStr
    expiryDuration: StrictInt


@dataclass
class AuthState:
    """Who can log in, the bots and the bot users' auth mechanisms of one stand-in store.

    ``passwords`` maps a login email to the plain password (the server keeps a bcrypt hash in the
    user's BasicAuthMechanism; the stand-in never answers it). ``mechanisms`` maps a user id to its
    ``AuthenticationMechanism`` JSON; it is kept out of the User entity because the server never
    serves it there (UserResource: ``allowedFields.remove(USER_PROTECTED_FIELDS)``).
    """

    store: object
    passwords: dict[str, str] = field(default_factory=dict)
    mechanisms: dict[str, dict] = field(default_factory=dict)
    bots: dict[str, dict] = field(default_factory=dict)
    failed_logins: dict[str, tuple[int, float]] = field(default_factory=dict)  # email -> (count, last failure)
    mask_passwords: bool = False  # security.maskPasswordsAPI
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def failures(self, email: str) -> int:
        count, last = self.failed_logins.get(email, (0, 0.0))
        return count if time.monotonic() - last < ACCESS_BLOCK_SECONDS else 0


_STATE_GUARD = threading.Lock()


def auth_state(server) -> AuthState:
    """The :class:`AuthState` of ``server``'s current store; a new one after ``server.reset()``."""
    with _STATE_GUARD:
        state = getattr(server, "_auth_state", None)
        if state is None or state.store is not server.store:
            state = AuthState(server.store)
            server._auth_state = state
        return state


# -- seeding (what the server creates at start-up) ---------------------------------------------
def add_user(
    server, name: str, email: str, password: str | None = None, is_admin: bool = False, is_bot: bool = False
) -> dict:
    """Create a User in the stand-in; with ``password`` it can log in (basic auth).

    Returns the stored User. Raises ApiError as ``PUT /v1/users`` does (e.g. 400 bad name or email).
    """
    from metadata.generated.schema.api.teams.createUser import CreateUserRequest

    request = CreateUserRequest(name=name, email=email, isAdmin=is_admin, isBot=is_bot)
    user, _status = server.store.create_or_update(KINDS["user"], request, user="admin")
    if password is not None:
        state = auth_state(server)
        with state.lock:
            state.passwords[user["email"]] = password
    return user


def set_auth_mechanism(server, user_id: str, mechanism: dict | None) -> None:
    """Store ``mechanism`` (``AuthenticationMechanism`` JSON, validated) for user ``user_id``; None removes it."""
    from metadata.generated.schema.entity.teams.user import AuthenticationMechanism

    server.store.get_by_id("user", user_id)
    state = auth_state(server)
    with state.lock:
        if mechanism is None:
            state.mechanisms.pop(user_id, None)
        else:
            AuthenticationMechanism.model_validate(mechanism)
            state.mechanisms[user_id] = copy.deepcopy(mechanism)


def add_bot(server, name: str, bot_user: dict, jwt: str | None) -> dict:
    """Create Bot ``name`` bound to user ``bot_user``; with ``jwt`` the bot user gets a JWT mechanism
    (``JWTTokenExpiry`` Unlimited, as BotResource.initialize's bots get). Returns the Bot."""
    from metadata.generated.schema.entity.bot import Bot

    bot_id = str(uuid.uuid4())
    bot = {
        "id": bot_id,
        "name": name,
        "fullyQualifiedName": name,
        "displayName": name,
        "botUser": server.store.reference("user", bot_user),
        "provider": "system",
        "version": 0.1,
        "updatedAt": int(time.time() * 1000),
        "updatedBy": "admin",
        "href": f"{server.store.base_url}{API}/bots/{bot_id}",
        "deleted": False,
    }
    Bot.model_validate(bot)
    state = auth_state(server)
    with state.lock:
        state.bots[name] = bot
    if jwt is not None:
        set_auth_mechanism(
            server, bot_user["id"], {"authType": "JWT", "config": {"JWTToken": jwt, "JWTTokenExpiry": "Unlimited"}}
        )
    return bot


def seed_basic_auth(server, admin_password: str, admin_email: str = ADMIN_EMAIL) -> dict:
    """What a basic-auth server creates at start-up: the ``admin`` user (``isAdmin``, logs in with
    ``admin_email``/``admin_password``) and the ``ingestion-bot`` Bot whose bot user's JWT is
    ``server.token``, so a token fetched this way is the one the stand-in accepts as the bot.

    Returns ``{"admin": User, "bot": Bot, "bot_user": User}``.
    """
    admin = add_user(server, "admin", admin_email, password=admin_password, is_admin=True)
    bot_user = add_user(server, INGESTION_BOT, f"{INGESTION_BOT}@open-metadata.org", is_bot=True)
    bot = add_bot(server, INGESTION_BOT, bot_user, jwt=server.token)
    return {"admin": admin, "bot": bot, "bot_user": bot_user}


# -- handlers -----------------------------------------------------------------------------------
def _java_base64_decode(value: str) -> bytes:
    """``java.util.Base64.getDecoder().decode``: RFC 4648 alphabet, padding optional but exact when present.

    Raises:
        ValueError: what Java rejects with IllegalArgumentException.
    """
    if not _BASE64.fullmatch(value) or ("=" in value and len(value) % 4) or len(value) % 4 == 1:
        raise ValueError("not base64")
    try:
        return base64.b64decode(value + "=" * (-len(value) % 4), validate=True)
    except binascii.Error:
        raise ValueError("not base64") from None


def _parse(model, body, what: str):
    from pydantic import ValidationError

    try:
        return model.model_validate(body)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc']) or '<body>'}: {e['msg']}" for e in exc.errors())
        raise ApiError(400, f"Invalid {what}: {problems}") from None


def _user_by_email(server, email: str) -> dict | None:
    return next((u for u in server.entities("user") if u.get("email") == email and not u.get("deleted")), None)


def _principal_user(server, principal: str) -> dict | None:
    from metadata.utils import fqn as fqn_utils

    try:
        return server.store.get_by_fqn("user", fqn_utils.quote_name(principal))
    except (ApiError, ValueError):
        return None


def _is_admin(server, principal: str) -> bool:
    # "admin" is the stand-in's human administrator (server.admin_token, server.call).
    user = _principal_user(server, principal)
    return principal == "admin" or bool(user and user.get("isAdmin"))


def _is_bot(server, principal: str) -> bool:
    user = _principal_user(server, principal)
    return principal == INGESTION_BOT or bool(user and user.get("isBot"))


def login(server, call: Call):
    """UserResource.loginUserWithPassword + BasicAuthenticator.loginUser (rules in the module docstring)."""
    from metadata.generated.schema.auth.loginRequest import LoginRequest

    request = _parse(LoginRequest, call.body, "LoginRequest")
    try:
        password = _java_base64_decode(request.password).decode("utf-8", errors="replace")
    except ValueError:
        raise ApiError(400, INVALID_REQUEST_PARAMETER) from None
    state = auth_state(server)
    email = request.email
    if state.failures(email) >= MAX_LOGIN_FAIL_ATTEMPTS:
        raise ApiError(401, MAX_FAILED_LOGIN_ATTEMPT)
    user = _user_by_email(server, email) if "@" in email else None
    if user is None or user.get("isBot"):
        raise ApiError(400, INVALID_USERNAME_PASSWORD)
    stored = state.passwords.get(user["email"])
    if stored is None:  # created without a password: no BasicAuthMechanism
        raise ApiError(401, INVALID_USERNAME_PASSWORD)
    if not hmac.compare_digest(stored.encode(), password.encode()):
        with state.lock:
            state.failed_logins[user["email"]] = (state.failures(user["email"]) + 1, time.monotonic())
        raise ApiError(401, INVALID_USERNAME_PASSWORD)
    access = base64.urlsafe_b64encode(uuid.uuid4().bytes + uuid.uuid4().bytes).decode().rstrip("=")
    server.accept_token(access, user["name"])
    answer = {
        "accessToken": access,
        "refreshToken": str(uuid.uuid4()),
        "tokenType": "Bearer",
        "expiryDuration": int(time.time() * 1000) + JWT_TOKEN_EXPIRY_SECONDS * 1000,
    }
    JwtResponse.model_validate(answer)
    return 200, answer


def bot_by_name(server, call: Call):
    """BotResource.getByName."""
    from metadata.generated.schema.entity.bot import Bot

    include = check_include(call.query.get("include"))
    name = call.groups["name"]
    bot = auth_state(server).bots.get(name)
    if bot is None or (include == "non-deleted" and bot["deleted"]) or (include == "deleted" and not bot["deleted"]):
        raise ApiError(404, f"bot instance for {name} not found")
    Bot.model_validate(bot)
    return 200, bot


def auth_mechanism(server, call: Call):
    """UserResource.getAuthenticationMechanism (+ decryptOrNullify's masking)."""
    from metadata.generated.schema.entity.teams.user import AuthenticationMechanism

    user = server.store.get_by_id("user", call.groups["id"])
    if not user.get("isBot"):
        raise ApiError(400, INVALID_REQUEST_PARAMETER)  # "JWT token is only supported for bot users"
    state = auth_state(server)
    mechanism = state.mechanisms.get(user["id"])
    if not _is_admin(server, call.user):
        raise ApiError(403, f"Principal: CatalogPrincipal{{name='{call.user}'}} is not admin")
    if mechanism is None:
        return 204, None
    answer = copy.deepcopy(mechanism)
    config = answer.get("config")
    # Only JWTToken is masked here: the one password field of the JWT mechanism the bootstrap reads.
    if state.mask_passwords and not _is_bot(server, call.user) and isinstance(config, dict) and "JWTToken" in config:
        config["JWTToken"] = PASSWORD_MASK
    AuthenticationMechanism.model_validate(answer)
    return 200, answer


ROUTES = [
    Route("POST", r"users/login", login),
    Route("GET", r"bots/name/(?P<name>[^/]+)", bot_by_name),
    Route("GET", r"users/auth-mechanism/(?P<id>[^/]+)", auth_mechanism),
]
