"""Every path of the identity simulator: the OAuth/OIDC endpoints and the ``/_sim/identity`` controls.

Fault rules match the operations of :data:`API_ROUTES`: ``{"match": {"operation": "jwks"}, "status":
503}`` takes the JWKS endpoint down (resource servers must keep verifying with the keys they cached), and
``{"match": {"operation": "token"}}`` fails sign-ins.
"""

from __future__ import annotations

from simulators.identity.validation import ClientSpec, MintSpec, RotateSpec, UserSpec
from simulators.kernel.routing import Route

DISCOVERY = "/.well-known/openid-configuration"
AS_METADATA = "/.well-known/oauth-authorization-server"
JWKS = "/.well-known/jwks.json"
TOKEN = "/oauth2/token"

API_ROUTES: tuple[Route, ...] = (
    Route("GET", DISCOVERY, "discovery"),
    Route("GET", AS_METADATA, "authorization_server_metadata"),
    Route("GET", JWKS, "jwks"),
    Route("POST", TOKEN, "token"),
)

_FOUND = {200: "OK", 404: "Not found"}
CONTROL_ROUTES: tuple[Route, ...] = (
    Route("GET", "/users", "list_users", "Users of the password grant (passwords not shown)"),
    Route("POST", "/users", "add_user", "Add (or replace) a user", body=UserSpec, responses={201: "Created"}),
    Route("DELETE", "/users/<username>", "remove_user", "Forget a user", responses=_FOUND),
    Route("GET", "/clients", "list_clients", "OAuth clients, with their secrets"),
    Route(
        "POST",
        "/clients",
        "add_client",
        "Register an OAuth client (secret generated when omitted)",
        body=ClientSpec,
        body_required=False,
        responses={201: "Created"},
    ),
    Route("DELETE", "/clients/<client_id>", "remove_client", "Forget a client", responses=_FOUND),
    Route("GET", "/keys", "list_keys", "Signing keys, newest first (public state only)"),
    Route(
        "POST",
        "/keys/rotate",
        "rotate_keys",
        "New active signing key; the old one stays in the JWKS for grace_seconds",
        body=RotateSpec,
        body_required=False,
        responses={201: "Rotated"},
    ),
    Route(
        "POST",
        "/tokens",
        "mint_token",
        "Sign an access token for any subject and roles (tests, load generators)",
        body=MintSpec,
        responses={201: "Minted"},
    ),
)
