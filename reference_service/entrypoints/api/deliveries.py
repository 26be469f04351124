"""Shipping: ``/api/v1/addresses/validate``, ``/api/v1/orders/{id}/shipping-quotes``,
``/api/v1/orders/{id}/deliveries`` and ``/api/v1/deliveries/{id}`` (+ ``/cancel``).

Try it against the lab (``genai-demo up``; the order must be PAID and have a ``shipping_address``)::

    curl -s localhost:8000/api/v1/orders/$ORDER/shipping-quotes -X POST
    curl -s localhost:8000/api/v1/orders/$ORDER/deliveries -H 'Content-Type: application/json' \\
      -d '{"quote_id": "<quote_id of the cheapest quote>"}'
    curl -s localhost:8000/api/v1/deliveries/$DELIVERY
"""

from __future__ import annotations

from flask import Blueprint, Response

from reference_service.bootstrap import Container
from reference_service.domain.access import Permission
from reference_service.domain.delivery_commands import (
    CancelDelivery,
    CreateDelivery,
    QuoteShipping,
    ValidateAddress,
)
from reference_service.entrypoints.access import current_access, requires
from reference_service.entrypoints.api.delivery_schemas import (
    AddressValidationOut,
    CancelDeliveryRequest,
    CreateDeliveryRequest,
    DeliveryListOut,
    DeliveryOut,
    QuoteListOut,
    QuoteOut,
    QuoteRequest,
)
from reference_service.entrypoints.api.orders import check_owner
from reference_service.entrypoints.api.responses import answer, render
from reference_service.entrypoints.api.schemas import ShippingAddressIn
from reference_service.entrypoints.api.spec import ApiSpec
from reference_service.service_layer.errors import NotFound

CARRIER_DOWN = "provider-unavailable: the carrier kept failing after the retry policy; retry later"


def build_blueprint(container: Container, spec: ApiSpec) -> Blueprint:
    bp = Blueprint("deliveries", __name__, url_prefix="/api/v1")
    tags = ["deliveries"]

    @spec.operation(
        bp,
        "/addresses/validate",
        "POST",
        operation_id="validateAddress",
        summary="Verify a shipping address with the carrier",
        tags=tags,
        body=ShippingAddressIn,
        responses={200: (AddressValidationOut, "The address exists; as the carrier corrected it")},
        errors={
            422: "address-invalid: the carrier could not verify it; `errors` gives its reasons per field",
            503: CARRIER_DOWN,
        },
    )
    @requires(Permission.ORDERS_CREATE, owned=True)  # no object to own: whoever may order may check
    def validate_address(body: ShippingAddressIn) -> Response:
        result = container.bus.handle(ValidateAddress(body.to_domain()))
        return render(AddressValidationOut.from_domain(result))

    @spec.operation(
        bp,
        "/orders/<order_id>/shipping-quotes",
        "POST",
        operation_id="quoteShipping",
        summary="Rates to ship an order to its address, cheapest first",
        tags=tags,
        body=QuoteRequest,
        body_required=False,
        responses={200: (QuoteListOut, "One quote per carrier service")},
        errors={
            404: "not-found: no order has this id",
            422: "shipping-address-missing: the order has no shipping address",
            503: CARRIER_DOWN,
        },
    )
    @requires(Permission.DELIVERIES_READ, owned=True)
    def quote_shipping(order_id: str, body: QuoteRequest) -> Response:
        check_owner(container, order_id)
        parcel = body.parcel.to_domain() if body.parcel is not None else None
        quotes = container.bus.handle(QuoteShipping(order_id, parcel))
        return render(QuoteListOut(order_id=order_id, data=[QuoteOut.from_domain(q) for q in quotes]))

    @spec.operation(
        bp,
        "/orders/<order_id>/deliveries",
        "POST",
        operation_id="createDelivery",
        summary="Buy the label of a quote for a PAID order (one delivery per order)",
        tags=tags,
        body=CreateDeliveryRequest,
        responses={
            201: (DeliveryOut, "The label is bought: LABEL_CREATED with a tracking number"),
            200: (DeliveryOut, "The order's delivery for this quote already exists (no second label)"),
        },
        errors={
            404: "not-found: no order has this id",
            409: "invalid-state-transition: the order is not PAID; delivery-conflict: another delivery",
            422: "shipping-quote-invalid: unknown, or for another order; shipping-address-missing",
            503: CARRIER_DOWN + " (the same request resumes without buying twice)",
        },
    )
    @requires(Permission.DELIVERIES_MANAGE)  # fulfilment (service clients, admins), not customers
    def create_delivery(order_id: str, body: CreateDeliveryRequest) -> Response:
        outcome = container.bus.handle(CreateDelivery(order_id, body.quote_id))
        return answer(
            outcome, DeliveryOut.from_domain, {"Location": f"/api/v1/deliveries/{outcome.value.id}"}
        )

    @spec.operation(
        bp,
        "/orders/<order_id>/deliveries",
        "GET",
        operation_id="listOrderDeliveries",
        summary="An order's deliveries, oldest first",
        tags=tags,
        responses={200: (DeliveryListOut, "Every delivery of the order (cancelled ones too)")},
        errors={404: "not-found: no order has this id"},
    )
    @requires(Permission.DELIVERIES_READ, owned=True)
    def list_deliveries(order_id: str) -> Response:
        with container.read_uow() as uow:
            order = uow.orders.get(order_id)
            if order is None:
                raise NotFound("order", order_id)
            current_access().require_owner(order.customer_ref, "order", order_id)
            deliveries = uow.deliveries.for_order(order_id)
        return render(DeliveryListOut(data=[DeliveryOut.from_domain(d) for d in deliveries]))

    @spec.operation(
        bp,
        "/deliveries/<delivery_id>",
        "GET",
        operation_id="getDelivery",
        summary="Retrieve a delivery, with its tracking history",
        tags=tags,
        responses={200: (DeliveryOut, "The delivery")},
        errors={404: "not-found: no delivery has this id"},
    )
    @requires(Permission.DELIVERIES_READ, owned=True)
    def get_delivery(delivery_id: str) -> Response:
        with container.read_uow() as uow:
            delivery = uow.deliveries.get(delivery_id)
            if delivery is None:
                raise NotFound("delivery", delivery_id)
            if current_access().owner is not None:  # a customer: only deliveries of their own orders
                order = uow.orders.get(delivery.order_id)
                current_access().require_owner(
                    order.customer_ref if order is not None else "", "delivery", delivery_id
                )
        return render(DeliveryOut.from_domain(delivery))

    @spec.operation(
        bp,
        "/deliveries/<delivery_id>/cancel",
        "POST",
        operation_id="cancelDelivery",
        summary="Cancel a delivery before pickup (the label is refunded)",
        tags=tags,
        body=CancelDeliveryRequest,
        body_required=False,
        responses={200: (DeliveryOut, "CANCELLED")},
        errors={
            404: "not-found: no delivery has this id",
            409: "invalid-state-transition or delivery-not-cancellable: the carrier has the parcel already",
            503: CARRIER_DOWN,
        },
    )
    @requires(Permission.DELIVERIES_MANAGE)
    def cancel_delivery(delivery_id: str, body: CancelDeliveryRequest) -> Response:
        return answer(container.bus.handle(CancelDelivery(delivery_id, body.reason)), DeliveryOut.from_domain)

    return bp
