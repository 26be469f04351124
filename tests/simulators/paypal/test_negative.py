"""Negative testing (PayPal-Mock-Response) and buyer test profiles (declines without the header)."""

from __future__ import annotations

import json

import pytest

from simulators.testing import RunningSimulator, WebhookReceiver

from .support import PayPalClient, by_type, order_body, verified

CREATE_CODES = [
    "AMOUNT_MISMATCH",
    "CANNOT_BE_ZERO_OR_NEGATIVE",
    "DECIMAL_PRECISION",
    "INVALID_CURRENCY_CODE",
    "ITEM_TOTAL_MISMATCH",
    "DUPLICATE_REFERENCE_ID",
    "INSTRUMENT_DECLINED",
]
CAPTURE_CODES = [
    "ORDER_NOT_APPROVED",
    "INSTRUMENT_DECLINED",
    "ORDER_ALREADY_CAPTURED",
    "DUPLICATE_INVOICE_ID",
    "TRANSACTION_REFUSED",
    "PAYER_ACTION_REQUIRED",
    "PAYER_CANNOT_PAY",
    "MAX_NUMBER_OF_PAYMENT_ATTEMPTS_EXCEEDED",
]


def _mock(code: str) -> dict[str, str]:
    return {"PayPal-Mock-Response": json.dumps({"mock_application_codes": code})}


@pytest.mark.parametrize("code", CREATE_CODES)
def test_mocked_create_errors(sim: RunningSimulator, pp: PayPalClient, code: str) -> None:
    body = pp.create(order_body(), expect=422, headers=_mock(code))
    assert body["name"] == "UNPROCESSABLE_ENTITY" and body["details"][0]["issue"] == code
    journal = sim.client.request("GET", "journal", params={"path": "/v2/checkout/orders"}).json()["data"]
    assert journal[0]["status"] == 422


@pytest.mark.parametrize("code", CAPTURE_CODES)
def test_mocked_capture_errors_change_nothing(pp: PayPalClient, code: str) -> None:
    order = pp.create()
    pp.approve(order["id"])
    body = pp.capture(order["id"], 422, headers=_mock(code)).json()
    assert body["details"][0]["issue"] == code and body["debug_id"]
    assert pp.get(order["id"])["status"] == "APPROVED"
    assert pp.capture(order["id"], 201).json()["status"] == "COMPLETED"


def test_mock_on_other_operations_and_statuses(pp: PayPalClient) -> None:
    order = pp.create()
    missing = pp.call(
        "orders.get", "GET", f"/v2/checkout/orders/{order['id']}", 404, headers=_mock("INVALID_RESOURCE_ID")
    )
    assert missing.json()["details"][0]["issue"] == "INVALID_RESOURCE_ID"
    down = pp.call(
        "orders.get", "GET", f"/v2/checkout/orders/{order['id']}", 500, headers=_mock("INTERNAL_SERVER_ERROR")
    )
    assert down.json()["name"] == "INTERNAL_SERVER_ERROR"
    patch = [{"op": "replace", "path": "/intent", "value": "CAPTURE"}]
    patched = pp.call(
        "orders.patch",
        "PATCH",
        f"/v2/checkout/orders/{order['id']}",
        422,
        json=patch,
        headers=_mock("NOT_PATCHABLE"),
    )
    assert patched.json()["details"][0]["issue"] == "NOT_PATCHABLE"


def test_malformed_or_unknown_mock_header_is_400(pp: PayPalClient) -> None:
    for raw in (
        "INSTRUMENT_DECLINED",
        '{"mock_application_codes": 1}',
        "{}",
        '{"mock_application_codes": "NO_SUCH_CODE"}',
    ):
        body = pp.create(order_body(), expect=400, headers={"PayPal-Mock-Response": raw})
        assert body["name"] == "INVALID_REQUEST"
        assert body["details"][0]["field"] == "PayPal-Mock-Response"


@pytest.mark.parametrize(
    ("trigger", "code"),
    [
        ("CCREJECT-REFUSED", "0500"),
        ("CCREJECT-IF", "5120"),
        ("CCREJECT-SF", "9500"),
        ("CCREJECT-CVV_F", "00N7"),
    ],
)
def test_card_rejection_triggers_decline_the_capture(
    pp: PayPalClient, receiver: WebhookReceiver, trigger: str, code: str
) -> None:
    hook = pp.register_webhook(receiver.url)
    body = order_body()
    body["payment_source"] = {"card": {"name": trigger, "number": "4012888888881881", "expiry": "2030-01"}}
    order = pp.create(body, headers={"PayPal-Request-Id": f"card-{trigger}"})
    done = pp.capture(order["id"], 201).json()
    capture = done["purchase_units"][0]["payments"]["captures"][0]
    assert done["status"] == "COMPLETED" and capture["status"] == "DECLINED"
    assert capture["processor_response"] == {"avs_code": "G", "cvv_code": "P", "response_code": code}
    assert "seller_receivable_breakdown" not in capture
    assert {link["rel"] for link in capture["links"]} == {"self", "up"}
    event = verified(pp, receiver.wait_for(1)[0], hook)
    assert event["event_type"] == "PAYMENT.CAPTURE.DENIED" and event["resource"]["status"] == "DECLINED"
    assert event["summary"] == "Payment denied for $ 10.00 USD"


def test_declined_buyer_profile(pp: PayPalClient, receiver: WebhookReceiver) -> None:
    hook = pp.register_webhook(receiver.url, ("PAYMENT.CAPTURE.DENIED", "PAYMENT.CAPTURE.COMPLETED"))
    capture = pp.paid_capture(email_address="buyer-declined@example.com")
    assert capture["status"] == "DECLINED"
    event = verified(pp, receiver.wait_for(1)[0], hook)
    assert (event["event_type"], event["resource"]["id"]) == ("PAYMENT.CAPTURE.DENIED", capture["id"])
    refund = pp.call("payments.refund", "POST", f"/v2/payments/captures/{capture['id']}/refund", 422).json()
    assert refund["details"][0]["issue"] == "REFUND_NOT_ALLOWED"


def test_payer_email_at_create_selects_the_profile(pp: PayPalClient) -> None:
    body = order_body()
    body["payer"] = {"email_address": "Buyer-Declined@shop.example"}
    order = pp.create(body)
    pp.call("orders.get", "GET", f"/v2/checkout/orders/{order['id']}", 200)
    assert pp.capture(order["id"], 422).json()["details"][0]["issue"] == "ORDER_NOT_APPROVED"
    pp.approve(order["id"])
    capture = pp.capture(order["id"]).json()["purchase_units"][0]["payments"]["captures"][0]
    assert capture["status"] == "DECLINED"


def test_pending_profile_settles_through_the_control_api(
    sim: RunningSimulator, pp: PayPalClient, receiver: WebhookReceiver
) -> None:
    hook = pp.register_webhook(receiver.url, ("PAYMENT.CAPTURE.PENDING", "PAYMENT.CAPTURE.COMPLETED"))
    capture = pp.paid_capture(email_address="buyer-pending@example.com")
    assert capture["status"] == "PENDING" and capture["status_details"] == {"reason": "PENDING_REVIEW"}
    assert (
        sim.client.request("POST", f"paypal/captures/{capture['id']}/complete").json()["capture"]["status"]
        == "COMPLETED"
    )
    assert sim.client.request("POST", f"paypal/captures/{capture['id']}/deny").status_code == 409
    got = by_type(receiver.wait_for(2))
    pending = verified(pp, got["PAYMENT.CAPTURE.PENDING"], hook)
    completed = verified(pp, got["PAYMENT.CAPTURE.COMPLETED"], hook)
    assert (
        pending["event_type"] == "PAYMENT.CAPTURE.PENDING"
        and completed["event_type"] == "PAYMENT.CAPTURE.COMPLETED"
    )
    got = pp.call("payments.capture", "GET", f"/v2/payments/captures/{capture['id']}", 200).json()
    assert got["status"] == "COMPLETED" and "seller_receivable_breakdown" in got


def test_pending_capture_can_be_denied(
    sim: RunningSimulator, pp: PayPalClient, receiver: WebhookReceiver
) -> None:
    hook = pp.register_webhook(receiver.url, ("PAYMENT.CAPTURE.DENIED",))
    capture = pp.paid_capture(email_address="buyer-pending@example.com")
    assert (
        sim.client.request("POST", f"paypal/captures/{capture['id']}/deny").json()["capture"]["status"]
        == "DECLINED"
    )
    assert verified(pp, receiver.wait_for(1)[0], hook)["resource"]["status"] == "DECLINED"


def test_instrument_declined_profile_keeps_the_order_approved(pp: PayPalClient) -> None:
    order = pp.create()
    pp.approve(order["id"], email_address="buyer-instrument-declined@example.com")
    assert pp.capture(order["id"], 422).json()["details"][0]["issue"] == "INSTRUMENT_DECLINED"
    assert pp.get(order["id"])["status"] == "APPROVED"
    assert pp.capture(order["id"], 422).json()["details"][0]["issue"] == "INSTRUMENT_DECLINED"


def test_magic_values_are_listed(sim: RunningSimulator) -> None:
    magic = sim.client.request("GET", "paypal/magic").json()
    assert magic["currencies"]["JPY"] == 0 and "CCREJECT-REFUSED" in magic["card_reject_triggers"]
    assert magic["buyer_profiles"]["buyer-declined@<any domain>"] == "DECLINED"


def test_instrument_declined_links_back_to_the_approval_page(pp: PayPalClient) -> None:
    """The sandbox's 422 INSTRUMENT_DECLINED carries a ``redirect`` link to ``checkoutnow?token=<order>``, so
    the buyer can be sent back to choose another funding source (profile and mock header alike)."""
    order = pp.create()
    pp.approve(order["id"], email_address="buyer-instrument-declined@example.com")
    for headers in ({}, _mock("INSTRUMENT_DECLINED")):
        links = pp.capture(order["id"], 422, headers=headers).json()["links"]
        assert [link["rel"] for link in links] == ["information_link", "redirect"]
        assert links[1]["href"].endswith(f"/checkoutnow?token={order['id']}")
        assert links[1]["method"] == "GET"
