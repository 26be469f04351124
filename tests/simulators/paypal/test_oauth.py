"""OAuth 2.0 client credentials, token expiry on the simulated clock, and apps as separate accounts."""

from __future__ import annotations

import re
from collections.abc import Callable

import requests

from simulators.testing import RunningSimulator

from .spec import check_response
from .support import CLIENT_ID, CLIENT_SECRET, PayPalClient, order_body


def _token(base: str, auth: tuple[str, str] | None, data: dict[str, str] | None) -> requests.Response:
    return requests.post(base + "/v1/oauth2/token", auth=auth, data=data, timeout=10)


def test_token_reply_has_paypals_shape(sim: RunningSimulator) -> None:
    resp = _token(sim.url, (CLIENT_ID, CLIENT_SECRET), {"grant_type": "client_credentials"})
    assert resp.status_code == 200
    body = resp.json()
    assert list(body) == ["scope", "access_token", "token_type", "app_id", "expires_in", "nonce"]
    assert body["token_type"] == "Bearer" and body["expires_in"] == 32400
    assert re.fullmatch(r"APP-[0-9A-Z]{17}", body["app_id"])
    assert re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", body["nonce"])
    assert "https://uri.paypal.com/services/payments/payment/authcapture" in body["scope"].split()
    assert re.fullmatch(r"\d{13}|[0-9a-f]{13}", resp.headers["Paypal-Debug-Id"])


def test_bad_credentials_are_invalid_client(sim: RunningSimulator) -> None:
    expected = {"error": "invalid_client", "error_description": "Client Authentication failed"}
    for auth in ((CLIENT_ID, "wrong"), ("nobody", CLIENT_SECRET), None):
        resp = _token(sim.url, auth, {"grant_type": "client_credentials"})
        assert resp.status_code == 401 and resp.json() == expected


def test_missing_or_unsupported_grant_type_is_400(sim: RunningSimulator) -> None:
    missing = _token(sim.url, (CLIENT_ID, CLIENT_SECRET), None)
    assert missing.status_code == 400
    assert missing.json() == {"error": "unsupported_grant_type", "error_description": "Grant Type is NULL"}
    wrong = _token(sim.url, (CLIENT_ID, CLIENT_SECRET), {"grant_type": "password"})
    assert wrong.status_code == 400 and wrong.json()["error"] == "unsupported_grant_type"


def test_unknown_token_and_missing_auth(pp: PayPalClient) -> None:
    bad = requests.get(
        pp.base + "/v2/checkout/orders/X", headers={"Authorization": "Bearer nope"}, timeout=10
    )
    assert bad.status_code == 401
    assert bad.json() == {"error": "invalid_token", "error_description": "Access Token not found in cache"}
    check_response("orders.get", bad)
    none = requests.post(pp.base + "/v2/checkout/orders", json=order_body(), timeout=10)
    assert none.status_code == 401 and none.json()["name"] == "AUTHENTICATION_FAILURE"
    assert none.json()["debug_id"] == none.headers["Paypal-Debug-Id"]
    check_response("orders.create", none)
    basic = requests.get(pp.base + "/v1/notifications/webhooks", auth=(CLIENT_ID, CLIENT_SECRET), timeout=10)
    assert basic.status_code == 401 and basic.json()["name"] == "AUTHENTICATION_FAILURE"
    check_response("webhooks.list", basic)


def test_tokens_expire_on_the_simulated_clock(sim: RunningSimulator, pp: PayPalClient) -> None:
    order = pp.create()
    sim.client.request("POST", "clock", json={"advance": 32399})
    assert pp.get(order["id"])["id"] == order["id"]
    sim.client.request("POST", "clock", json={"advance": 1})
    resp = pp.session.get(f"{pp.base}/v2/checkout/orders/{order['id']}", timeout=10)
    assert resp.status_code == 401 and resp.json()["error"] == "invalid_token"
    assert PayPalClient(sim.url).get(order["id"])["status"] == "CREATED"  # a new token works


def test_each_app_is_its_own_account(sim: RunningSimulator, pp: PayPalClient) -> None:
    created = sim.client.request(
        "POST", "paypal/apps", json={"client_id": "other-app", "client_secret": "s3cret"}
    )
    assert created.status_code == 201 and created.json()["app_id"].startswith("APP-")
    assert sim.client.request("POST", "paypal/apps", json={"client_id": "other-app"}).status_code == 409
    other = PayPalClient(sim.url, "other-app", "s3cret")
    mine = pp.create()
    theirs = other.create()
    assert other.call("orders.get", "GET", f"/v2/checkout/orders/{mine['id']}").status_code == 404
    assert (
        pp.get(mine["id"])["purchase_units"][0]["payee"]
        != other.get(theirs["id"])["purchase_units"][0]["payee"]
    )
    other.register_webhook("http://127.0.0.1:9/other")
    assert pp.call("webhooks.list", "GET", "/v1/notifications/webhooks", 200).json() == {"webhooks": []}
    journal = sim.client.request("GET", "journal", params={"path": "/v2/checkout/orders"}).json()["data"]
    assert {e["account"] for e in journal} == {CLIENT_ID, "other-app"}
    tokens = sim.client.request("GET", "journal", params={"operation": "oauth_token"}).json()["data"]
    assert {e["account"] for e in tokens} == {CLIENT_ID, "other-app"}
    apps = {a["client_id"]: a for a in sim.client.request("GET", "paypal/apps").json()["data"]}
    assert apps["other-app"]["live_tokens"] == 1
    assert sim.client.request("DELETE", "paypal/apps/other-app").json()["tokens_revoked"] == 1
    assert other.session.get(f"{other.base}/v2/checkout/orders/{theirs['id']}", timeout=10).status_code == 401
    assert _token(sim.url, ("other-app", "s3cret"), {"grant_type": "client_credentials"}).status_code == 401


def test_default_app_comes_from_the_env(make_sim: Callable[..., RunningSimulator]) -> None:
    custom = make_sim(env={"PAYPAL_CLIENT_ID": "svc-id", "PAYPAL_CLIENT_SECRET": "svc-secret"})
    assert (
        _token(custom.url, ("svc-id", "svc-secret"), {"grant_type": "client_credentials"}).status_code == 200
    )
    assert (
        _token(custom.url, (CLIENT_ID, CLIENT_SECRET), {"grant_type": "client_credentials"}).status_code
        == 401
    )
    assert custom.runtime.provider.health()["paypal"]["apps"] == ["svc-id"]
