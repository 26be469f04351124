"""PayPal's resources as plain objects, and their JSON as PayPal renders it (no HTTP, no locking).

:class:`Order` holds :class:`PurchaseUnit` s, each with its :class:`Capture` s, :class:`Authorization` s and
:class:`Refund` s. ``to_json`` renders the shapes of ``checkout_orders_v2.json`` (``order``, ``capture``,
``authorization``, ``refund``) with HATEOAS links absolute to the base URL the order was created through.
Operations that change them live in :mod:`simulators.paypal.models`; a change records
:class:`DomainEvent` s that :mod:`simulators.paypal.webhooks` turns into webhook envelopes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from simulators.kernel.clock import iso_utc
from simulators.paypal import urls
from simulators.paypal.magic import fmt, paypal_fee

ELIGIBLE = {"status": "ELIGIBLE", "dispute_categories": ["ITEM_NOT_RECEIVED", "UNAUTHORIZED_TRANSACTION"]}
NOT_ELIGIBLE = {"status": "NOT_ELIGIBLE"}
AUTHORIZATION_VALIDITY_S = 29 * 86400  # "An authorization is valid for 29 days" (PayPal: authorize payment)


def iso(ts: float) -> str:
    """RFC 3339 UTC with seconds, as PayPal's ``create_time``: ``2024-05-01T10:00:00Z``."""
    return iso_utc(ts)


@dataclass(frozen=True)
class Money:
    """An amount in a currency."""

    currency: str
    value: Decimal

    def to_json(self) -> dict[str, str]:
        """``{"currency_code", "value"}`` at the currency's precision."""
        return {"currency_code": self.currency, "value": fmt(self.value, self.currency)}


@dataclass(frozen=True)
class DomainEvent:
    """Something that happened to a resource, to be sent as a webhook event."""

    event_type: str
    resource_type: str
    resource: dict[str, Any]
    summary: str
    resource_id: str


@dataclass
class Buyer:
    """The PayPal account that approved an order."""

    email: str
    payer_id: str
    given_name: str
    surname: str
    country: str = "US"

    def payer_json(self) -> dict[str, Any]:
        """The order's ``payer``."""
        return {
            "name": {"given_name": self.given_name, "surname": self.surname},
            "email_address": self.email,
            "payer_id": self.payer_id,
            "address": {"country_code": self.country},
        }

    def wallet_json(self) -> dict[str, Any]:
        """The order's ``payment_source.paypal``."""
        return {
            "email_address": self.email,
            "account_id": self.payer_id,
            "account_status": "VERIFIED",
            "name": {"given_name": self.given_name, "surname": self.surname},
            "address": {"country_code": self.country},
        }


@dataclass
class Refund:
    """A refund of a capture."""

    id: str
    capture_id: str
    amount: Money
    create_time: float
    base_url: str
    invoice_id: str | None = None
    custom_id: str | None = None
    note_to_payer: str | None = None
    status: str = "COMPLETED"

    def to_json(self) -> dict[str, Any]:
        """The ``refund`` resource. PayPal keeps its fee on refunds, so ``paypal_fee`` is zero."""
        zero = Money(self.amount.currency, Decimal(0)).to_json()
        out: dict[str, Any] = {
            "id": self.id,
            "amount": self.amount.to_json(),
            "seller_payable_breakdown": {
                "gross_amount": self.amount.to_json(),
                "paypal_fee": zero,
                "net_amount": self.amount.to_json(),
            },
        }
        for key in ("invoice_id", "custom_id", "note_to_payer"):
            if getattr(self, key) is not None:
                out[key] = getattr(self, key)
        out["status"] = self.status
        out["create_time"] = out["update_time"] = iso(self.create_time)
        out["links"] = [
            urls.link(urls.refund_href(self.base_url, self.id), "self"),
            urls.link(urls.capture_href(self.base_url, self.capture_id), "up"),
        ]
        return out


@dataclass
class Capture:
    """A captured payment (of an order, or of an authorization)."""

    id: str
    order_id: str
    status: str
    amount: Money
    final_capture: bool
    create_time: float
    update_time: float
    base_url: str
    payee: dict[str, Any]
    invoice_id: str | None = None
    custom_id: str | None = None
    card: bool = False
    processor_response: dict[str, str] | None = None
    status_reason: str | None = None
    authorization_id: str | None = None
    refunded: Decimal = Decimal(0)
    refund_ids: list[str] = field(default_factory=list)

    @property
    def refundable(self) -> Decimal:
        """What is left to refund."""
        return self.amount.value - self.refunded

    def to_json(self, *, standalone: bool = False) -> dict[str, Any]:
        """The ``capture`` resource; ``standalone`` (GET capture, webhooks) adds ``supplementary_data``."""
        out: dict[str, Any] = {"id": self.id, "status": self.status}
        if self.status_reason:
            out["status_details"] = {"reason": self.status_reason}
        out["amount"] = self.amount.to_json()
        out["final_capture"] = self.final_capture
        out["disbursement_mode"] = "INSTANT"
        out["seller_protection"] = dict(NOT_ELIGIBLE if self.card else ELIGIBLE)
        if self.status in ("COMPLETED", "PARTIALLY_REFUNDED", "REFUNDED"):
            fee = paypal_fee(self.amount.value, self.amount.currency)
            out["seller_receivable_breakdown"] = {
                "gross_amount": self.amount.to_json(),
                "paypal_fee": Money(self.amount.currency, fee).to_json(),
                "net_amount": Money(self.amount.currency, self.amount.value - fee).to_json(),
            }
        if self.invoice_id is not None:
            out["invoice_id"] = self.invoice_id
        if self.custom_id is not None:
            out["custom_id"] = self.custom_id
        if self.processor_response is not None:
            out["processor_response"] = dict(self.processor_response)
        if standalone:
            related = {"order_id": self.order_id}
            if self.authorization_id:
                related["authorization_id"] = self.authorization_id
            out["supplementary_data"] = {"related_ids": related}
            out["payee"] = dict(self.payee)
        links = [urls.link(urls.capture_href(self.base_url, self.id), "self")]
        if self.status in ("COMPLETED", "PARTIALLY_REFUNDED"):
            links.append(urls.link(urls.capture_href(self.base_url, self.id) + "/refund", "refund", "POST"))
        up = (
            urls.authorization_href(self.base_url, self.authorization_id)
            if self.authorization_id
            else urls.order_href(self.base_url, self.order_id)
        )
        links.append(urls.link(up, "up"))
        out["links"] = links
        out["create_time"] = iso(self.create_time)
        out["update_time"] = iso(self.update_time)
        return out


@dataclass
class Authorization:
    """An authorized payment (intent ``AUTHORIZE``), captured later through Payments v2."""

    id: str
    order_id: str
    status: str
    amount: Money
    create_time: float
    update_time: float
    base_url: str
    payee: dict[str, Any]
    invoice_id: str | None = None
    custom_id: str | None = None
    card: bool = False
    captured: Decimal = Decimal(0)

    def to_json(self, *, standalone: bool = False) -> dict[str, Any]:
        """The ``authorization`` resource."""
        out: dict[str, Any] = {"id": self.id, "status": self.status, "amount": self.amount.to_json()}
        if self.invoice_id is not None:
            out["invoice_id"] = self.invoice_id
        if self.custom_id is not None:
            out["custom_id"] = self.custom_id
        out["seller_protection"] = dict(NOT_ELIGIBLE if self.card else ELIGIBLE)
        out["expiration_time"] = iso(self.create_time + AUTHORIZATION_VALIDITY_S)
        if standalone:
            out["supplementary_data"] = {"related_ids": {"order_id": self.order_id}}
            out["payee"] = dict(self.payee)
        href = urls.authorization_href(self.base_url, self.id)
        links = [urls.link(href, "self")]
        if self.status in ("CREATED", "PARTIALLY_CAPTURED"):
            links += [
                urls.link(href + "/capture", "capture", "POST"),
                urls.link(href + "/void", "void", "POST"),
                urls.link(href + "/reauthorize", "reauthorize", "POST"),
            ]
        links.append(urls.link(urls.order_href(self.base_url, self.order_id), "up"))
        out["links"] = links
        out["create_time"] = iso(self.create_time)
        out["update_time"] = iso(self.update_time)
        return out


@dataclass
class Tracker:
    """Tracking information for a shipment of a captured purchase unit (``POST .../track``).

    ``id`` is the capture id followed by the tracking number, as PayPal's are
    (``8MC585209K746392H443844607820`` in the trackers PATCH example), or by generated digits when there is no
    tracking number or the id would break the spec's ``^[A-Z0-9]+$``, 36 characters. ``tracking_number``,
    ``carrier`` and ``notify_payer`` (``None``: not given) are kept for ``GET /_sim/paypal/orders/{id}``
    (the ``tracker`` resource does not show them). ``status`` is
    ``SHIPPED`` or ``CANCELLED`` (``tracker_status``: "The merchant has assigned a tracking number to the
    items..."; only cancelling is patchable).
    """

    id: str
    order_id: str
    capture_id: str
    tracking_number: str | None
    carrier: str | None
    items: list[dict[str, Any]]
    notify_payer: bool | None
    create_time: float
    update_time: float
    base_url: str
    status: str = "SHIPPED"

    def to_json(self) -> dict[str, Any]:
        """The ``tracker`` resource: id, status, items, links, times."""
        out: dict[str, Any] = {"id": self.id, "status": self.status}
        if self.items:
            out["items"] = [dict(item) for item in self.items]
        out["links"] = [
            urls.link(urls.order_href(self.base_url, self.order_id), "up"),
            urls.link(urls.tracker_href(self.base_url, self.order_id, self.id), "update", "PATCH"),
        ]
        out["create_time"] = iso(self.create_time)
        out["update_time"] = iso(self.update_time)
        return out

    def details(self) -> dict[str, Any]:
        """What the merchant sent, for the control API."""
        return {
            "id": self.id,
            "capture_id": self.capture_id,
            "tracking_number": self.tracking_number,
            "carrier": self.carrier,
            "notify_payer": self.notify_payer,
            "status": self.status,
        }


@dataclass
class PurchaseUnit:
    """One purchase unit: the caller's fields, the amount, and its payments."""

    reference_id: str
    amount: Money
    amount_json: dict[str, Any]
    payee: dict[str, Any]
    fields: dict[str, Any] = field(default_factory=dict)
    captures: list[Capture] = field(default_factory=list)
    authorizations: list[Authorization] = field(default_factory=list)
    refunds: list[Refund] = field(default_factory=list)
    trackers: list[Tracker] = field(default_factory=list)

    def payments_json(self) -> dict[str, Any] | None:
        """``payments`` (``payment_collection``) or ``None`` while there are none."""
        out: dict[str, Any] = {}
        if self.authorizations:
            out["authorizations"] = [a.to_json() for a in self.authorizations]
        if self.captures:
            out["captures"] = [c.to_json() for c in self.captures]
        if self.refunds:
            out["refunds"] = [r.to_json() for r in self.refunds]
        return out or None

    def to_json(self, *, brief: bool = False) -> dict[str, Any]:
        """The ``purchase_unit``; ``brief``: the capture/authorize minimal view (ref, shipping, payments)."""
        out: dict[str, Any] = {"reference_id": self.reference_id}
        if not brief:
            out["amount"] = self.amount_json
            out["payee"] = dict(self.payee)
            for key in ("description", "custom_id", "invoice_id", "soft_descriptor", "items"):
                if key in self.fields:
                    out[key] = self.fields[key]
        if "shipping" in self.fields or self.trackers:
            out["shipping"] = dict(self.fields.get("shipping") or {})
            if self.trackers:
                out["shipping"]["trackers"] = [t.to_json() for t in self.trackers]
        payments = self.payments_json()
        if payments is not None:
            out["payments"] = payments
        return out


@dataclass
class Order:
    """A checkout order and its lifecycle: CREATED / PAYER_ACTION_REQUIRED -> APPROVED -> COMPLETED."""

    id: str
    intent: str
    status: str
    units: list[PurchaseUnit]
    create_time: float
    update_time: float
    base_url: str
    payer: dict[str, Any] | None = None
    card: dict[str, Any] | None = None
    wallet: dict[str, Any] | None = None
    buyer: Buyer | None = None
    return_url: str | None = None
    cancel_url: str | None = None
    payer_cancelled: bool = False

    def unit(self, reference_id: str) -> PurchaseUnit | None:
        """The unit with ``reference_id``."""
        return next((u for u in self.units if u.reference_id == reference_id), None)

    def links(self) -> list[dict[str, str]]:
        """HATEOAS links for the current status (approve/payer-action only before approval)."""
        href = urls.order_href(self.base_url, self.id)
        out = [urls.link(href, "self")]
        if self.status == "PAYER_ACTION_REQUIRED":
            return [*out, urls.link(urls.approve_href(self.base_url, self.id), "payer-action")]
        if self.status == "CREATED":
            out.append(urls.link(urls.approve_href(self.base_url, self.id), "approve"))
        if self.status in ("CREATED", "APPROVED"):
            action = "capture" if self.intent == "CAPTURE" else "authorize"
            out += [urls.link(href, "update", "PATCH"), urls.link(f"{href}/{action}", action, "POST")]
        return out

    def payment_source_json(self) -> dict[str, Any] | None:
        """``payment_source``: the card, or the PayPal wallet (the buyer once approved)."""
        if self.card is not None:
            return {"card": dict(self.card)}
        if self.buyer is not None:
            return {"paypal": self.buyer.wallet_json()}
        if self.wallet is not None:
            return {"paypal": {k: self.wallet[k] for k in ("email_address", "name") if k in self.wallet}}
        return None

    def payer_json(self) -> dict[str, Any] | None:
        """``payer``: the approving buyer, else what the caller sent."""
        if self.buyer is not None:
            return self.buyer.payer_json()
        return dict(self.payer) if self.payer else None

    def to_json(self, *, view: str = "full") -> dict[str, Any]:
        """``view``: ``full`` (representation), ``minimal`` (id, status, links), ``source`` (the minimal
        answer of confirm-payment-source: id, status, payment source, links) or ``payments`` (the minimal
        answer of capture/authorize: payment source, units with their payments, payer, links)."""
        out: dict[str, Any] = {"id": self.id}
        if view == "full":
            out["intent"] = self.intent
        out["status"] = self.status
        if view == "source":
            source = self.payment_source_json()
            if source is not None:
                out["payment_source"] = source
        elif view != "minimal":
            source = self.payment_source_json()
            if source is not None:
                out["payment_source"] = source
            out["purchase_units"] = [u.to_json(brief=view == "payments") for u in self.units]
            payer = self.payer_json()
            if payer is not None:
                out["payer"] = payer
        if view == "full":
            out["create_time"] = iso(self.create_time)
            if self.update_time != self.create_time:
                out["update_time"] = iso(self.update_time)
        out["links"] = self.links()
        return out
