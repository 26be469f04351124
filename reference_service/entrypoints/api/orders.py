"""``/api/v1/orders``: create (idempotent), retrieve, list (keyset pagination) and cancel.

Try it::

    curl -s localhost:8000/api/v1/orders -H 'Content-Type: application/json' -H 'Idempotency-Key: k1' \\
      -d '{"customer_ref":"cus_42","currency":"USD",
           "items":[{"sku":"TSHIRT","name":"T-shirt","quantity":2,"unit_amount":1999}]}'
"""

from __future__ import annotations

import hashlib
import json
from typing import Annotated

from flask import Blueprint, Response
from pydantic import StringConstraints

from reference_service.bootstrap import Container
from reference_service.domain import commands
from reference_service.domain.access import Permission
from reference_service.domain.orders import CustomerContact
from reference_service.entrypoints.access import current_access, requires
from reference_service.entrypoints.api.file_schemas import OrderDetailOut, OrderFileOut
from reference_service.entrypoints.api.responses import answer, json_response, order_answer, render, replay
from reference_service.entrypoints.api.schemas import (
    CancelOrderRequest,
    CreateOrderRequest,
    ListOrdersQuery,
    OrderListOut,
    OrderOut,
)
from reference_service.entrypoints.api.spec import ApiSpec, HeaderParam
from reference_service.entrypoints.errors import FieldError, Problem
from reference_service.service_layer.errors import NotFound
from reference_service.service_layer.handlers import files as file_handlers
from reference_service.service_layer.outcomes import Replayed

IDEMPOTENCY_HEADER = HeaderParam(
    "Idempotency-Key",
    "Retry-safe key (1-255 printable ASCII characters). The first result is replayed for the same key "
    "and body; a different body with the same key is rejected.",
    schema=Annotated[str, StringConstraints(min_length=1, max_length=255, pattern=r"^[\x21-\x7e]+$")],
    arg="idempotency_key",
    invalid="Idempotency-Key must be 1-255 printable ASCII characters.",
)


def fingerprint(model: CreateOrderRequest) -> str:
    canonical = json.dumps(model.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def _location(order_id: str) -> dict[str, str]:
    return {"Location": f"/api/v1/orders/{order_id}"}


def check_owner(container: Container, order_id: str) -> None:
    """404 unless the order exists and the caller may touch it (a customer: only their own orders; the
    check reads the order only for callers limited to their own)."""
    access = current_access()
    if access.owner is None:
        return
    with container.read_uow() as uow:
        order = uow.orders.get(order_id)
    if order is None:
        raise NotFound("order", order_id)
    access.require_owner(order.customer_ref, "order", order_id)


def build_blueprint(container: Container, spec: ApiSpec) -> Blueprint:
    bp = Blueprint("orders", __name__, url_prefix="/api/v1")
    tags = ["orders"]

    @spec.operation(
        bp,
        "/orders",
        "POST",
        operation_id="createOrder",
        summary="Create an order",
        tags=tags,
        body=CreateOrderRequest,
        headers=[IDEMPOTENCY_HEADER],
        responses={
            201: (
                OrderOut,
                "Created; a replay with the same Idempotency-Key and body returns the first "
                "result again with `Idempotent-Replayed: true`",
            )
        },
        response_headers={
            201: {
                "Location": "The order's URL",
                "Idempotent-Replayed": "`true` when this is a replay of an earlier create",
            }
        },
        errors={
            403: "forbidden: a customer orders only for themselves (customer_ref = their token's sub)",
            422: "idempotency-key-reused: the Idempotency-Key was first sent with another body; "
            "amount-out-of-range: the total (the sum of quantity x unit_amount) is above 99,999,999 minor "
            "units or below the currency's minimum charge (50 for USD)",
        },
    )
    @requires(Permission.ORDERS_CREATE, owned=True)
    def create_order(body: CreateOrderRequest, idempotency_key: str | None) -> Response:
        if not current_access().may_act_for(body.customer_ref):
            raise Problem(
                "forbidden",
                "A customer creates orders for themselves: customer_ref must be your token's subject.",
                [FieldError("customer_ref", "must be your own customer reference", "not_owner")],
            )
        key = idempotency_key
        outcome = container.bus.handle(
            commands.CreateOrder(
                customer_ref=body.customer_ref,
                currency=body.currency,
                items=tuple(
                    commands.LineItemSpec(i.sku, i.name, i.quantity, i.unit_amount) for i in body.items
                ),
                metadata=dict(body.metadata),
                customer=CustomerContact(body.customer.name, body.customer.email, body.customer.phone)
                if body.customer
                else None,
                shipping_address=body.shipping_address.to_domain() if body.shipping_address else None,
                idempotency_key=key,
                request_fingerprint=fingerprint(body) if key else None,
            )
        )
        if isinstance(outcome, Replayed):
            return replay(outcome, _location(outcome.response.body["id"]))
        status, created = order_answer(outcome)  # what a replay of this request will answer
        return json_response(created, status, _location(outcome.value.id))

    @spec.operation(
        bp,
        "/orders/<order_id>",
        "GET",
        operation_id="getOrder",
        summary="Retrieve an order",
        tags=tags,
        responses={200: (OrderDetailOut, "The order, with its invoice and shipping label once stored")},
        errors={404: "not-found: no order has this id"},
    )
    @requires(Permission.ORDERS_READ, owned=True)
    def get_order(order_id: str) -> Response:
        with container.read_uow() as uow:
            order = uow.orders.get(order_id)
            if order is None:
                raise NotFound("order", order_id)
            current_access().require_owner(order.customer_ref, "order", order_id)
        deps = container.files.deps()
        files = []
        for file in deps.files.for_order(order_id):
            link = file_handlers.link(deps, file)
            files.append(OrderFileOut.of(file, link.url, link.expires_at))
        return render(OrderDetailOut(**dict(OrderOut.from_domain(order)), files=files))

    @spec.operation(
        bp,
        "/orders",
        "GET",
        operation_id="listOrders",
        summary="List orders, newest first",
        tags=tags,
        query=ListOrdersQuery,
        responses={200: (OrderListOut, "One page of orders")},
    )
    @requires(Permission.ORDERS_READ, owned=True)
    def list_orders(query: ListOrdersQuery) -> Response:
        customer_ref, owner = query.customer_ref, current_access().owner
        if owner is not None:  # a customer lists their own orders; asking for another's finds none
            if customer_ref not in (None, owner):
                return render(OrderListOut(data=[], has_more=False, next_cursor=None))
            customer_ref = owner
        with container.read_uow() as uow:
            page = uow.orders.list(query.limit, query.starting_after, query.status, customer_ref)
        data = [OrderOut.from_domain(order) for order in page.items]
        next_cursor = data[-1].id if page.has_more and data else None
        return render(OrderListOut(data=data, has_more=page.has_more, next_cursor=next_cursor))

    @spec.operation(
        bp,
        "/orders/<order_id>/cancel",
        "POST",
        operation_id="cancelOrder",
        summary="Cancel an order",
        tags=tags,
        body=CancelOrderRequest,
        body_required=False,
        responses={200: (OrderOut, "The cancelled order")},
        errors={
            404: "not-found: no order has this id",
            409: "invalid-state-transition: the order is already cancelled, or shipped",
        },
    )
    @requires(Permission.ORDERS_CANCEL, owned=True)
    def cancel_order(order_id: str, body: CancelOrderRequest) -> Response:
        check_owner(container, order_id)
        outcome = container.bus.handle(commands.CancelOrder(order_id=order_id, reason=body.reason))
        return answer(outcome, OrderOut.from_domain)

    return bp
