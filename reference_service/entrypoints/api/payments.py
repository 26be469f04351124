"""``/api/v1/orders/{order_id}/payments``: pay an order through Stripe or PayPal, and see its payments.

Stripe, client-side confirmation (the usual web checkout)::

    curl -s -XPOST localhost:8000/api/v1/orders/<id>/payments -H 'Content-Type: application/json' \\
      -d '{"provider":"stripe"}'
    # → client_secret + publishable_key for Stripe.js (or confirm against the simulator with them)

Stripe, server-side confirmation with a test PaymentMethod (how the lab shows each decline)::

    curl -s -XPOST localhost:8000/api/v1/orders/<id>/payments -H 'Content-Type: application/json' \\
      -d '{"provider":"stripe","payment_method":"pm_card_chargeDeclined"}'
    # → 402 problem+json, code CARD_DECLINED and the message the customer sees
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Annotated, Any, Literal

from flask import Blueprint, Response, request
from pydantic import (
    BaseModel,
    Field,
    RootModel,
    SerializerFunctionWrapHandler,
    StringConstraints,
    model_serializer,
)

from reference_service.bootstrap import Container
from reference_service.domain import commands
from reference_service.domain.access import Permission
from reference_service.domain.payments import Payment, PaymentProvider, PaymentStatus
from reference_service.entrypoints.access import current_access, requires
from reference_service.entrypoints.api.orders import check_owner
from reference_service.entrypoints.api.responses import answer, render
from reference_service.entrypoints.api.schemas import StrictModel, Timestamp
from reference_service.entrypoints.api.spec import ApiSpec, HeaderParam
from reference_service.entrypoints.errors import FieldError, Problem
from reference_service.service_layer.errors import NotFound
from reference_service.service_layer.outcomes import StartedPayment

#: the one form PayPal documents; anything else would reach PayPal and come back MALFORMED_REQUEST_JSON
MOCK_RESPONSE = r'^\{ ?"mock_application_codes": ?"[A-Z0-9_]{1,64}" ?\}$'
MOCK_RESPONSE_HEADER = HeaderParam(
    "PayPal-Mock-Response",
    "PayPal sandbox negative testing, forwarded to PayPal on capture: "
    '{"mock_application_codes": "INSTRUMENT_DECLINED"}. '
    "Only documented (and accepted) when PAYPAL_ENVIRONMENT=sandbox and PAYPAL_NEGATIVE_TESTING is on.",
    # the one form PayPal documents; anything else would reach PayPal as its MALFORMED_REQUEST_JSON
    schema=Annotated[
        str,
        StringConstraints(max_length=200, pattern=r'^\{ ?"mock_application_codes": ?"[A-Z0-9_]{1,64}" ?\}$'),
    ],
    arg="mock_response",
)
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
#: an absolute http(s) URL: host names (or dotted numbers), an optional port, then RFC 3986 characters
URL = rf"^https?://{_LABEL}(?:\.{_LABEL})*(?::[0-9]{{1,5}})?(?:[/?#][A-Za-z0-9\-._~!$&'()*+,;=:@/?#%]*)?$"
Url = Annotated[str, StringConstraints(max_length=2000, pattern=URL)]


#: what a well-formed payment request may still get, depending on the order and the provider
PAYMENT_ERRORS = {
    402: "payment-declined: the provider declined it (code, decline_code)",
    404: "not-found: no such order (or payment)",
    409: "payment-conflict: the order is paid, or another attempt is in progress (payment_id)",
    422: "payment-request-rejected: the provider refused the request as invalid, not as a decline "
    "(provider_code and the detail say why)",
    502: "provider-error: the provider refused the call for good",
    503: "provider-unavailable: the provider kept failing; the same request resumes the attempt",
}


class StripePaymentRequest(StrictModel):
    """Pay through Stripe: a PaymentIntent the client confirms with Stripe.js (``client_secret``), or
    at once server-side with ``payment_method``."""

    provider: Literal["stripe"]
    payment_method: Annotated[
        str | None,
        StringConstraints(pattern=r"^pm_[A-Za-z0-9_]{1,200}$"),
        Field(description="A PaymentMethod to confirm server-side at once (e.g. pm_card_visa)"),
    ] = None
    return_url: Annotated[Url | None, Field(description="Where the customer returns after 3-D Secure")] = None
    cancel_url: Annotated[Url | None, Field(description="Accepted for symmetry with PayPal; unused")] = None


class PayPalPaymentRequest(StrictModel):
    """Pay through PayPal: an order the buyer approves at ``approve_url``."""

    provider: Literal["paypal"]
    return_url: Annotated[Url | None, Field(description="Where the buyer returns after approving")] = None
    cancel_url: Annotated[Url | None, Field(description="Where a cancelling buyer returns")] = None


PaymentRequest = StripePaymentRequest | PayPalPaymentRequest


class StartPaymentRequest(RootModel[Annotated[PaymentRequest, Field(discriminator="provider")]]):
    """Body of ``POST /api/v1/orders/{id}/payments`` when both providers are configured."""


def start_payment_request(providers: Collection[PaymentProvider]) -> type[BaseModel]:
    """The request body for the configured ``providers``: ``provider`` is an enum of exactly those."""
    if set(providers) >= {PaymentProvider.STRIPE, PaymentProvider.PAYPAL}:
        return StartPaymentRequest
    if PaymentProvider.PAYPAL in providers:
        return PayPalPaymentRequest
    return StripePaymentRequest


class PaymentOut(BaseModel):
    id: str
    object: Literal["payment"] = "payment"
    order_id: str
    provider: PaymentProvider
    attempt: int
    status: PaymentStatus
    amount: int
    currency: str
    provider_ref: str | None
    failure_code: str | None
    failure_message: str | None
    amount_refunded: int
    dispute_id: str | None
    created_at: Timestamp
    updated_at: Timestamp
    completed_at: Timestamp | None

    @classmethod
    def fields_of(cls, payment: Payment) -> dict[str, Any]:
        return {
            "id": payment.id,
            "order_id": payment.order_id,
            "provider": payment.provider,
            "attempt": payment.attempt,
            "status": payment.status,
            "amount": payment.amount,
            "currency": payment.currency,
            "provider_ref": payment.provider_ref,
            "failure_code": payment.failure_code,
            "failure_message": payment.failure_message,
            "amount_refunded": payment.amount_refunded,
            "dispute_id": payment.dispute_id,
            "created_at": payment.created_at,
            "updated_at": payment.updated_at,
            "completed_at": payment.completed_at,
        }

    @classmethod
    def from_domain(cls, payment: Payment) -> PaymentOut:
        return cls(**cls.fields_of(payment))


class StartedPaymentOut(PaymentOut):
    client_secret: str | None = Field(None, description="Stripe: for Stripe.js confirmCardPayment")
    publishable_key: str | None = Field(
        None, description="Stripe only (absent for PayPal): the publishable key that goes with it"
    )
    next_action: dict[str, object] | None = Field(None, description="Stripe: what the customer must do (3DS)")
    approve_url: str | None = Field(None, description="PayPal: where the buyer approves the order")

    @classmethod
    def from_started(cls, started: StartedPayment, publishable_key: str) -> StartedPaymentOut:
        stripe = started.payment.provider == PaymentProvider.STRIPE
        return cls(
            **cls.fields_of(started.payment),
            client_secret=started.client_secret,
            publishable_key=publishable_key if stripe else None,
            next_action=started.next_action,
            approve_url=started.approve_url,
        )

    @model_serializer(mode="wrap")
    def _stripe_only_key(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        data: dict[str, Any] = handler(self)
        if self.provider != PaymentProvider.STRIPE:
            data.pop("publishable_key", None)
        return data


class PaymentListOut(BaseModel):
    object: Literal["list"] = "list"
    data: list[PaymentOut]


def build_blueprint(container: Container, spec: ApiSpec) -> Blueprint:
    bp = Blueprint("payments", __name__, url_prefix="/api/v1")
    tags = ["payments"]
    settings = container.settings
    request_model = start_payment_request(container.payments.gateways)

    @spec.operation(
        bp,
        "/orders/<order_id>/payments",
        "POST",
        operation_id="startPayment",
        tags=tags,
        summary="Pay an order (or resume the attempt an outage interrupted)",
        body=request_model,
        responses={201: (StartedPaymentOut, "The payment attempt and what the client needs to complete it")},
        errors=PAYMENT_ERRORS,
    )
    @requires(Permission.PAYMENTS_CREATE, owned=True)
    def start_payment(order_id: str, body: BaseModel) -> Response:
        chosen = body.root if isinstance(body, StartPaymentRequest) else body
        assert isinstance(chosen, StripePaymentRequest | PayPalPaymentRequest)
        outcome = container.bus.handle(
            commands.StartPayment(
                order_id=order_id,
                provider=chosen.provider,
                payment_method=getattr(chosen, "payment_method", None),
                return_url=chosen.return_url,
                cancel_url=chosen.cancel_url,
                owner=current_access().owner,  # checked where the order is read anyway: no read of its own
            )
        )
        location = f"/api/v1/orders/{order_id}/payments/{outcome.value.payment.id}"
        return answer(
            outcome,
            lambda started: StartedPaymentOut.from_started(started, settings.stripe_publishable_key),
            {"Location": location},
        )

    @spec.operation(
        bp,
        "/orders/<order_id>/payments",
        "GET",
        operation_id="listPayments",
        tags=tags,
        summary="Every payment attempt of an order",
        responses={200: (PaymentListOut, "Oldest first")},
        errors={404: "not-found: no order has this id"},
    )
    @requires(Permission.PAYMENTS_READ, owned=True)
    def list_payments(order_id: str) -> Response:
        check_owner(container, order_id)
        with container.read_uow() as uow:
            if uow.orders.get(order_id) is None:
                raise NotFound("order", order_id)
            payments = uow.payments.for_order(order_id)
        return render(PaymentListOut(data=[PaymentOut.from_domain(p) for p in payments]))

    @spec.operation(
        bp,
        "/orders/<order_id>/payments/<payment_id>",
        "GET",
        operation_id="getPayment",
        tags=tags,
        summary="One payment's state",
        responses={200: (PaymentOut, "The payment")},
        errors={404: "not-found: no such payment of this order"},
    )
    @requires(Permission.PAYMENTS_READ, owned=True)
    def get_payment(order_id: str, payment_id: str) -> Response:
        check_owner(container, order_id)
        with container.read_uow() as uow:
            payment = uow.payments.get(payment_id)
            if payment is None or payment.order_id != order_id:
                raise NotFound("payment", payment_id)
            return render(PaymentOut.from_domain(payment))

    # PayPal-Mock-Response is part of the API only where PayPal's negative testing is (the sandbox)
    capture_headers = [MOCK_RESPONSE_HEADER] if settings.paypal_negative_testing_enabled else []

    @spec.operation(
        bp,
        "/orders/<order_id>/payments/<payment_id>/capture",
        "POST",
        operation_id="capturePayment",
        tags=tags,
        summary="Capture an approved payment (PayPal)",
        responses={200: (PaymentOut, "The payment after capture")},
        headers=capture_headers,
        errors=PAYMENT_ERRORS,
    )
    @requires(Permission.PAYMENTS_CAPTURE, owned=True)
    def capture_payment(order_id: str, payment_id: str, mock_response: str | None = None) -> Response:
        check_owner(container, order_id)
        if not capture_headers and request.headers.get(MOCK_RESPONSE_HEADER.name) is not None:
            raise Problem(
                "validation-error",
                "PayPal negative testing is only available in the sandbox.",
                [FieldError(MOCK_RESPONSE_HEADER.name, "not allowed here", "unsupported")],
            )
        outcome = container.bus.handle(
            commands.CapturePayment(order_id=order_id, payment_id=payment_id, mock_response=mock_response)
        )
        return answer(outcome, PaymentOut.from_domain)

    return bp
