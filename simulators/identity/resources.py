"""The JSON the identity simulator answers: the discovery document (OpenID Connect Discovery 1.0 and RFC
8414 metadata), the token response (RFC 6749 §5.1) and the JWKS (RFC 7517, from the key ring)."""

from __future__ import annotations

from typing import Any

from simulators.identity import urls
from simulators.identity.models import GRANT_TYPES, IssuedToken
from simulators.identity.models_keys import SIGNING_ALGS


def discovery(issuer: str) -> dict[str, Any]:
    """The metadata of the issuer at ``issuer`` (endpoints are absolute URLs under it)."""
    return {
        "issuer": issuer,
        "token_endpoint": issuer + urls.TOKEN,
        "jwks_uri": issuer + urls.JWKS,
        "grant_types_supported": list(GRANT_TYPES),
        "response_types_supported": ["token"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": list(SIGNING_ALGS),
        "token_endpoint_auth_signing_alg_values_supported": list(SIGNING_ALGS),
        "claims_supported": ["iss", "sub", "aud", "exp", "iat", "nbf", "jti", "client_id", "scope", "roles"],
    }


def token_response(issued: IssuedToken) -> dict[str, Any]:
    """``{"access_token", "token_type": "Bearer", "expires_in", "scope"?}``."""
    body: dict[str, Any] = {
        "access_token": issued.access_token,
        "token_type": "Bearer",
        "expires_in": issued.expires_in,
    }
    if issued.scope:
        body["scope"] = issued.scope
    return body
