"""The identity simulator as a resource server and an OAuth client see it: discovery, the token endpoint's
grants and RFC 6749 errors, tokens that verify with the published keys (PyJWT's ``PyJWKClient``), key
rotation with a grace period on the simulated clock, faults on the JWKS endpoint, and the controls."""

from __future__ import annotations

from typing import Any

import jwt
import pytest
import requests

from simulators.identity.magic import SERVICE_CLIENT_ID, SERVICE_CLIENT_SECRET, WEB_CLIENT_ID
from simulators.identity.wiring import DEMO_ROLES, demo_token
from simulators.testing import RunningSimulator

pytestmark = pytest.mark.security
FORM = {"grant_type": "client_credentials"}
SERVICE_AUTH = (SERVICE_CLIENT_ID, SERVICE_CLIENT_SECRET)


def discovery(sim: RunningSimulator) -> dict[str, Any]:
    doc: dict[str, Any] = requests.get(sim.url + "/.well-known/openid-configuration", timeout=5).json()
    return doc


def verify(sim: RunningSimulator, token: str, **options: Any) -> dict[str, Any]:
    doc = discovery(sim)
    key = jwt.PyJWKClient(doc["jwks_uri"]).get_signing_key_from_jwt(token)
    claims: dict[str, Any] = jwt.decode(
        token,
        key.key,
        algorithms=["RS256", "ES256"],
        audience="genai-demo-api",
        issuer=doc["issuer"],
        **options,
    )
    return claims


def token_request(sim: RunningSimulator, **kwargs: Any) -> requests.Response:
    return requests.post(sim.url + "/oauth2/token", timeout=5, **kwargs)


def test_discovery_names_the_endpoints_under_the_issuer(identity_sim: RunningSimulator) -> None:
    doc = discovery(identity_sim)
    assert doc["issuer"] == identity_sim.url
    assert doc["token_endpoint"] == identity_sim.url + "/oauth2/token"
    assert doc["jwks_uri"] == identity_sim.url + "/.well-known/jwks.json"
    assert set(doc["grant_types_supported"]) == {"client_credentials", "password"}
    metadata = requests.get(identity_sim.url + "/.well-known/oauth-authorization-server", timeout=5).json()
    assert metadata == doc


@pytest.mark.parametrize("how", ["basic", "post"])
def test_client_credentials_issue_an_rfc9068_token_that_verifies(
    identity_sim: RunningSimulator, how: str
) -> None:
    if how == "basic":
        resp = token_request(identity_sim, data=FORM, auth=SERVICE_AUTH)
    else:
        form = {**FORM, "client_id": SERVICE_CLIENT_ID, "client_secret": SERVICE_CLIENT_SECRET}
        resp = token_request(identity_sim, data=form)
    assert resp.status_code == 200, resp.text
    assert resp.headers["Cache-Control"] == "no-store" and resp.headers["Pragma"] == "no-cache"
    body = resp.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 3600
    header = jwt.get_unverified_header(body["access_token"])
    assert header["typ"] == "at+jwt" and header["alg"] == "RS256" and header["kid"]
    claims = verify(identity_sim, body["access_token"])
    assert claims["sub"] == claims["client_id"] == SERVICE_CLIENT_ID and claims["roles"] == ["service"]
    assert claims["exp"] - claims["iat"] == 3600 and claims["jti"].startswith("at_")


def test_the_password_grant_gives_the_user_subject_and_roles(identity_sim: RunningSimulator) -> None:
    form = {"grant_type": "password", "client_id": WEB_CLIENT_ID, "username": "ada",
            "password": "ada-lab-password", "scope": "orders"}  # fmt: skip
    body = token_request(identity_sim, data=form).json()
    claims = verify(identity_sim, body["access_token"])
    assert (claims["sub"], claims["roles"], claims["scope"], body["scope"]) == (
        "cus_ada",
        ["customer"],
        "orders",
        "orders",
    )


def test_every_demo_role_signs_in(identity_sim: RunningSimulator) -> None:
    roles = {role: verify(identity_sim, demo_token(identity_sim.url, role))["roles"] for role in DEMO_ROLES}
    assert roles == {"customer": ["customer"], "customer2": ["customer"], "support": ["support"],
                     "admin": ["admin"], "service": ["service"]}  # fmt: skip


@pytest.mark.parametrize(
    ("kwargs", "status", "error"),
    [
        ({"data": {"grant_type": "password", "client_id": WEB_CLIENT_ID, "username": "ada", "password": "x"}},
         400, "invalid_grant"),
        ({"data": FORM, "auth": (SERVICE_CLIENT_ID, "wrong")}, 401, "invalid_client"),
        ({"data": {**FORM, "client_id": "nobody", "client_secret": "x"}}, 401, "invalid_client"),
        ({"data": {**FORM, "client_id": WEB_CLIENT_ID}}, 400, "unauthorized_client"),
        ({"data": {"grant_type": "authorization_code"}, "auth": SERVICE_AUTH}, 400, "unsupported_grant_type"),
        ({"data": {}, "auth": SERVICE_AUTH}, 400, "invalid_request"),
        ({"json": FORM, "auth": SERVICE_AUTH}, 400, "invalid_request"),
        ({"data": "grant_type=client_credentials&grant_type=password",
          "headers": {"Content-Type": "application/x-www-form-urlencoded"}, "auth": SERVICE_AUTH},
         400, "invalid_request"),
        ({"data": {**FORM, "client_secret": SERVICE_CLIENT_SECRET}, "auth": SERVICE_AUTH},
         400, "invalid_request"),
        ({"data": {"grant_type": "password", "client_id": WEB_CLIENT_ID, "username": "ada"}},
         400, "invalid_request"),
    ],
    ids=["wrong-password", "wrong-secret", "unknown-client", "grant-not-allowed", "unknown-grant",
         "no-grant", "json-body", "repeated-parameter", "two-auth-methods", "no-password"],
)  # fmt: skip
def test_token_errors_are_rfc6749(
    identity_sim: RunningSimulator, kwargs: dict[str, Any], status: int, error: str
) -> None:
    resp = token_request(identity_sim, **kwargs)
    assert resp.status_code == status, resp.text
    assert resp.json()["error"] == error and resp.json()["error_description"]
    assert resp.headers["Cache-Control"] == "no-store"
    if "auth" in kwargs and status == 401:  # §5.2: Basic authentication failed -> a Basic challenge
        assert resp.headers["WWW-Authenticate"].startswith("Basic ")


def test_rotation_keeps_the_old_key_published_for_its_grace_period(identity_sim: RunningSimulator) -> None:
    jwks_url = identity_sim.url + "/.well-known/jwks.json"
    old_token = demo_token(identity_sim.url, "admin")
    old_kid = jwt.get_unverified_header(old_token)["kid"]
    rotated = identity_sim.client.call(
        "POST", "identity/keys/rotate", json={"alg": "ES256", "grace_seconds": 600}
    )
    new_token = demo_token(identity_sim.url, "admin")
    header = jwt.get_unverified_header(new_token)
    assert header["kid"] == rotated["active"] != old_kid and header["alg"] == "ES256"
    kids = [k["kid"] for k in requests.get(jwks_url, timeout=5).json()["keys"]]
    assert kids == [rotated["active"], old_kid]
    assert (
        verify(identity_sim, old_token)["sub"] == verify(identity_sim, new_token)["sub"] == "usr_admin_root"
    )
    identity_sim.advance(601)
    kids = [k["kid"] for k in requests.get(jwks_url, timeout=5).json()["keys"]]
    assert kids == [rotated["active"]]
    with pytest.raises(jwt.PyJWKClientError):
        verify(identity_sim, old_token)
    keys = identity_sim.client.call("GET", "identity/keys")["data"]
    assert [(k["active"], k["published"]) for k in keys] == [(True, True), (False, False)]
    identity_sim.reset()  # back to the key the simulator started with
    assert [k["kid"] for k in requests.get(jwks_url, timeout=5).json()["keys"]] == [old_kid]


def test_a_fault_takes_the_jwks_endpoint_down(identity_sim: RunningSimulator) -> None:
    identity_sim.fault(operation="jwks", status=503, times=1)
    down = requests.get(identity_sim.url + "/.well-known/jwks.json", timeout=5)
    assert down.status_code == 503 and down.json()["error"] == "temporarily_unavailable"
    assert requests.get(identity_sim.url + "/.well-known/jwks.json", timeout=5).status_code == 200
    assert [e["operation"] for e in identity_sim.journal()][:2] == ["jwks", "jwks"]


def test_controls_add_identities_and_mint_tokens_and_reset_forgets_them(
    identity_sim: RunningSimulator,
) -> None:
    control = identity_sim.client
    control.call(
        "POST",
        "identity/users",
        json={"username": "eve", "password": "pw", "sub": "cus_eve", "roles": ["customer"]},
    )
    client = control.call("POST", "identity/clients", json={"roles": ["support"], "audience": "other-api"})
    assert client["client_secret"] and client["grant_types"] == ["client_credentials"]
    issued = token_request(
        identity_sim, data=FORM, auth=(client["client_id"], client["client_secret"])
    ).json()
    assert jwt.decode(issued["access_token"], options={"verify_signature": False})["aud"] == "other-api"
    form = {"grant_type": "password", "client_id": WEB_CLIENT_ID, "username": "eve", "password": "pw"}
    assert token_request(identity_sim, data=form).status_code == 200
    minted = control.call(
        "POST", "identity/tokens", json={"sub": "cus_x", "roles": ["customer"], "expires_in": 60}
    )
    claims = verify(identity_sim, minted["access_token"])
    assert (claims["sub"], claims["exp"] - claims["iat"]) == ("cus_x", 60)
    identity_sim.reset()
    assert token_request(identity_sim, data=form).json()["error"] == "invalid_grant"
    usernames = {u["username"] for u in control.call("GET", "identity/users")["data"]}
    assert usernames == {"ada", "grace", "sam", "root"}
    assert all("password" not in u for u in control.call("GET", "identity/users")["data"])


def test_an_unknown_path_answers_in_the_oauth_error_shape(identity_sim: RunningSimulator) -> None:
    resp = requests.get(identity_sim.url + "/oauth2/authorize", timeout=5)
    assert resp.status_code == 404 and resp.json()["error"] == "not_found"
