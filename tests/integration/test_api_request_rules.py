"""Request rules a new user meets first: totals no provider can charge, a provider's refusal of the
request's content, PayPal's negative-testing header, and what OPTIONS advertises."""

from __future__ import annotations

from flask.testing import FlaskClient

from reference_service.service_layer.errors import ProviderError
from tests.fakes import FakePaymentGateway


def order(quantity: int, unit_amount: int, currency: str = "USD") -> dict[str, object]:
    return {
        "customer_ref": "cus_1",
        "currency": currency,
        "items": [{"sku": "A", "name": "a", "quantity": quantity, "unit_amount": unit_amount}],
    }


def test_a_total_no_provider_can_charge_is_refused_at_creation_and_stores_nothing(
    client: FlaskClient,
) -> None:
    huge = client.post("/api/v1/orders", json=order(8_189, 42_644))  # ~3.5 million USD
    assert huge.status_code == 422 and huge.json["type"] == "/problems/amount-out-of-range", huge.json
    assert huge.json["errors"][0]["field"] == "items" and "99999999" in huge.json["detail"]
    tiny = client.post("/api/v1/orders", json=order(1, 49))  # below Stripe's $0.50
    assert tiny.status_code == 422 and tiny.json["type"] == "/problems/amount-out-of-range", tiny.json
    assert client.get("/api/v1/orders").json["data"] == []
    assert client.post("/api/v1/orders", json=order(1, 50)).status_code == 201


def test_a_provider_refusing_the_request_is_a_422_with_its_reason_not_a_502(
    client: FlaskClient, fake_stripe: FakePaymentGateway
) -> None:
    fake_stripe.will(
        "create_payment",
        ProviderError(
            "stripe",
            "PAYMENT_REQUEST_REJECTED",
            "Amount must be no more than $999,999.99",
            status=422,
            provider_code="amount_too_large",
        ),
    )
    order_id = client.post("/api/v1/orders", json=order(1, 1999)).json["id"]
    refused = client.post(f"/api/v1/orders/{order_id}/payments", json={"provider": "stripe"})
    assert refused.status_code == 422, refused.json
    assert refused.json["type"] == "/problems/payment-request-rejected"
    assert (refused.json["provider"], refused.json["provider_code"]) == ("stripe", "amount_too_large")
    assert refused.json["detail"] == "Amount must be no more than $999,999.99"


def test_a_malformed_paypal_mock_response_header_is_the_callers_error(client: FlaskClient) -> None:
    order_id = client.post("/api/v1/orders", json=order(1, 1999)).json["id"]
    for header in ("not json", '{"mock_application_codes": 7}', '["INSTRUMENT_DECLINED"]'):
        resp = client.post(
            f"/api/v1/orders/{order_id}/payments/pay_x/capture", headers={"PayPal-Mock-Response": header}
        )
        assert 400 <= resp.status_code < 500 and resp.status_code != 404, (header, resp.json)
        assert any(e["field"] == "PayPal-Mock-Response" for e in resp.json["errors"]), resp.json


def test_options_advertises_only_the_methods_a_path_serves(client: FlaskClient) -> None:
    for path in ("/api/v1/notifications/email", "/api/v1/notifications/sms"):
        allowed = {m.strip() for m in client.options(path).headers["Allow"].split(",")}
        assert allowed == {"OPTIONS", "POST"}, (path, allowed)
        assert client.get(path).status_code == 405
    assert client.get("/api/v1/notifications/ntf_unknown").status_code == 404


def test_abusive_bodies_are_refused_cleanly(client: FlaskClient) -> None:
    json_headers = {"Content-Type": "application/json"}
    for body in ("[" * 100_000 + "]" * 100_000, '{"a":' * 50_000 + "1" + "}" * 50_000):
        resp = client.post("/api/v1/orders", data=body, headers=json_headers)
        assert resp.status_code == 400 and resp.json["type"] == "/problems/malformed-request", resp.json
        assert "nested too deeply" in resp.json["detail"]
    stripe_hook = client.post("/api/v1/webhooks/stripe", data="[" * 100_000, headers=json_headers)
    assert stripe_hook.status_code == 400  # no signature, so refused before parsing; never a 500
    huge = client.post("/api/v1/orders", data=b"x" * (20 * 1024 * 1024), headers=json_headers)
    assert huge.status_code == 413 and huge.json["type"] == "/problems/payload-too-large"
    assert client.get("/api/v1/orders").json["data"] == []
