"""One app's PayPal state and the operations on it (moto's "backend"): orders, payments, idempotency.

Every operation validates first and mutates after (house rule 5), under the account's lock, and returns
the :class:`~simulators.paypal.resources.DomainEvent` s it caused. State is bounded: at most ``max_orders``
orders per account (the oldest is evicted with its captures, authorizations and refunds) and
:data:`MAX_REQUEST_IDS` ``PayPal-Request-Id`` records, so a long benchmark keeps memory flat. Inspect an
order with ``GET /_sim/paypal/orders/{id}``.

Decisions, with their sources:

* A declined capture (card rejection trigger or a ``buyer-declined`` wallet) answers 201 with the order
  ``COMPLETED`` and the capture ``DECLINED``: PayPal's card-testing page shows exactly that response, and
  the ``order_status`` doc says "a completed order can indicate ... a payment was declined". A wallet funding
  failure (``buyer-instrument-declined``, or the mock header) is a 422 ``INSTRUMENT_DECLINED`` that leaves
  the order ``APPROVED`` so the buyer can be sent back to approve with another funding source.
* The buyer cancelling on PayPal's page does not change the order: PayPal only redirects to
  ``cancel_url``; the order stays ``CREATED`` (capture keeps failing with ``ORDER_NOT_APPROVED``) and no
  webhook is sent. The control API records ``payer_cancelled`` so tests can see it happened.
* ``PayPal-Request-Id``: "The server stores keys for 6 hours" (spec, ``paypal_request_id``); a replay
  within 6 h of *simulated* time answers 200 with the resource's latest state; errors are not stored.
* With the account setting PayPal enables by default ("block multiple payments per invoice ID"), a second
  successful capture with the same ``invoice_id`` fails with 422 ``DUPLICATE_INVOICE_ID``.
"""

from __future__ import annotations

import threading
from typing import Any

from simulators.kernel.backend import BoundedMap, GcHousekeeper
from simulators.kernel.ids import IdGenerator
from simulators.paypal import urls
from simulators.paypal.exceptions import Detail, PayPalError, UnprocessableEntity, not_found, v2_error
from simulators.paypal.magic import (
    DEFAULT_BUYER_EMAIL,
    DEFAULT_BUYER_NAME,
    Outcome,
    account_id,
    summary_amount,
    verdict,
)
from simulators.paypal.resources import (
    Authorization,
    Buyer,
    Capture,
    DomainEvent,
    Money,
    Order,
    PurchaseUnit,
    Refund,
)
from simulators.paypal.validation import ConfirmRequest, OrderRequest, amount_json

IDEMPOTENCY_TTL_S = 6 * 3600
MAX_REQUEST_IDS = 20_000
DEFAULT_MAX_ORDERS = 10_000
CAPTURE_EVENTS = {
    "COMPLETED": ("PAYMENT.CAPTURE.COMPLETED", "Payment completed for {}"),
    "DECLINED": ("PAYMENT.CAPTURE.DENIED", "Payment denied for {}"),
    "PENDING": ("PAYMENT.CAPTURE.PENDING", "Payment pending for {}"),
}
# The capture-side twin of the spec's authorize ACTION_DOES_NOT_MATCH_INTENT (PayPal's live text).
CAPTURE_ON_AUTHORIZE = (
    "Order was created with an intent to 'AUTHORIZE'. Please use v2/checkout/orders/order_id/authorize to "
    "complete the transaction or alternately Create an order with an intent of 'CAPTURE'."
)


def instrument_declined(operation: str, order: Order) -> PayPalError:
    """422 ``INSTRUMENT_DECLINED`` with the ``redirect`` link the sandbox adds (back to the approval page, so
    the buyer can choose another funding source: "handle funding failures" in PayPal's checkout guide)."""
    error = v2_error(operation, "INSTRUMENT_DECLINED")
    error.links.append(urls.link(urls.approve_href(order.base_url, order.id), "redirect"))
    return error


class StateConflict(Exception):
    """A control action that the resource's state does not allow (rendered as a control 409)."""


class AccountBackend:
    """The state of one app (account). ``lock`` guards everything below it."""

    def __init__(
        self,
        account: str | None,
        payee: dict[str, Any],
        ids: IdGenerator,
        max_orders: int,
        housekeeper: GcHousekeeper | None = None,
    ) -> None:
        self.account = account
        self.housekeeper = housekeeper or GcHousekeeper()
        self.payee = payee
        self.ids = ids
        self.max_orders = max_orders
        self.lock = threading.RLock()
        self.orders: BoundedMap[str, Order] = BoundedMap(max_orders, lambda _id, order: self._evict(order))
        self.captures: dict[str, Capture] = {}
        self.authorizations: dict[str, Authorization] = {}
        self.refunds: dict[str, Refund] = {}
        self.invoices: dict[str, str] = {}
        self.request_ids: BoundedMap[tuple[str, str], tuple[str, float]] = BoundedMap(MAX_REQUEST_IDS)

    # -- idempotency -----------------------------------------------------------------------------------
    def recall(self, operation: str, request_id: str, now: float) -> str | None:
        """The resource id a live ``PayPal-Request-Id`` produced (``None`` if new or expired)."""
        entry = self.request_ids.get((operation, request_id))
        if entry is None or entry[1] <= now:
            return None
        return entry[0]

    def remember(self, operation: str, request_id: str, resource_id: str, now: float) -> None:
        """Keep ``request_id`` -> ``resource_id`` for 6 simulated hours."""
        self.request_ids.add((operation, request_id), (resource_id, now + IDEMPOTENCY_TTL_S))
        oldest = self.request_ids.oldest()
        while oldest is not None and oldest[1][1] <= now:  # expired on the simulated clock
            self.request_ids.evict_oldest()
            oldest = self.request_ids.oldest()

    # -- lookups ---------------------------------------------------------------------------------------
    def order(self, order_id: str, operation: str = "orders.get") -> Order:
        """An order or 404 ``INVALID_RESOURCE_ID``."""
        order = self.orders.get(order_id)
        if order is None:
            raise not_found(operation, "order_id", order_id)
        return order

    def capture(self, capture_id: str, operation: str = "payments.captures.get") -> Capture:
        """A capture or 404."""
        found = self.captures.get(capture_id)
        if found is None:
            raise not_found(operation, "capture_id", capture_id)
        return found

    def refund(self, refund_id: str) -> Refund:
        """A refund or 404."""
        found = self.refunds.get(refund_id)
        if found is None:
            raise not_found("payments.refunds.get", "refund_id", refund_id)
        return found

    def authorization(
        self, authorization_id: str, operation: str = "payments.authorizations.get"
    ) -> Authorization:
        """An authorization or 404."""
        found = self.authorizations.get(authorization_id)
        if found is None:
            raise not_found(operation, "authorization_id", authorization_id)
        return found

    def unit_of(self, order_id: str, payment: Any) -> PurchaseUnit | None:
        order = self.orders.get(order_id)
        if order is None:
            return None
        for unit in order.units:
            if payment in unit.captures or payment in unit.authorizations:
                return unit
        return None

    # -- orders ----------------------------------------------------------------------------------------
    def create_order(self, req: OrderRequest, base_url: str, now: float) -> Order:
        """Store a new order from a validated request."""
        units = [
            PurchaseUnit(
                reference_id=u.reference_id or "default",
                amount=Money(u.amount.currency, u.amount.value),
                amount_json=amount_json(u),
                payee=dict(u.payee) if u.payee else dict(self.payee),
                fields=dict(u.fields),
            )
            for u in req.units
        ]
        status = "APPROVED" if req.card else "PAYER_ACTION_REQUIRED" if req.wallet is not None else "CREATED"
        order = Order(
            id=self.ids.upper_alnum(17),
            intent=req.intent,
            status=status,
            units=units,
            create_time=now,
            update_time=now,
            base_url=base_url,
            payer=req.payer,
            card=req.card,
            wallet=req.wallet,
            return_url=req.return_url,
            cancel_url=req.cancel_url,
        )
        with self.lock:
            self.orders.add(order.id, order)  # the oldest order beyond max_orders goes, with its payments
        self.housekeeper.tick()
        return order

    def _evict(self, order: Order) -> None:
        for unit in order.units:
            for c in unit.captures:
                self.captures.pop(c.id, None)
                if c.invoice_id and self.invoices.get(c.invoice_id) == c.id:
                    del self.invoices[c.invoice_id]
            for a in unit.authorizations:
                self.authorizations.pop(a.id, None)
            for r in unit.refunds:
                self.refunds.pop(r.id, None)

    def approve(
        self, order_id: str, email: str | None, now: float, names: tuple[str, str] | None = None
    ) -> tuple[Order, list[DomainEvent]]:
        """The buyer approves: CREATED/PAYER_ACTION_REQUIRED -> APPROVED, CHECKOUT.ORDER.APPROVED."""
        with self.lock:
            order = self.order(order_id)
            if order.status == "APPROVED":
                return order, []
            if order.status not in ("CREATED", "PAYER_ACTION_REQUIRED"):
                raise StateConflict(
                    f"order {order_id} is {order.status}; only a CREATED order can be approved"
                )
            given = (order.wallet or {}).get("email_address") or (order.payer or {}).get("email_address")
            buyer_email = email or given or DEFAULT_BUYER_EMAIL
            name = (order.wallet or {}).get("name") or (order.payer or {}).get("name") or {}
            first, last = names or (
                name.get("given_name") or DEFAULT_BUYER_NAME[0],
                name.get("surname") or DEFAULT_BUYER_NAME[1],
            )
            order.buyer = Buyer(buyer_email, account_id(buyer_email), first, last)
            order.status = "APPROVED"
            order.payer_cancelled = False
            order.update_time = now
            event = DomainEvent(
                "CHECKOUT.ORDER.APPROVED",
                "checkout-order",
                order.to_json(),
                "An order has been approved by buyer",
                order.id,
            )
            return order, [event]

    def confirm_order(self, order_id: str, req: ConfirmRequest, now: float) -> Order:
        """The payer confirms a payment source (``POST .../confirm-payment-source``): a card approves the
        order at once (as a card in create does); the PayPal wallet needs the buyer's approval, so the order
        becomes ``PAYER_ACTION_REQUIRED`` with a ``payer-action`` link. Only an order that is not yet approved
        can be confirmed: ``PAYMENT_ALREADY_APPROVED`` once approved, ``ORDER_ALREADY_CAPTURED`` (or
        ``..._AUTHORIZED``) once completed (spec, ``orders.confirm-422``)."""
        op = "orders.confirm"
        with self.lock:
            order = self.order(order_id, op)
            if order.status == "COMPLETED":
                done = "ORDER_ALREADY_CAPTURED" if order.intent == "CAPTURE" else "ORDER_ALREADY_AUTHORIZED"
                raise v2_error(op, done)
            if order.status == "APPROVED":
                raise v2_error(op, "PAYMENT_ALREADY_APPROVED")
            order.card, order.wallet = req.card, req.wallet
            order.status = "APPROVED" if req.card is not None else "PAYER_ACTION_REQUIRED"
            order.return_url = req.return_url or order.return_url
            order.cancel_url = req.cancel_url or order.cancel_url
            order.update_time = now
            return order

    def cancel(self, order_id: str) -> Order:
        """The buyer cancels on PayPal's page: recorded, the order itself does not change."""
        with self.lock:
            order = self.order(order_id)
            if order.status not in ("CREATED", "PAYER_ACTION_REQUIRED"):
                raise StateConflict(
                    f"order {order_id} is {order.status}; the buyer can only cancel before approving"
                )
            order.payer_cancelled = True
            return order

    def _verdict(self, order: Order) -> Any:
        email = order.buyer.email if order.buyer else (order.payer or {}).get("email_address")
        given = ((order.payer or {}).get("name") or {}).get("given_name")
        return verdict(email, (order.card or {}).get("name") if order.card else None, given)

    def capture_order(self, order_id: str, now: float) -> tuple[Order, list[DomainEvent]]:
        """Capture an approved CAPTURE-intent order (see the module docstring for declines)."""
        op = "orders.capture"
        with self.lock:
            order = self.order(order_id, op)
            if order.intent != "CAPTURE":
                raise UnprocessableEntity(Detail("ACTION_DOES_NOT_MATCH_INTENT", CAPTURE_ON_AUTHORIZE))
            if order.status == "COMPLETED":
                raise v2_error(op, "ORDER_ALREADY_CAPTURED")
            if order.status != "APPROVED":
                raise v2_error(op, "ORDER_NOT_APPROVED")
            v = self._verdict(order)
            if v.outcome is Outcome.INSTRUMENT_DECLINED:
                raise instrument_declined(op, order)
            for unit in order.units:
                invoice = unit.fields.get("invoice_id")
                if invoice and invoice in self.invoices and v.outcome is not Outcome.DECLINED:
                    raise v2_error(op, "DUPLICATE_INVOICE_ID")
            events: list[DomainEvent] = []
            for unit in order.units:
                capture = Capture(
                    id=self.ids.upper_alnum(17),
                    order_id=order.id,
                    status=v.outcome.value,
                    amount=unit.amount,
                    final_capture=True,
                    create_time=now,
                    update_time=now,
                    base_url=order.base_url,
                    payee=unit.payee,
                    invoice_id=unit.fields.get("invoice_id"),
                    custom_id=unit.fields.get("custom_id"),
                    card=order.card is not None,
                    processor_response=v.processor_response,
                    status_reason="PENDING_REVIEW" if v.outcome is Outcome.PENDING else None,
                )
                unit.captures.append(capture)
                self.captures[capture.id] = capture
                if capture.invoice_id and capture.status != "DECLINED":
                    self.invoices[capture.invoice_id] = capture.id
                events.append(self.capture_event(capture))
            order.status = "COMPLETED"
            order.update_time = now
            return order, events

    def capture_event(self, capture: Capture) -> DomainEvent:
        event_type, summary = CAPTURE_EVENTS[capture.status]
        text = summary.format(summary_amount(capture.amount.value, capture.amount.currency))
        return DomainEvent(event_type, "capture", capture.to_json(standalone=True), text, capture.id)

    def authorize_order(self, order_id: str, now: float) -> tuple[Order, list[DomainEvent]]:
        """Authorize an approved AUTHORIZE-intent order: ``payments.authorizations[]``."""
        op = "orders.authorize"
        with self.lock:
            order = self.order(order_id, op)
            if order.intent != "AUTHORIZE":
                raise v2_error(op, "ACTION_DOES_NOT_MATCH_INTENT")
            if order.status == "COMPLETED":
                raise v2_error(op, "ORDER_ALREADY_AUTHORIZED")
            if order.status != "APPROVED":
                raise v2_error(op, "ORDER_NOT_APPROVED")
            v = self._verdict(order)
            if v.outcome is Outcome.INSTRUMENT_DECLINED:
                raise instrument_declined(op, order)
            events: list[DomainEvent] = []
            for unit in order.units:
                auth = Authorization(
                    id=self.ids.upper_alnum(17),
                    order_id=order.id,
                    status="DENIED" if v.outcome is Outcome.DECLINED else "CREATED",
                    amount=unit.amount,
                    create_time=now,
                    update_time=now,
                    base_url=order.base_url,
                    payee=unit.payee,
                    invoice_id=unit.fields.get("invoice_id"),
                    custom_id=unit.fields.get("custom_id"),
                    card=order.card is not None,
                )
                unit.authorizations.append(auth)
                self.authorizations[auth.id] = auth
                if auth.status == "CREATED":
                    text = "A successful payment authorization was created for " + summary_amount(
                        auth.amount.value, auth.amount.currency
                    )
                    resource = auth.to_json(standalone=True)
                    events.append(
                        DomainEvent("PAYMENT.AUTHORIZATION.CREATED", "authorization", resource, text, auth.id)
                    )
            order.status = "COMPLETED"
            order.update_time = now
            return order, events
