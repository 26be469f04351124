"""The service as a resource server of real issuers: the identity simulator (discovery, JWKS caching, a
refetch on an unknown ``kid`` after rotation, cached keys through a JWKS outage) and Cognito user pools
through moto (issuer and JWKS URL configured apart, ``cognito:groups`` as roles, ``client_id`` instead of
``aud``). In-process service on SQLite; the issuers are the lab's simulators."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3
import pytest
from flask import Flask
from flask.testing import FlaskClient

from reference_service.bootstrap import bootstrap
from reference_service.config import load_settings
from reference_service.entrypoints.app import create_app
from simulators.identity.wiring import demo_token
from simulators.testing import RunningSimulator

pytestmark = pytest.mark.security
EVENTS = "/api/v1/admin/events"


@pytest.fixture
def service(tmp_path: Path) -> Callable[..., Flask]:
    """``service(**settings)``: the service in-process trusting the issuer the settings name."""
    built: list[Any] = []

    def make(**overrides: Any) -> Flask:
        settings = load_settings(
            database_url=f"sqlite:///{tmp_path / f'svc{len(built)}.db'}",
            outbox_relay_enabled=False,
            **overrides,
        )
        container = bootstrap(settings)
        built.append(container)
        return create_app(settings, container, start_relay=False)

    yield make  # type: ignore[misc]
    for container in built:
        container.close()


def get(app: Flask, path: str, token: str) -> Any:
    client: FlaskClient = app.test_client()
    return client.get(path, headers={"Authorization": f"Bearer {token}"})


def jwks_fetches(sim: RunningSimulator) -> int:
    return len([e for e in sim.journal() if e["operation"] == "jwks"])


def test_the_issuer_is_found_by_discovery_and_its_keys_fetched_once(
    identity_sim: RunningSimulator, service: Callable[..., Flask]
) -> None:
    app = service(auth_issuer=identity_sim.url)
    admin, customer = demo_token(identity_sim.url, "admin"), demo_token(identity_sim.url, "customer")
    for _ in range(20):
        assert get(app, EVENTS, admin).status_code == 200
    forbidden = get(app, EVENTS, customer)
    assert forbidden.status_code == 403 and forbidden.json["permission"] == "events:read"
    assert 'error="insufficient_scope"' in forbidden.headers["WWW-Authenticate"]
    assert jwks_fetches(identity_sim) == 1
    operations = [e["operation"] for e in identity_sim.journal()]
    assert operations.count("discovery") == 1


def test_a_rotated_key_is_fetched_once_when_its_first_token_arrives(
    identity_sim: RunningSimulator, service: Callable[..., Flask]
) -> None:
    app = service(auth_issuer=identity_sim.url, auth_jwks_refresh_cooldown_seconds=0)
    assert get(app, EVENTS, demo_token(identity_sim.url, "admin")).status_code == 200
    identity_sim.client.call("POST", "identity/keys/rotate", json={"alg": "ES256"})
    rotated = demo_token(identity_sim.url, "admin")
    assert get(app, EVENTS, rotated).status_code == 200
    assert get(app, EVENTS, rotated).status_code == 200
    assert jwks_fetches(identity_sim) == 2  # the first fetch, then one for the unknown kid


def test_cached_keys_keep_working_while_the_jwks_endpoint_is_down(
    identity_sim: RunningSimulator, service: Callable[..., Flask]
) -> None:
    app = service(auth_issuer=identity_sim.url, auth_jwks_cache_seconds=0.2)
    token = demo_token(identity_sim.url, "admin")
    assert get(app, EVENTS, token).status_code == 200
    identity_sim.fault(operation="jwks", status=503)
    time.sleep(0.3)  # the cached set expires; the refetch fails; the last keys fetched still verify
    another = demo_token(identity_sim.url, "admin")  # not yet verified: its key must be looked up
    assert get(app, EVENTS, another).status_code == 200
    metrics = app.test_client().get("/metrics").get_data(as_text=True)
    assert "auth_jwks_stale_total 1.0" in metrics
    fresh = service(auth_issuer=identity_sim.url)  # never fetched: nothing to fall back on
    unavailable = get(fresh, EVENTS, token)
    assert (
        unavailable.status_code == 503 and unavailable.json["type"] == "/problems/authentication-unavailable"
    )
    assert unavailable.headers["Retry-After"] == "5"


def test_a_cognito_access_token_from_moto_is_accepted(
    aws_sim: RunningSimulator, service: Callable[..., Flask]
) -> None:
    """Cognito through moto: groups become roles; the issuer names AWS's host, so the JWKS URL is set apart;
    access tokens carry client_id, not aud."""
    idp = boto3.client("cognito-idp", endpoint_url=aws_sim.url, region_name="us-east-1",
                       aws_access_key_id="testing", aws_secret_access_key="testing")  # fmt: skip
    pool = idp.create_user_pool(PoolName="genai-demo")["UserPool"]["Id"]
    client_id = idp.create_user_pool_client(
        UserPoolId=pool,
        ClientName="web",
        ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
    )["UserPoolClient"]["ClientId"]
    idp.create_group(UserPoolId=pool, GroupName="admin")
    idp.admin_create_user(UserPoolId=pool, Username="root")
    idp.admin_set_user_password(UserPoolId=pool, Username="root", Password="Lab-passw0rd!", Permanent=True)
    idp.admin_add_user_to_group(UserPoolId=pool, Username="root", GroupName="admin")
    auth = idp.initiate_auth(
        ClientId=client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "root", "PASSWORD": "Lab-passw0rd!"},
    )
    token = auth["AuthenticationResult"]["AccessToken"]
    app = service(
        auth_issuer=f"https://cognito-idp.us-east-1.amazonaws.com/{pool}",
        auth_jwks_url=f"{aws_sim.url}/{pool}/.well-known/jwks.json",
        auth_audience="",
        auth_client_ids=client_id,
        auth_roles_claim="cognito:groups",
        auth_algorithms="RS256",
    )
    assert get(app, EVENTS, token).status_code == 200
    other = service(
        auth_issuer=f"https://cognito-idp.us-east-1.amazonaws.com/{pool}",
        auth_jwks_url=f"{aws_sim.url}/{pool}/.well-known/jwks.json",
        auth_audience="",
        auth_client_ids="another-client",
        auth_roles_claim="cognito:groups",
    )
    refused = get(other, EVENTS, token)
    assert refused.status_code == 401 and 'error="invalid_token"' in refused.headers["WWW-Authenticate"]
