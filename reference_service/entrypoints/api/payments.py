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

from typing import Annotated, Literal

from flask import Blueprint, Response, request
from pydantic import AnyHttpUrl, BaseModel, Field, StringConstraints

from reference_service.bootstrap import Container
from reference_service.bootstrap.payments import payment_gateways
from reference_service.domain import commands
from reference_service.domain.payments import PaymentProvider, PaymentStatus
from reference_service.entrypoints.api.orders import json_response
from reference_service.entrypoints.api.schemas import StrictModel
from reference_service.entrypoints.api.spec import ApiSpec, HeaderParam
from reference_service.entrypoints.errors import FieldError, Problem
from reference_service.service_layer.errors import NotFound

MOCK_RESPONSE_HEADER = HeaderParam(
    "PayPal-Mock-Response",
    "PayPal sandbox negative testing, forwarded to PayPal on capture: "
    '{"mock_application_codes": "INSTRUMENT_DECLINED"}. '
    "Refused unless PAYPAL_ENVIRONMENT=sandbox and PAYPAL_NEGATIVE_TESTING is on.",
    max_length=500,
)


class StartPaymentRequest(StrictModel):
    provider: Literal["stripe", "paypal"]
    payment_method: Annotated[
        str | None,
        StringConstraints(pattern=r"^pm_[A-Za-z0-9_]{1,200}$"),
        Field(description="Stripe only: a PaymentMethod to confirm server-side at once (e.g. pm_card_visa)"),
    ] = None
    return_url: Annotated[
        AnyHttpUrl | None, Field(description="Where the customer returns after 3DS/approval")
    ] = None
    cancel_url: Annotated[
        AnyHttpUrl | None, Field(description="PayPal only: where a cancelling buyer returns")
    ] = None


class PaymentOut(BaseModel):
    id: str
    object: Literal["payment"]
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
    created_at: str
    updated_at: str
    completed_at: str | None


class StartedPaymentOut(PaymentOut):
    client_secret: str | None = Field(None, description="Stripe: for Stripe.js confirmCardPayment")
    publishable_key: str | None = Field(None, description="Stripe: the publishable key that goes with it")
    next_action: dict[str, object] | None = Field(None, description="Stripe: what the customer must do (3DS)")
    approve_url: str | None = Field(None, description="PayPal: where the buyer approves the order")


class PaymentListOut(BaseModel):
    object: Literal["list"]
    data: list[PaymentOut]


def build_blueprint(container: Container, spec: ApiSpec) -> Blueprint:
    bp = Blueprint("payments", __name__, url_prefix="/api/v1")
    tags = ["payments"]
    settings = container.settings

    @spec.operation(
        bp,
        "/orders/<order_id>/payments",
        "POST",
        operation_id="startPayment",
        tags=tags,
        summary="Pay an order (or resume the attempt an outage interrupted)",
        body=StartPaymentRequest,
        responses={201: (StartedPaymentOut, "The payment attempt and what the client needs to complete it")},
    )
    def start_payment(order_id: str, body: StartPaymentRequest) -> Response:
        provider = PaymentProvider(body.provider)
        if provider not in payment_gateways(container):
            raise Problem(
                "validation-error",
                f"Payments through {provider.value} are not available.",
                [FieldError("provider", f"{provider.value} is not configured", "unavailable")],
            )
        if body.payment_method and provider != PaymentProvider.STRIPE:
            raise Problem(
                "validation-error",
                "payment_method is for Stripe only.",
                [FieldError("payment_method", "only with provider stripe", "unsupported")],
            )
        result = container.bus.handle(
            commands.StartPayment(
                order_id=order_id,
                provider=provider.value,
                payment_method=body.payment_method,
                return_url=str(body.return_url) if body.return_url else None,
                cancel_url=str(body.cancel_url) if body.cancel_url else None,
            )
        )
        payload = dict(result.body)
        if provider == PaymentProvider.STRIPE:
            payload["publishable_key"] = settings.stripe_publishable_key
        return json_response(
            payload, result.status, {"Location": f"/api/v1/orders/{order_id}/payments/{payload['id']}"}
        )

    @spec.operation(
        bp,
        "/orders/<order_id>/payments",
        "GET",
        operation_id="listPayments",
        tags=tags,
        summary="Every payment attempt of an order",
        responses={200: (PaymentListOut, "Oldest first")},
    )
    def list_payments(order_id: str) -> Response:
        with container.read_uow() as uow:
            if uow.orders.get(order_id) is None:
                raise NotFound("order", order_id)
            data = [p.to_dict() for p in uow.payments.for_order(order_id)]
        return json_response({"object": "list", "data": data})

    @spec.operation(
        bp,
        "/orders/<order_id>/payments/<payment_id>",
        "GET",
        operation_id="getPayment",
        tags=tags,
        summary="One payment's state",
        responses={200: (PaymentOut, "The payment")},
    )
    def get_payment(order_id: str, payment_id: str) -> Response:
        with container.read_uow() as uow:
            payment = uow.payments.get(payment_id)
            if payment is None or payment.order_id != order_id:
                raise NotFound("payment", payment_id)
            return json_response(payment.to_dict())

    @spec.operation(
        bp,
        "/orders/<order_id>/payments/<payment_id>/capture",
        "POST",
        operation_id="capturePayment",
        tags=tags,
        summary="Capture an approved payment (PayPal)",
        responses={200: (PaymentOut, "The payment after capture")},
        headers=[MOCK_RESPONSE_HEADER],
    )
    def capture_payment(order_id: str, payment_id: str) -> Response:
        mock = request.headers.get(MOCK_RESPONSE_HEADER.name)
        if mock is not None and not settings.paypal_negative_testing_enabled:
            raise Problem(
                "validation-error",
                "PayPal negative testing is only available in the sandbox.",
                [FieldError(MOCK_RESPONSE_HEADER.name, "not allowed here", "unsupported")],
            )
        result = container.bus.handle(
            commands.CapturePayment(order_id=order_id, payment_id=payment_id, mock_response=mock)
        )
        return json_response(result.body, result.status)

    return bp
