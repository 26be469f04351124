"""The OAuth 2.0 / OpenID Connect issuer simulator (``genai-demo sim identity``, default port 12116).

A resource server points at it by issuer URL, as it would at Cognito, Auth0 or Keycloak: it reads
``<issuer>/.well-known/openid-configuration`` and verifies tokens with the keys of ``jwks_uri``. Tokens come
from ``POST /oauth2/token`` (client credentials and password grants) and are RS256 or ES256 JWTs (RFC
9068). Environment: ``IDENTITY_ISSUER`` (the ``iss`` and the base of the discovery URLs; default: the URL
the client reached), ``IDENTITY_AUDIENCE`` (default ``genai-demo-api``), ``IDENTITY_SIGNING_ALG``
(``RS256``/``ES256``), ``IDENTITY_TOKEN_TTL`` (seconds, default 3600). It starts with the demo identities of
:mod:`simulators.identity.magic`. Keys rotate through ``POST /_sim/identity/keys/rotate``; faults on the
``jwks`` operation take the key endpoint down. Why a simulator of our own rather than Cognito through moto:
``docs/security.md``.
"""

from __future__ import annotations

from typing import Any

from simulators.identity import exceptions as exc
from simulators.identity import urls
from simulators.identity.control import IdentityControls
from simulators.identity.magic import DEFAULT_AUDIENCE
from simulators.identity.models import Issuer, demo_directory
from simulators.identity.models_keys import SIGNING_ALGS, Alg, KeyRing
from simulators.identity.responses import IdentityResponses
from simulators.kernel import ErrorResponse, SimRequest, SimulatorProvider


class IdentityProvider(SimulatorProvider):
    """An OAuth 2.0 authorization server: discovery, JWKS, token endpoint, rotating keys."""

    name = "identity"
    description = "OAuth 2.0 / OIDC issuer: discovery, JWKS, client credentials and password grants"
    default_port = 12116
    request_id_header = "X-Request-Id"
    api_routes = urls.API_ROUTES
    control_routes = urls.CONTROL_ROUTES
    masked_headers = frozenset({"authorization"})

    def setup(self) -> None:
        """The key ring, the demo directory and the issuer, from the environment."""
        alg = self.env.get("IDENTITY_SIGNING_ALG", "RS256").upper()
        if alg not in SIGNING_ALGS:
            raise ValueError(f"IDENTITY_SIGNING_ALG must be one of {', '.join(SIGNING_ALGS)}, got {alg!r}")
        chosen: Alg = "ES256" if alg == "ES256" else "RS256"
        audience = self.env.get("IDENTITY_AUDIENCE") or DEFAULT_AUDIENCE
        ttl = int(self.env.get("IDENTITY_TOKEN_TTL") or 3600)
        self.configured_issuer = (self.env.get("IDENTITY_ISSUER") or "").rstrip("/") or None
        rt = self.runtime
        self.issuer = Issuer(
            demo_directory(audience), KeyRing(rt.clock, chosen), rt.clock, rt.ids, audience, ttl
        )
        self.responses = IdentityResponses(self.issuer, self.configured_issuer)

    def reset(self) -> None:
        """Forget control-registered users and clients and rotated keys."""
        self.issuer.reset()

    def account_for(self, request: SimRequest) -> str | None:
        """The client id of a token request (Basic user or ``client_id``; not a secret)."""
        creds = request.basic_auth()
        if creds:
            return creds[0]
        return request.form_value("client_id") if request.method == "POST" else None

    def error_for(self, status: int, request: SimRequest | None) -> ErrorResponse:
        """RFC 6749's error body for a bare status (faults, unknown URLs)."""
        return exc.error_for_status(status).to_response()

    def health(self) -> dict[str, Any]:
        """Active key and identity counts for ``/_sim/health``."""
        return {
            "active_kid": self.issuer.keys.active.kid,
            "users": len(self.issuer.directory.users),
            "clients": len(self.issuer.directory.clients),
        }

    def api_handlers(self) -> IdentityResponses:
        return self.responses

    def control_handlers(self) -> IdentityControls:
        return IdentityControls(self)
