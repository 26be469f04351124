"""Refunds (full, partial, by charge or PaymentIntent, and Stripe's refusals), charge updates, and disputes
opened by the control API, updated with evidence, accepted and decided."""

from __future__ import annotations

from typing import Any

import pytest
import stripe

from .conftest import Raw, error_of


def _paid(client: stripe.StripeClient, amount: int = 5000, pm: str = "pm_card_visa") -> Any:
    return client.v1.payment_intents.create(
        params={
            "amount": amount,
            "currency": "usd",
            "confirm": True,
            "payment_method": pm,
            "payment_method_types": ["card"],
        }
    )


def _events(raw: Raw, type_: str) -> list[dict[str, Any]]:
    data: list[dict[str, Any]] = raw.get("/v1/events", {"type": type_, "limit": 100}).json()["data"]
    return data


def test_partial_then_full_refund(client: stripe.StripeClient, raw: Raw) -> None:
    pi = _paid(client)
    first = client.v1.refunds.create(
        params={
            "payment_intent": pi.id,
            "amount": 2000,
            "reason": "requested_by_customer",
            "metadata": {"ticket": "T-1"},
        }
    )
    assert first.id.startswith("re_") and first.status == "succeeded" and first.amount == 2000
    assert (
        first.charge == pi.latest_charge
        and first.payment_intent == pi.id
        and first.reason == "requested_by_customer"
    )
    charge = client.v1.charges.retrieve(pi.latest_charge)
    assert charge.amount_refunded == 2000 and charge.refunded is False
    second = client.v1.refunds.create(params={"charge": pi.latest_charge})
    assert second.amount == 3000
    charge = client.v1.charges.retrieve(pi.latest_charge, params={"expand": ["refunds"]})
    assert charge.amount_refunded == 5000 and charge.refunded is True
    assert [r.id for r in charge.refunds.data] == [second.id, first.id]
    refunded = _events(raw, "charge.refunded")
    assert [e["data"]["object"]["amount_refunded"] for e in refunded] == [5000, 2000]
    assert refunded[0]["data"]["previous_attributes"] == {"amount_refunded": 2000, "refunded": False}
    assert len(_events(raw, "refund.created")) == 2
    assert client.v1.refunds.retrieve(first.id).metadata["ticket"] == "T-1"
    listed = raw.get("/v1/refunds", {"payment_intent": pi.id}).json()
    assert [r["id"] for r in listed["data"]] == [second.id, first.id]


def test_refund_refusals(client: stripe.StripeClient, raw: Raw) -> None:
    pi = _paid(client, 2000)
    err = error_of(raw.post("/v1/refunds", {"charge": pi.latest_charge, "amount": "3000"}))
    assert err["code"] == "amount_too_large" and err["param"] == "amount"
    assert err["message"] == "Refund amount ($30.00) is greater than unrefunded amount on charge ($20.00)"
    client.v1.refunds.create(params={"charge": pi.latest_charge})
    err = error_of(raw.post("/v1/refunds", {"charge": pi.latest_charge}))
    assert err["code"] == "charge_already_refunded"
    assert err["message"] == f"Charge {pi.latest_charge} has already been refunded."
    err = error_of(raw.post("/v1/refunds", {}))
    assert err["type"] == "invalid_request_error" and "payment_intent or charge" in err["message"]
    resp = raw.post("/v1/refunds", {"charge": "ch_missing"})
    assert resp.status_code == 400 and error_of(resp)["code"] == "resource_missing"
    unpaid = client.v1.payment_intents.create(params={"amount": 2000, "currency": "usd"})
    err = error_of(raw.post("/v1/refunds", {"payment_intent": unpaid.id}))
    assert err["param"] == "payment_intent"
    disputed = _paid(client, 2000, "pm_card_createDispute")
    err = error_of(raw.post("/v1/refunds", {"charge": disputed.latest_charge}))
    assert err["code"] == "charge_disputed"


def test_refund_and_charge_updates_emit_previous_attributes(client: stripe.StripeClient, raw: Raw) -> None:
    pi = _paid(client)
    refund = client.v1.refunds.create(params={"payment_intent": pi.id})
    client.v1.refunds.update(refund.id, params={"metadata": {"reason": "late"}})
    updated = _events(raw, "charge.refund.updated")[0]["data"]
    assert updated["object"]["metadata"] == {"reason": "late"} and updated["previous_attributes"] == {
        "metadata": {}
    }
    client.v1.charges.update(pi.latest_charge, params={"description": "new", "metadata": {"k": "v"}})
    charge_updated = _events(raw, "charge.updated")[0]["data"]
    assert charge_updated["previous_attributes"] == {"description": None, "metadata": {}}
    assert [c.id for c in client.v1.charges.list(params={"payment_intent": pi.id}).data] == [pi.latest_charge]


def test_dispute_through_control_update_and_close(client: stripe.StripeClient, raw: Raw) -> None:
    pi = _paid(client, 4000)
    resp = raw.control(
        "POST",
        f"stripe/charges/{pi.latest_charge}/dispute",
        {"reason": "product_not_received", "amount": 1500},
    )
    assert resp.status_code == 201
    dispute = resp.json()
    assert (
        dispute["status"] == "needs_response"
        and dispute["amount"] == 1500
        and dispute["charge"] == pi.latest_charge
    )
    assert (
        dispute["balance_transactions"][0]["amount"] == -1500
        and dispute["balance_transactions"][0]["fee"] == 1500
    )
    assert raw.control("POST", f"stripe/charges/{pi.latest_charge}/dispute", {}).status_code == 409
    assert raw.control("POST", "stripe/charges/ch_nope/dispute", {}).status_code == 404
    assert raw.control(
        "POST", f"stripe/charges/{pi.latest_charge}/dispute", {"reason": "bored"}
    ).status_code in (400, 409)
    assert _events(raw, "charge.dispute.created")[0]["data"]["object"]["id"] == dispute["id"]
    updated = client.v1.disputes.update(
        dispute["id"], params={"evidence": {"uncategorized_text": "shipped"}, "metadata": {"case": "7"}}
    )
    assert updated.status == "under_review" and updated.evidence.uncategorized_text == "shipped"
    assert updated.evidence_details.submission_count == 1
    ev = _events(raw, "charge.dispute.updated")[0]["data"]
    assert ev["previous_attributes"]["status"] == "needs_response"
    won = raw.control("POST", f"stripe/disputes/{dispute['id']}/close", {"outcome": "won"}).json()
    assert won["status"] == "won"
    assert len(_events(raw, "charge.dispute.funds_reinstated")) == 1
    assert (
        raw.control("POST", f"stripe/disputes/{dispute['id']}/close", {"outcome": "lost"}).status_code == 409
    )
    assert [d.id for d in client.v1.disputes.list(params={"charge": pi.latest_charge}).data] == [
        dispute["id"]
    ]


def test_accepting_a_dispute_closes_it_lost(client: stripe.StripeClient, raw: Raw) -> None:
    pi = _paid(client, 2500, "pm_card_createDispute")
    dispute_id = _events(raw, "charge.dispute.created")[0]["data"]["object"]["id"]
    closed = client.v1.disputes.close(dispute_id)
    assert closed.status == "lost"
    assert (
        _events(raw, "charge.dispute.closed")[0]["data"]["previous_attributes"]["status"] == "needs_response"
    )
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.disputes.close(dispute_id)
    with pytest.raises(stripe.InvalidRequestError) as missing:
        client.v1.disputes.retrieve("dp_missing")
    assert missing.value.http_status == 404 and missing.value.code == "resource_missing"
    assert client.v1.charges.retrieve(pi.latest_charge).disputed is True
