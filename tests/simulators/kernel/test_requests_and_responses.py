"""SimRequest helpers, the form unflattener, response helpers and the Request-Id hook."""

from __future__ import annotations

import base64

import pytest
from flask import Flask
from werkzeug.test import Client

from simulators.kernel import ProviderError, SimRequest, ThreadedSimulator
from simulators.kernel.responses import FormError, error_response, json_response, unflatten_form

from .conftest import ALICE


def test_sim_request_reads_auth_headers_query_form_and_json() -> None:
    basic = "Basic " + base64.b64encode(b"AC123:token").decode()
    req = SimRequest.build(
        "POST",
        "/x",
        "a=1&a=2&b=",
        [("Authorization", basic), ("Content-Type", "application/x-www-form-urlencoded"), ("X-Y", "z")],
        b"To=%2B1555&Body=hi",
    )
    assert req.basic_auth() == ("AC123", "token")
    assert req.bearer_token() is None
    assert req.header("x-y") == "z" and req.header("missing") is None
    assert req.query == {"a": ["1", "2"], "b": [""]}
    assert req.form() == {"To": ["+1555"], "Body": ["hi"]}
    assert ("X-Y", "z") in req.headers
    assert req.json() is None
    jreq = SimRequest.build("POST", "/x", headers=[("Authorization", "Bearer tok")], body=b'{"a": 1}')
    assert jreq.bearer_token() == "tok" and jreq.json() == {"a": 1} and jreq.basic_auth() is None
    assert SimRequest.build("GET", "/", headers=[("Authorization", "Basic !!!")]).basic_auth() is None


def test_unflatten_form_handles_stripe_bracket_encoding() -> None:
    pairs = [
        ("amount", "2000"),
        ("metadata[order_id]", "o1"),
        ("metadata[attempt]", "2"),
        ("expand[]", "latest_charge"),
        ("expand[]", "customer"),
        ("items[0][price]", "p1"),
        ("items[1][price]", "p2"),
        ("payment_method_types[0]", "card"),
    ]
    assert unflatten_form(pairs) == {
        "amount": "2000",
        "metadata": {"order_id": "o1", "attempt": "2"},
        "expand": ["latest_charge", "customer"],
        "items": [{"price": "p1"}, {"price": "p2"}],
        "payment_method_types": ["card"],
    }
    for bad in ([("a[b", "1")], [("a", "1"), ("a[b]", "2")], [("a[]", "1"), ("a[b]", "2")], [("[x]", "1")]):
        with pytest.raises(FormError):
            unflatten_form(bad)


def test_response_helpers() -> None:
    app = Flask("t")
    with app.app_context():
        resp = json_response({"b": 1, "a": 2}, 201, {"X-A": "1"})
        assert (
            resp.status_code == 201 and resp.get_data() == b'{"b": 1, "a": 2}' and resp.headers["X-A"] == "1"
        )
        err = error_response(ProviderError("boom", 402))
        assert err.status_code == 402 and err.get_json() == {"error": {"message": "boom", "status": 402}}


def test_request_id_header_is_added_once_and_recorded(client: Client) -> None:
    resp = client.get("/v1/widgets", headers=ALICE)
    rid = resp.headers.getlist("Request-Id")
    assert len(rid) == 1
    assert client.get("/_sim/journal").get_json()["data"][0]["request_id"] == rid[0]
    assert "Request-Id" not in client.get("/_sim/health").headers


def test_threaded_simulator_accepts_a_plugin_path() -> None:
    with ThreadedSimulator("tests.simulators.kernel.example_provider:WidgetsProvider", env={"K": "v"}) as sim:
        assert sim.provider.name == "widgets" and sim.provider.env == {"K": "v"}
