"""Credentials for load scenarios: every simulated user is an authenticated caller of its own.

Each user gets an access token for its own subject, so per-client rate limits and ownership apply to it
as to a real customer (a customer's ``customer_ref`` is its token's ``sub``). Tokens come from:

* the lab's identity simulator (default): ``POST <LOAD_ISSUER_URL>/_sim/identity/tokens`` mints a token for
  any subject and roles, as Auth0's and Keycloak's test-token facilities do (``LOAD_ISSUER_URL``, default
  ``http://127.0.0.1:12116``, the port ``genai-demo up`` uses);
* or a signing key the service trusts (``LOAD_SIGNING_KEY_FILE``: a PEM EC P-256 private key, with
  ``LOAD_TOKEN_ISSUER``, ``LOAD_TOKEN_KID`` and ``LOAD_TOKEN_AUDIENCE``): how the test suite runs
  scenarios against a service that trusts its test issuer.

``LOAD_TOKEN_ROLE`` overrides the role a scenario's users act with. Tokens live an hour (longer than a run).
"""

from __future__ import annotations

import os
import time
import uuid
from pathlib import Path

import requests

DEFAULT_ISSUER_URL = "http://127.0.0.1:12116"
TOKEN_TTL_S = 3600


def token_for(sub: str, role: str) -> str:
    """An access token for ``sub`` with ``roles: [role]`` (see the module docstring)."""
    role = os.environ.get("LOAD_TOKEN_ROLE") or role
    key_file = os.environ.get("LOAD_SIGNING_KEY_FILE")
    if key_file:
        import jwt
        from cryptography.hazmat.primitives.serialization import load_pem_private_key

        key = load_pem_private_key(Path(key_file).read_bytes(), password=None)
        now = int(time.time())
        claims = {
            "iss": os.environ["LOAD_TOKEN_ISSUER"],
            "aud": os.environ.get("LOAD_TOKEN_AUDIENCE", "genai-demo-api"),
            "sub": sub,
            "iat": now,
            "nbf": now,
            "exp": now + TOKEN_TTL_S,
            "jti": uuid.uuid4().hex,
            "client_id": "genai-demo-load",
            "roles": [role],
        }
        headers = {"kid": os.environ["LOAD_TOKEN_KID"], "typ": "at+jwt"}
        return jwt.encode(claims, key, algorithm="ES256", headers=headers)  # type: ignore[arg-type]
    issuer = os.environ.get("LOAD_ISSUER_URL", DEFAULT_ISSUER_URL).rstrip("/")
    resp = requests.post(
        f"{issuer}/_sim/identity/tokens",
        json={"sub": sub, "roles": [role], "client_id": "genai-demo-load", "expires_in": TOKEN_TTL_S},
        timeout=10,
    )
    resp.raise_for_status()
    token: str = resp.json()["access_token"]
    return token


def bearer(sub: str, role: str) -> dict[str, str]:
    """``{"Authorization": "Bearer <token>"}`` for ``sub``."""
    return {"Authorization": f"Bearer {token_for(sub, role)}"}
