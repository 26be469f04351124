"""From a use case's outcome to an HTTP response: the one place that picks status codes.

- ``Created`` is 201 and ``Updated`` 200, with the value rendered by its OpenAPI ``...Out`` model
  (``model_dump(mode="json")``), so a response is exactly what ``/openapi.json`` describes.
- ``Replayed`` answers the status code and body stored with the idempotency key, byte for byte. The
  stored answer is made by ``order_answer``, the very function that answers the first request: the
  composition root hands it to the create-order use case, which stores it in the order's transaction.
  Storing a status code there is this layer's concern; the service layer only passes it through.
- A ``Receipt`` (a provider's webhook) is 200 with its ``ReceiptOut`` body.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Response
from pydantic import BaseModel

from reference_service.domain.orders import Order
from reference_service.entrypoints.api.schemas import OrderOut
from reference_service.service_layer.outcomes import Created, Replayed, Updated

T = TypeVar("T")
REPLAYED_HEADER = "Idempotent-Replayed"


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    resp = Response(json.dumps(body), status=status, mimetype="application/json")
    for name, value in (headers or {}).items():
        resp.headers[name] = value
    return resp


def status_of(outcome: Created[Any] | Updated[Any]) -> int:
    return 201 if isinstance(outcome, Created) else 200


def render(model: BaseModel, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """``model`` as the JSON body (the OpenAPI ``...Out`` model of the answer)."""
    return json_response(model.model_dump(mode="json"), status, headers)


def answer(
    outcome: Created[T] | Updated[T],
    out: Callable[[T], BaseModel],
    headers: dict[str, str] | None = None,
) -> Response:
    """The outcome's status code with ``out(value)`` as the body."""
    return render(out(outcome.value), status_of(outcome), headers)


def replay(replayed: Replayed, headers: dict[str, str] | None = None) -> Response:
    """The stored first answer again, marked ``Idempotent-Replayed: true``."""
    stored = replayed.response
    return json_response(stored.body, stored.status_code, {**(headers or {}), REPLAYED_HEADER: "true"})


def order_answer(outcome: Created[Order]) -> tuple[int, dict[str, Any]]:
    """What ``POST /api/v1/orders`` answers for a created order: stored for idempotent replays."""
    return status_of(outcome), OrderOut.from_domain(outcome.value).model_dump(mode="json")
