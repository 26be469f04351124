"""What a request to the identity simulator may contain: the token request (RFC 6749 §4.3, §4.4) and the
JSON bodies of the ``/_sim/identity`` controls.

The token endpoint takes ``application/x-www-form-urlencoded`` only, each parameter at most once (§3.2),
and one client authentication method: HTTP Basic with the URL-encoded ``client_id:client_secret``
(``client_secret_basic``, §2.3.1) or ``client_id``/``client_secret`` in the body
(``client_secret_post``); both at once is ``invalid_request``. A public client sends ``client_id`` only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Literal
from urllib.parse import unquote_plus

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from simulators.identity import exceptions as exc
from simulators.identity.models_keys import Alg
from simulators.kernel.wsgi import SimRequest

FORM = "application/x-www-form-urlencoded"
GrantType = Literal["client_credentials", "password"]
CLIENT_CREDENTIALS: GrantType = "client_credentials"
Name = Annotated[str, StringConstraints(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9._:@|+-]+$")]
Role = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[a-z][a-z0-9_-]*$")]


@dataclass(frozen=True)
class TokenRequest:
    """A parsed token request: grant, client credentials (and how they came) and the grant's fields."""

    grant_type: str
    client_id: str | None
    client_secret: str | None
    basic: bool
    params: dict[str, str]


def parse_token_request(request: SimRequest) -> TokenRequest:
    """Parse a token request, raising RFC 6749 errors for anything malformed."""
    ctype = (request.header("Content-Type") or "").split(";")[0].strip().lower()
    if ctype != FORM:
        raise exc.InvalidRequest(f"The token endpoint accepts {FORM} only.")
    params: dict[str, str] = {}
    for name, values in request.form().items():
        if len(values) > 1:
            raise exc.InvalidRequest(f"Parameter {name} is included more than once.")
        params[name] = values[0]
    grant_type = params.pop("grant_type", "")
    if not grant_type:
        raise exc.InvalidRequest("Missing grant_type.")
    body_id, body_secret = params.pop("client_id", None), params.pop("client_secret", None)
    basic = request.basic_auth()
    if basic is not None:
        if body_secret is not None:
            raise exc.InvalidRequest("Use one client authentication method, not both.")
        basic_id, basic_secret = unquote_plus(basic[0]), unquote_plus(basic[1])
        if body_id is not None and body_id != basic_id:
            raise exc.InvalidRequest("client_id does not match the authenticated client.")
        return TokenRequest(grant_type, basic_id, basic_secret, True, params)
    if (request.authorization() or ("",))[0] not in ("", "basic"):
        raise exc.InvalidClient("Unsupported client authentication scheme.", basic=True)
    return TokenRequest(grant_type, body_id, body_secret, False, params)


def required(params: dict[str, str], name: str) -> str:
    """A parameter the grant needs (``invalid_request`` when it is missing or empty)."""
    value = params.get(name)
    if not value:
        raise exc.InvalidRequest(f"Missing {name}.")
    return value


# -- control bodies ---------------------------------------------------------------------------------------
class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class UserSpec(_Body):
    """``POST /_sim/identity/users``: a user for the password grant."""

    username: Name
    password: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    sub: Name | None = Field(None, description="Token subject (default: the username)")
    roles: list[Role] = Field(default_factory=list, max_length=20)


class ClientSpec(_Body):
    """``POST /_sim/identity/clients``: an OAuth client (``client_secret`` null: a public client)."""

    client_id: Name | None = Field(None, description="Generated when omitted")
    client_secret: Annotated[str, StringConstraints(min_length=8, max_length=200)] | None = Field(
        None, description="Generated for a confidential client when omitted"
    )
    public: bool = Field(False, description="A public client: no secret, password grant only")
    grant_types: list[GrantType] = Field(default_factory=lambda: [CLIENT_CREDENTIALS], min_length=1)
    roles: list[Role] = Field(default_factory=list, max_length=20)
    audience: Name | None = None


class RotateSpec(_Body):
    """``POST /_sim/identity/keys/rotate``: a new signing key; the old one stays published for
    ``grace_seconds`` of simulated time."""

    alg: Alg | None = Field(None, description="RS256 or ES256 (default: the current one's)")
    grace_seconds: float = Field(3600.0, ge=0, le=30 * 86400)


class MintSpec(_Body):
    """``POST /_sim/identity/tokens``: sign a token directly (tests, load generators, ``genai-demo
    token --sub``), as if ``client_id`` had been issued one for ``sub``."""

    sub: Name
    roles: list[Role] = Field(default_factory=list, max_length=20)
    client_id: Name = "genai-demo-control"
    audience: Name | None = None
    scope: Annotated[str, StringConstraints(max_length=500)] | None = None
    expires_in: int = Field(3600, ge=1, le=7 * 86400)
