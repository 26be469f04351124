"""What the lab does with the identity simulator: tokens for the demo identities, and an API key.

:func:`demo_token` signs in as a demo identity through the real OAuth endpoints (``password`` grant through
the public web client for people, ``client_credentials`` for the service client), as an application
would; ``genai-demo token --role <role>`` prints one. :func:`wire_after_service` runs once ``genai-demo up``
has the service healthy (``simulators.registry``): it gets a token for every demo role and, with the
admin's, creates an API key through ``POST /api/v1/admin/api-keys``; ``up`` prints them all, ready to paste
into ``curl -H "Authorization: Bearer ..."`` or ``-H "X-API-Key: ..."``.
"""

from __future__ import annotations

from collections.abc import Mapping

import requests

from simulators.identity.magic import (
    DEMO_USERS,
    SERVICE_CLIENT_ID,
    SERVICE_CLIENT_SECRET,
    USER_FOR_ROLE,
    WEB_CLIENT_ID,
)
from simulators.identity.urls import TOKEN

#: the roles ``genai-demo token --role`` knows: the demo users' and the service client's
DEMO_ROLES = (*USER_FOR_ROLE, "service")
TIMEOUT = 10.0


class TokenError(RuntimeError):
    """The issuer refused the sign-in (the message carries its ``error`` and description)."""


def demo_token(issuer_url: str, role: str, *, verify: bool | str = True) -> str:
    """An access token for the demo identity of ``role`` (``customer``, ``customer2``, ``support``,
    ``admin``, ``service``) from the issuer at ``issuer_url``. ``verify``: ``requests``' TLS option."""
    url = issuer_url.rstrip("/") + TOKEN
    if role == "service":
        resp = requests.post(
            url,
            data={"grant_type": "client_credentials"},
            auth=(SERVICE_CLIENT_ID, SERVICE_CLIENT_SECRET),
            timeout=TIMEOUT,
            verify=verify,
        )
    elif role in USER_FOR_ROLE:
        user = next(u for u in DEMO_USERS if u.username == USER_FOR_ROLE[role])
        form = {"grant_type": "password", "client_id": WEB_CLIENT_ID, "username": user.username,
                "password": user.password}  # fmt: skip
        resp = requests.post(url, data=form, timeout=TIMEOUT, verify=verify)
    else:
        raise ValueError(f"unknown demo role {role!r}; one of {', '.join(DEMO_ROLES)}")
    if resp.status_code != 200:
        raise TokenError(f"{url} answered {resp.status_code}: {resp.text[:200]}")
    token: str = resp.json()["access_token"]
    return token


def wire_after_service(sim_url: str, service_url: str, env: Mapping[str, str]) -> dict[str, str]:
    """Tokens for every demo role and a new ``service`` API key (see the module docstring)."""
    verify: bool | str = env.get("REQUESTS_CA_BUNDLE") or True
    tokens = {f"TOKEN_{role.upper()}": demo_token(sim_url, role, verify=verify) for role in DEMO_ROLES}
    resp = requests.post(
        service_url.rstrip("/") + "/api/v1/admin/api-keys",
        json={"name": "genai-demo up", "roles": ["service"]},
        headers={"Authorization": f"Bearer {tokens['TOKEN_ADMIN']}"},
        timeout=TIMEOUT,
        verify=verify,
    )
    if resp.status_code != 201:
        raise TokenError(f"creating the lab's API key failed: {resp.status_code} {resp.text[:200]}")
    return {**tokens, "API_KEY_SERVICE": resp.json()["key"]}
