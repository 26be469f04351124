"""The identity simulator's API handlers, one per operation of ``urls.API_ROUTES``.

``token`` serves two grants: ``client_credentials`` (the client's own roles, ``sub`` = its client id) and
``password`` (the user's roles and ``sub``), for the client the request authenticates
(:func:`~simulators.identity.validation.parse_token_request`). Every token answer carries ``Cache-Control:
no-store`` (RFC 6749 §5.1).
"""

from __future__ import annotations

from simulators.identity import exceptions as exc
from simulators.identity import resources
from simulators.identity.models import GRANT_CLIENT_CREDENTIALS, GRANT_PASSWORD, Issuer
from simulators.identity.validation import parse_token_request, required
from simulators.kernel.api import Response
from simulators.kernel.wsgi import SimRequest

_CACHE_JWKS = (("Cache-Control", "public, max-age=300"),)


class IdentityResponses:
    """Handlers over an :class:`~simulators.identity.models.Issuer`; ``issuer_url`` gives the issuer
    identifier for a request (configured, or the URL the client reached)."""

    def __init__(self, issuer: Issuer, configured_url: str | None) -> None:
        self.issuer = issuer
        self.configured_url = configured_url

    def issuer_url(self, request: SimRequest) -> str:
        """``IDENTITY_ISSUER`` when set, else ``scheme://host`` as the client reached the simulator."""
        return self.configured_url or request.host_url

    def discovery(self, request: SimRequest) -> Response:
        """``GET /.well-known/openid-configuration``."""
        return Response.json(resources.discovery(self.issuer_url(request)))

    def authorization_server_metadata(self, request: SimRequest) -> Response:
        """``GET /.well-known/oauth-authorization-server`` (RFC 8414; the same metadata)."""
        return Response.json(resources.discovery(self.issuer_url(request)))

    def jwks(self, request: SimRequest) -> Response:
        """``GET /.well-known/jwks.json``: the active key and the keys still in their grace period."""
        return Response.json(self.issuer.keys.jwks(), headers=_CACHE_JWKS)

    def token(self, request: SimRequest) -> Response:
        """``POST /oauth2/token``."""
        req = parse_token_request(request)
        if req.grant_type not in (GRANT_CLIENT_CREDENTIALS, GRANT_PASSWORD):
            raise exc.UnsupportedGrantType(f"Unsupported grant_type {req.grant_type!r}.")
        client = self.issuer.client(req.client_id, req.client_secret, basic=req.basic)
        self.issuer.allow(client, req.grant_type)
        scope = req.params.get("scope") or None
        if req.grant_type == GRANT_CLIENT_CREDENTIALS:
            sub, roles = client.client_id, client.roles
        else:
            user = self.issuer.user(required(req.params, "username"), required(req.params, "password"))
            sub, roles = user.sub, user.roles
        issued = self.issuer.issue(
            issuer=self.issuer_url(request),
            sub=sub,
            roles=roles,
            client_id=client.client_id,
            audience=client.audience,
            scope=scope,
        )
        return Response.json(resources.token_response(issued), headers=tuple(exc.NO_STORE.items()))
