"""The identity simulator's control handlers, mounted by the kernel under ``/_sim/identity`` from
``urls.CONTROL_ROUTES`` (bodies are the models of ``validation.py``).

=====================================  ===============================================================
``GET/POST /users``                    users of the password grant: ``{"username", "password", "sub"?,
                                       "roles": [...]}``
``DELETE /users/{username}``           forget one
``GET/POST /clients``                  OAuth clients: ``{"client_id"?, "client_secret"?, "public":
                                       false, "grant_types": [...], "roles": [...], "audience"?}``
``DELETE /clients/{client_id}``        forget one
``GET /keys``                          the signing keys (kid, alg, active, published, retires_at)
``POST /keys/rotate``                  ``{"alg"?: "RS256"|"ES256", "grace_seconds": 3600}``
``POST /tokens``                       ``{"sub", "roles", "client_id"?, "audience"?, "scope"?,
                                       "expires_in"?}``: a signed token without a grant
=====================================  ===============================================================
"""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING

from flask import Response, request

from simulators.identity import resources
from simulators.identity.models import GRANT_PASSWORD, Client, User
from simulators.identity.validation import ClientSpec, MintSpec, RotateSpec, UserSpec
from simulators.kernel.control_app import json_response
from simulators.kernel.errors import NotFound

if TYPE_CHECKING:
    from simulators.identity.provider import IdentityProvider


class IdentityControls:
    """One method per route of ``urls.CONTROL_ROUTES``, bound to a provider."""

    def __init__(self, provider: IdentityProvider) -> None:
        self.provider = provider
        self.issuer = provider.issuer

    def _issuer_url(self) -> str:
        return self.provider.configured_issuer or request.host_url.rstrip("/")

    def list_users(self) -> Response:
        users = list(self.issuer.directory.users.values())
        return json_response({"data": [u.to_json() for u in users]})

    def add_user(self, body: UserSpec) -> Response:
        user = User(body.username, body.password, body.sub or body.username, tuple(body.roles))
        return json_response(self.issuer.directory.add_user(user).to_json(), 201)

    def remove_user(self, username: str) -> Response:
        if self.issuer.directory.remove_user(username) is None:
            raise NotFound(f"no user {username!r}")
        return json_response({"deleted": username})

    def list_clients(self) -> Response:
        clients = list(self.issuer.directory.clients.values())
        return json_response({"data": [c.to_json() for c in clients]})

    def add_client(self, body: ClientSpec) -> Response:
        client_id = body.client_id or self.provider.runtime.ids.prefixed("client", 16)
        if body.public:
            client = Client(client_id, None, (GRANT_PASSWORD,), tuple(body.roles), body.audience)
        else:
            secret = body.client_secret or secrets.token_urlsafe(32)
            client = Client(client_id, secret, tuple(body.grant_types), tuple(body.roles), body.audience)
        return json_response(self.issuer.directory.add_client(client).to_json(), 201)

    def remove_client(self, client_id: str) -> Response:
        if self.issuer.directory.remove_client(client_id) is None:
            raise NotFound(f"no client {client_id!r}")
        return json_response({"deleted": client_id})

    def list_keys(self) -> Response:
        return json_response({"data": self.issuer.keys.to_json()})

    def rotate_keys(self, body: RotateSpec) -> Response:
        key = self.issuer.keys.rotate(body.alg, body.grace_seconds)
        return json_response({"active": key.kid, "alg": key.alg, "keys": self.issuer.keys.to_json()}, 201)

    def mint_token(self, body: MintSpec) -> Response:
        issued = self.issuer.issue(
            issuer=self._issuer_url(),
            sub=body.sub,
            roles=body.roles,
            client_id=body.client_id,
            audience=body.audience,
            scope=body.scope,
            ttl=body.expires_in,
        )
        return json_response(resources.token_response(issued), 201)
