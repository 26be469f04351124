"""Authentication, request encoding, Stripe's 4xx bodies, kernel faults rendered as Stripe errors (and how the
official SDK's retry logic reacts to them, reference section 7), CORS, versions, and account isolation."""

from __future__ import annotations

import base64
from typing import Any

import pytest
import requests
import stripe

from simulators.stripe.exceptions import NO_API_KEY
from simulators.testing import RunningSimulator

from .conftest import KEY, OTHER_KEY, PK, Raw, error_of

CARD = {"payment_method_types[]": "card"}


def _journal_count(raw: Raw, path: str) -> int:
    return len(raw.control("GET", f"journal?path={path}&method=POST").json()["data"])


@pytest.fixture(autouse=True)
def _fast_sdk_retries(monkeypatch: Any) -> None:
    monkeypatch.setattr(stripe._http_client.HTTPClient, "INITIAL_DELAY", 0.01)  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("authorization", "message"),
    [
        (None, NO_API_KEY),
        ("Bearer sk_live_abcdefgh1234", "Invalid API Key provided: sk_live_********1234"),
        ("Bearer sk_test_", "Invalid API Key provided: sk_test_"),
        ("Bearer xk_test_abcd", "Invalid API Key provided: xk_test_****"),
        ("Bearer sk_test_a_b", "Invalid API Key provided: sk_test_a_*"),
        ("Token sk_test_abc", "Invalid API Key provided: sk_test_***"),
    ],
)
def test_bad_authentication_is_401(sim: RunningSimulator, authorization: str | None, message: str) -> None:
    headers = {"Authorization": authorization} if authorization else {}
    resp = requests.get(sim.url + "/v1/payment_intents", headers=headers, timeout=5)
    assert resp.status_code == 401 and resp.headers["Request-Id"].startswith("req_")
    err = error_of(resp)
    assert err["type"] == "invalid_request_error" and err["message"] == message
    # authentication comes before routing
    assert requests.get(sim.url + "/v1/nope", headers=headers, timeout=5).status_code == 401


def test_sdk_raises_authentication_error(sim: RunningSimulator) -> None:
    with pytest.raises(stripe.AuthenticationError) as exc:
        stripe.StripeClient("sk_live_nope", base_addresses={"api": sim.url}).v1.payment_intents.list()
    assert exc.value.http_status == 401


def test_basic_auth_and_restricted_keys_share_the_account(raw: Raw, sim: RunningSimulator) -> None:
    pi = raw.post("/v1/payment_intents", {"amount": "2000", "currency": "usd"}).json()
    basic = base64.b64encode(f"{KEY}:".encode()).decode()
    resp = requests.get(
        f"{sim.url}/v1/payment_intents/{pi['id']}", headers={"Authorization": f"Basic {basic}"}, timeout=5
    )
    assert resp.status_code == 200
    restricted = "rk_" + KEY[3:]
    assert raw.get(f"/v1/payment_intents/{pi['id']}", key=restricted).status_code == 200


def test_resource_missing_is_404(client: stripe.StripeClient, raw: Raw) -> None:
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.payment_intents.retrieve("pi_doesnotexist")
    assert (
        exc.value.http_status == 404 and exc.value.code == "resource_missing" and exc.value.param == "intent"
    )
    assert exc.value.user_message == "No such payment_intent: 'pi_doesnotexist'"
    for path, kind in (
        ("/v1/charges/ch_x", "charge"),
        ("/v1/refunds/re_x", "refund"),
        ("/v1/events/evt_x", "event"),
        ("/v1/disputes/dp_x", "dispute"),
    ):
        resp = raw.get(path)
        assert (
            resp.status_code == 404
            and error_of(resp)["message"] == f"No such {kind}: '{path.rsplit('/', 1)[1]}'"
        )
    resp = raw.post("/v1/payment_intents/pi_x/confirm", {"payment_method": "pm_card_visa"})
    assert (
        resp.status_code == 404
        and error_of(resp)["doc_url"] == "https://stripe.com/docs/error-codes/resource-missing"
    )
    unknown = raw.get("/v1/payment_intent")
    assert unknown.status_code == 404 and error_of(unknown)["message"].startswith(
        "Unrecognized request URL (GET: "
    )


@pytest.mark.parametrize(
    ("data", "code", "param", "message"),
    [
        ({"currency": "usd"}, "parameter_missing", "amount", "Missing required param: amount."),
        ({"amount": "2000"}, "parameter_missing", "currency", "Missing required param: currency."),
        ({"amount": "2000", "currency": "usd", "foo": "bar"}, "parameter_unknown", "foo",
         "Received unknown parameter: foo"),
        ({"amount": "2000", "currency": "usd", "payment_method_data[type]": "card",
          "payment_method_data[card][x]": "1"},
         "parameter_unknown", "payment_method_data[card][x]", "Received unknown parameter: "
         "payment_method_data[card][x]"),
        ({"amount": "2000", "currency": "usd", "shipping[name]": "J", "shipping[address][planet]": "Mars"},
         "parameter_unknown", "shipping[address][planet]", "Received unknown parameter: "
         "shipping[address][planet]"),
        ({"amount": "abc", "currency": "usd"}, "parameter_invalid_integer", "amount", "Invalid integer: abc"),
        ({"amount": "", "currency": "usd"}, "parameter_invalid_empty", "amount", None),
    ],
)  # fmt: skip
def test_parameter_errors(
    client: stripe.StripeClient, raw: Raw, data: dict[str, str], code: str, param: str, message: str | None
) -> None:
    resp = raw.post("/v1/payment_intents", data)
    err = error_of(resp)
    assert resp.status_code == 400 and err["type"] == "invalid_request_error"
    assert err["code"] == code and err["param"] == param
    assert err["doc_url"] == "https://stripe.com/docs/error-codes/" + code.replace("_", "-")
    if message is not None:
        assert err["message"] == message
    assert raw.get("/v1/payment_intents").json()["data"] == []


@pytest.mark.parametrize(
    ("data", "code", "param"),
    [
        # documented sub-objects are parameters, checked as the spec says; the account takes cards only
        ({"type": "sepa_debit", "sepa_debit": {"iban": "DE89370400440532013000"}}, None,
         "payment_method_data[type]"),
        ({"type": "ideal", "ideal": {"bank": "ing"}}, None, "payment_method_data[type]"),
        ({"type": "us_bank_account", "us_bank_account": {"account_holder_type": "individual",
          "routing_number": "110000000", "account_number": "000123456789"}},
         None, "payment_method_data[type]"),
        ({"type": "klarna", "klarna": {"dob": {"day": 1, "month": 2, "year": 1990}}}, None,
         "payment_method_data[type]"),
        ({"type": "p24", "p24": {"bank": "a_bank_newer_than_the_spec"}}, None, "payment_method_data[type]"),
        ({"type": "acss_debit", "acss_debit": {"account_number": "00123456", "transit_number": "11000"}},
         "parameter_missing", "payment_method_data[acss_debit][institution_number]"),
        ({"type": "klarna", "klarna": {"dob": {"day": 1}}}, "parameter_missing",
         "payment_method_data[klarna][dob][month]"),
        ({"type": "ideal", "ideal": {"bank": "bank_of_mars"}}, None, "payment_method_data[ideal][bank]"),
        ({"type": "sofort", "sofort": {"country": "FR"}}, None, "payment_method_data[sofort][country]"),
        ({"type": "ideal", "ideal": {"iban": "x"}}, "parameter_unknown", "payment_method_data[ideal][iban]"),
        ({"sepa_debit": {"iban": "DE89370400440532013000"}}, "parameter_missing",
         "payment_method_data[type]"),
    ],
)  # fmt: skip
def test_payment_method_data_sub_objects(
    client: stripe.StripeClient, data: dict[str, Any], code: str | None, param: str
) -> None:
    """``payment_method_data[<type>][...]`` takes what Stripe's spec documents for each type (required
    fields, enums); a valid non-card one reaches the account's check of activated types."""
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.payment_intents.create(
            params={"amount": 2000, "currency": "eur", "payment_method_data": data}  # type: ignore[typeddict-item]
        )
    assert exc.value.http_status == 400 and exc.value.param == param and exc.value.code == code
    if param == "payment_method_data[type]" and code is None:
        assert f'The payment method type "{data["type"]}" is invalid.' in str(exc.value.user_message)


def test_sdk_parameter_unknown(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.payment_intents.create(params={"amount": 2000, "currency": "usd", "colour": "red"})  # type: ignore[typeddict-unknown-key]
    assert exc.value.code == "parameter_unknown" and exc.value.param == "colour"


def test_form_encoding_variants(raw: Raw) -> None:
    pairs = [
        ("amount", "2000"),
        ("currency", "usd"),
        ("payment_method_types[0]", "card"),
        ("metadata[order_id]", "o-1"),
        ("metadata[cart]", "c-9"),
        ("expand[]", "latest_charge"),
        ("expand[]", "payment_method"),
        ("confirm", "true"),
        ("payment_method", "pm_card_visa"),
    ]
    body = raw.post("/v1/payment_intents", pairs).json()
    assert body["payment_method_types"] == ["card"] and body["metadata"] == {"order_id": "o-1", "cart": "c-9"}
    assert (
        body["latest_charge"]["object"] == "charge" and body["payment_method"]["object"] == "payment_method"
    )
    brackets = raw.post(
        "/v1/payment_intents", [("amount", "2000"), ("currency", "usd"), ("payment_method_types[]", "card")]
    ).json()
    assert brackets["payment_method_types"] == ["card"]
    got = raw.get(f"/v1/payment_intents/{body['id']}", [("expand[0]", "latest_charge")]).json()
    assert got["latest_charge"]["id"] == body["latest_charge"]["id"]
    listed = raw.get("/v1/payment_intents", [("expand[]", "data.latest_charge"), ("limit", "2")]).json()
    assert [p["latest_charge"] and p["latest_charge"]["object"] for p in listed["data"]] == [None, "charge"]
    bad = error_of(raw.get(f"/v1/payment_intents/{body['id']}", {"expand[]": "amount"}))
    assert bad["message"] == "This property cannot be expanded (amount)."
    as_json = requests.post(
        raw.url + "/v1/payment_intents",
        json={"amount": 2000, "currency": "usd"},
        headers={"Authorization": f"Bearer {KEY}"},
        timeout=5,
    )
    assert as_json.status_code == 400 and "Content-Type" in error_of(as_json)["message"]


def test_parameters_come_from_the_query_string_and_the_body_whatever_the_method(raw: Raw) -> None:
    """Stripe reads one bucket of parameters (stripe/stripe-mock#100): a GET's form body counts like its query
    string (stripe/stripe-node#230: ``curl -X GET -d limit=1`` lists one), a POST's query string counts too,
    and the body wins a name sent both ways (Rack's ``GET.merge(POST)``)."""
    for amount in ("100", "200", "300"):
        raw.post("/v1/payment_intents", {"amount": amount, "currency": "usd"})
    auth = raw.headers(None, None)
    listed = requests.request(
        "GET", raw.url + "/v1/payment_intents", data={"limit": "1"}, headers=auth, timeout=10
    )
    assert listed.status_code == 200 and len(listed.json()["data"]) == 1 and listed.json()["has_more"]
    both = requests.request(
        "GET", raw.url + "/v1/payment_intents?limit=3", data={"limit": "2"}, headers=auth, timeout=10
    )
    assert len(both.json()["data"]) == 2
    unknown = requests.request(
        "GET", raw.url + "/v1/payment_intents", data={"colour": "red"}, headers=auth, timeout=10
    )
    assert error_of(unknown)["code"] == "parameter_unknown" and error_of(unknown)["param"] == "colour"
    not_a_form = requests.request(
        "GET", raw.url + "/v1/payment_intents", json={"colour": "red"}, headers=auth, timeout=10
    )
    assert not_a_form.status_code == 200  # only a form-encoded body is parameters
    keyed = {"Idempotency-Key": "query-and-body"}
    created = raw.post("/v1/payment_intents?currency=usd&amount=999", {"amount": "450"}, headers=keyed)
    assert created.json()["currency"] == "usd" and created.json()["amount"] == 450
    other = raw.post("/v1/payment_intents?currency=eur", {"amount": "450"}, headers=keyed)
    assert error_of(other)["type"] == "idempotency_error"  # the query string is part of the parameters


def test_any_stripe_version_is_accepted_and_2023_10_16_is_rendered(raw: Raw) -> None:
    for version in ("2026-10-28.endive", "2020-08-27", "2023-10-16"):
        resp = raw.post(
            "/v1/payment_intents", {"amount": "2000", "currency": "usd"}, headers={"Stripe-Version": version}
        )
        assert resp.status_code == 200 and resp.headers["Stripe-Version"] == "2023-10-16"
        assert "latest_charge" in resp.json() and "charges" not in resp.json()


def test_cors_preflight_needs_no_key(sim: RunningSimulator) -> None:
    resp = requests.options(
        sim.url + "/v1/payment_intents/pi_x/confirm",
        timeout=5,
        headers={"Origin": "http://localhost:3000", "Access-Control-Request-Method": "POST"},
    )
    assert resp.status_code == 200 and resp.headers["Access-Control-Allow-Origin"] == "*"
    assert "Authorization" in resp.headers["Access-Control-Allow-Headers"]


def test_rate_limit_fault_is_stripe_429_and_not_retried_by_the_sdk(sim: RunningSimulator, raw: Raw) -> None:
    raw.control(
        "POST",
        "faults",
        {"match": {"operation": "create_payment_intent"}, "action": {"type": "rate_limit", "retry_after": 2}},
    )
    resp = raw.post("/v1/payment_intents", {"amount": "2000", "currency": "usd"})
    err = error_of(resp)
    assert resp.status_code == 429 and resp.headers["Retry-After"] == "2"
    assert err["type"] == "invalid_request_error" and err["code"] == "rate_limit"
    assert err["message"].startswith("Request rate limit exceeded")
    assert "Stripe-Should-Retry" not in resp.headers
    client = stripe.StripeClient(KEY, base_addresses={"api": sim.url}, max_network_retries=2)
    before = _journal_count(raw, "/v1/payment_intents")
    with pytest.raises(stripe.RateLimitError):
        client.v1.payment_intents.create(params={"amount": 2000, "currency": "usd"})
    assert _journal_count(raw, "/v1/payment_intents") - before == 1  # reference §7: a 429 is not retried


def test_500_says_do_not_retry_and_503_is_retried(sim: RunningSimulator, raw: Raw) -> None:
    client = stripe.StripeClient(KEY, base_addresses={"api": sim.url}, max_network_retries=2)
    rule = raw.control(
        "POST",
        "faults",
        {"match": {"path": "/v1/payment_intents"}, "action": {"type": "status", "status": 500}},
    ).json()
    resp = raw.post("/v1/payment_intents", {"amount": "2000", "currency": "usd"})
    assert resp.status_code == 500 and resp.headers["Stripe-Should-Retry"] == "false"
    assert error_of(resp)["type"] == "api_error"
    before = _journal_count(raw, "/v1/payment_intents")
    with pytest.raises(stripe.APIError):
        client.v1.payment_intents.create(params={"amount": 2000, "currency": "usd"})
    assert _journal_count(raw, "/v1/payment_intents") - before == 1
    raw.control("DELETE", f"faults/{rule['id']}")
    raw.control(
        "POST",
        "faults",
        {"match": {"path": "/v1/payment_intents"}, "action": {"type": "status", "status": 503}, "times": 2},
    )
    before = _journal_count(raw, "/v1/payment_intents")
    pi = client.v1.payment_intents.create(params={"amount": 2000, "currency": "usd"})
    assert pi.status == "requires_payment_method"
    assert _journal_count(raw, "/v1/payment_intents") - before == 3  # two 503s retried, then success
    raw.control(
        "POST",
        "faults",
        {"match": {"path": "/v1/payment_intents"}, "action": {"type": "status", "status": 503}, "times": 3},
    )
    with pytest.raises(stripe.APIError) as exc:
        client.v1.payment_intents.create(params={"amount": 2000, "currency": "usd"})
    assert exc.value.http_status == 503


def test_lock_timeout_409_and_explicit_should_retry(sim: RunningSimulator, raw: Raw) -> None:
    client = stripe.StripeClient(KEY, base_addresses={"api": sim.url}, max_network_retries=2)
    raw.control(
        "POST",
        "faults",
        {"match": {"path": "/v1/payment_intents"}, "action": {"type": "status", "status": 409}, "times": 1},
    )
    resp = raw.post("/v1/payment_intents", {"amount": "2000", "currency": "usd"})
    assert resp.status_code == 409 and resp.headers["Stripe-Should-Retry"] == "true"
    assert error_of(resp)["code"] == "lock_timeout"
    raw.control(
        "POST",
        "faults",
        {
            "match": {"path": "/v1/payment_intents"},
            "action": {"type": "status", "status": 429, "headers": {"Stripe-Should-Retry": "true"}},
            "times": 1,
        },
    )
    before = _journal_count(raw, "/v1/payment_intents")
    assert client.v1.payment_intents.create(params={"amount": 2000, "currency": "usd"}).id.startswith("pi_")
    assert _journal_count(raw, "/v1/payment_intents") - before == 2  # the header decides (reference §7)


def test_accounts_are_isolated(sim: RunningSimulator, raw: Raw) -> None:
    mine = raw.post(
        "/v1/payment_intents",
        {"amount": "2000", "currency": "usd", "confirm": "true", "payment_method": "pm_card_visa", **CARD},
    ).json()
    other = Raw(sim.url, OTHER_KEY)
    resp = other.get(f"/v1/payment_intents/{mine['id']}")
    assert resp.status_code == 404 and error_of(resp)["code"] == "resource_missing"
    assert other.get(f"/v1/charges/{mine['latest_charge']}").status_code == 404
    assert other.get("/v1/payment_intents").json()["data"] == []
    assert other.get("/v1/events").json()["data"] == []
    assert other.post("/v1/refunds", {"charge": mine["latest_charge"]}).status_code == 400
    other_pk = "pk_" + OTHER_KEY[3:]
    assert (
        other.get(
            f"/v1/payment_intents/{mine['id']}", {"client_secret": mine["client_secret"]}, key=other_pk
        ).status_code
        == 404
    )
    assert (
        raw.get(
            f"/v1/payment_intents/{mine['id']}", {"client_secret": mine["client_secret"]}, key=PK
        ).status_code
        == 200
    )
    accounts = {a["account"]: a["counts"] for a in raw.control("GET", "stripe/accounts").json()["data"]}
    from simulators.stripe.auth import account_for_key

    assert accounts[account_for_key(KEY)]["payment_intents"] == 1
    assert account_for_key(KEY) == account_for_key(PK) != account_for_key(OTHER_KEY)
    journal = raw.control("GET", "journal?limit=5").json()["data"]
    assert all(KEY[8:] not in (e["account"] or "") for e in journal)  # the label is not the key
