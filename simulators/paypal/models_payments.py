"""Payments v2 operations on one app's state: refunds, authorization capture and void, settling PENDING.

Each validates against the current resource (currency, what is left) before changing anything, under the
account's lock, and returns the :class:`~simulators.paypal.resources.DomainEvent` s it caused. Issue names are
Payments v2's (developer.paypal.com/api/payments/v2/errors): ``REFUND_AMOUNT_EXCEEDED``,
``CAPTURE_FULLY_REFUNDED``, ``AUTHORIZATION_ALREADY_CAPTURED``, ``AUTHORIZATION_VOIDED``,
``MAX_CAPTURE_AMOUNT_EXCEEDED``, ``PREVIOUSLY_CAPTURED``, ``PREVIOUSLY_VOIDED``. Refunding a capture that is
not COMPLETED/PARTIALLY_REFUNDED (DECLINED, PENDING) is the simulator's ``REFUND_NOT_ALLOWED``.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from simulators.paypal.exceptions import InvalidRequest, detail, v2_error
from simulators.paypal.magic import summary_amount
from simulators.paypal.models import AccountBackend, StateConflict
from simulators.paypal.resources import Authorization, Capture, DomainEvent, Money, Refund
from simulators.paypal.validation_checks import Amount, Checker, check_amount


@dataclass
class MoneyRequest:
    """A validated refund or authorization-capture request."""

    amount: Amount | None
    invoice_id: str | None = None
    custom_id: str | None = None
    note_to_payer: str | None = None
    final_capture: bool = False


def parse_money_request(
    body: Any, op: str, *, currency: str, limit_issue: str, limit: Decimal
) -> MoneyRequest:
    """Body of ``POST /v2/payments/captures/{id}/refund`` or ``.../authorizations/{id}/capture``."""
    c = Checker(op)
    body = {} if body is None else body
    if not isinstance(body, dict):
        raise InvalidRequest(detail(op, "INVALID_PARAMETER_SYNTAX", "/", body))
    amount = c.money(body.get("amount"), "/amount", required=False)
    req = MoneyRequest(amount)
    req.invoice_id = c.string(body, "invoice_id", "/invoice_id", 127)
    req.custom_id = c.string(body, "custom_id", "/custom_id", 127)
    req.note_to_payer = c.string(body, "note_to_payer", "/note_to_payer", 255)
    final = body.get("final_capture", False)
    if not isinstance(final, bool):
        c.add("INVALID_PARAMETER_SYNTAX", "/final_capture", final)
    req.final_capture = final is True
    c.done()
    if amount is not None:
        check_amount(op, amount, "/amount/value", total=True)
        if amount.currency != currency:
            issue = "REFUND_CAPTURE_CURRENCY_MISMATCH" if op.endswith("refund") else "CURRENCY_MISMATCH"
            raise v2_error(op, issue, "/amount/currency_code", amount.currency)
        if amount.value > limit:
            raise v2_error(op, limit_issue, "/amount/value", str(amount.value))
    return req


def refund_capture(
    backend: AccountBackend, capture_id: str, body: Any, now: float
) -> tuple[Refund, list[DomainEvent]]:
    """Refund all (no ``amount``) or part of a capture: PAYMENT.CAPTURE.REFUNDED."""
    op = "payments.captures.refund"
    with backend.lock:
        capture = backend.capture(capture_id, op)
        if capture.status == "REFUNDED":
            raise v2_error(op, "CAPTURE_FULLY_REFUNDED")
        if capture.status not in ("COMPLETED", "PARTIALLY_REFUNDED"):
            raise v2_error(op, "REFUND_NOT_ALLOWED")
        req = parse_money_request(
            body,
            op,
            currency=capture.amount.currency,
            limit_issue="REFUND_AMOUNT_EXCEEDED",
            limit=capture.refundable,
        )
        value = req.amount.value if req.amount else capture.refundable
        refund = Refund(
            id=backend.ids.upper_alnum(17),
            capture_id=capture.id,
            amount=Money(capture.amount.currency, value),
            create_time=now,
            base_url=capture.base_url,
            invoice_id=req.invoice_id or capture.invoice_id,
            custom_id=req.custom_id or capture.custom_id,
            note_to_payer=req.note_to_payer,
        )
        capture.refunded += value
        capture.refund_ids.append(refund.id)
        capture.status = "REFUNDED" if capture.refunded >= capture.amount.value else "PARTIALLY_REFUNDED"
        capture.update_time = now
        backend.refunds[refund.id] = refund
        unit = backend.unit_of(capture.order_id, capture)
        if unit is not None:
            unit.refunds.append(refund)
        text = f"A {summary_amount(value, capture.amount.currency)} capture payment was refunded"
        return refund, [DomainEvent("PAYMENT.CAPTURE.REFUNDED", "refund", refund.to_json(), text, refund.id)]


def capture_authorization(
    backend: AccountBackend, authorization_id: str, body: Any, now: float
) -> tuple[Capture, list[DomainEvent]]:
    """Capture all or part of an authorization (``final_capture`` closes it)."""
    op = "payments.authorizations.capture"
    with backend.lock:
        auth = backend.authorization(authorization_id, op)
        issue = {"CAPTURED": "AUTHORIZATION_ALREADY_CAPTURED", "VOIDED": "AUTHORIZATION_VOIDED"}.get(
            auth.status
        )
        if auth.status == "DENIED":
            issue = "AUTHORIZATION_DENIED"
        if issue:
            raise v2_error(op, issue)
        remaining = auth.amount.value - auth.captured
        req = parse_money_request(
            body,
            op,
            currency=auth.amount.currency,
            limit_issue="MAX_CAPTURE_AMOUNT_EXCEEDED",
            limit=remaining,
        )
        value = req.amount.value if req.amount else remaining
        final = req.final_capture or req.amount is None or value >= remaining
        capture = Capture(
            id=backend.ids.upper_alnum(17),
            order_id=auth.order_id,
            status="COMPLETED",
            amount=Money(auth.amount.currency, value),
            final_capture=final,
            create_time=now,
            update_time=now,
            base_url=auth.base_url,
            payee=auth.payee,
            invoice_id=req.invoice_id or auth.invoice_id,
            custom_id=req.custom_id or auth.custom_id,
            card=auth.card,
            authorization_id=auth.id,
        )
        auth.captured += value
        auth.status = "CAPTURED" if final else "PARTIALLY_CAPTURED"
        auth.update_time = now
        backend.captures[capture.id] = capture
        unit = backend.unit_of(auth.order_id, auth)
        if unit is not None:
            unit.captures.append(capture)
        return capture, [backend.capture_event(capture)]


def void_authorization(
    backend: AccountBackend, authorization_id: str, now: float
) -> tuple[Authorization, list[DomainEvent]]:
    """Void an authorization: PAYMENT.AUTHORIZATION.VOIDED."""
    op = "payments.authorizations.void"
    with backend.lock:
        auth = backend.authorization(authorization_id, op)
        if auth.status == "CAPTURED":
            raise v2_error(op, "PREVIOUSLY_CAPTURED")
        if auth.status in ("VOIDED", "DENIED"):
            raise v2_error(op, "PREVIOUSLY_VOIDED")
        auth.status = "VOIDED"
        auth.update_time = now
        resource = auth.to_json(standalone=True)
        event = DomainEvent(
            "PAYMENT.AUTHORIZATION.VOIDED",
            "authorization",
            resource,
            "A payment authorization was voided",
            auth.id,
        )
        return auth, [event]


def resolve_pending(
    backend: AccountBackend, capture_id: str, complete: bool, now: float
) -> tuple[Capture, list[DomainEvent]]:
    """Settle a PENDING capture (control API): COMPLETED or DECLINED, with its webhook."""
    with backend.lock:
        capture = backend.capture(capture_id)
        if capture.status != "PENDING":
            raise StateConflict(f"capture {capture_id} is {capture.status}, not PENDING")
        capture.status = "COMPLETED" if complete else "DECLINED"
        capture.status_reason = None
        capture.update_time = now
        if not complete and capture.invoice_id and backend.invoices.get(capture.invoice_id) == capture.id:
            del backend.invoices[capture.invoice_id]
        return capture, [backend.capture_event(capture)]
