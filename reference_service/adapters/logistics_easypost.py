"""The carrier through EasyPost with the official ``easypost`` SDK (``EasyPostClient(key, api_base=...)``).

``LOGISTICS_API_BASE`` points the SDK at the lab's simulator (``http://127.0.0.1:12114/v2``) or at
``https://api.easypost.com/v2``; nothing else changes. Every call goes through ``ProviderCall``: each attempt
counted in ``external_api_requests_total{provider="easypost"}``, the seed's retry policy (3 attempts,
backoff with jitter) on connection errors, timeouts, 429 and 5xx only. A 4xx is never retried.

Idempotency (EasyPost has no idempotency keys): a quote is ``<shipment id>/<rate id>`` of a shipment created
with ``reference = <order id>``. Buying first reads the shipment: a label already bought with that rate (a
retry after a lost answer, or a second request) is returned instead of buying again, and
``SHIPMENT.POSTAGE.EXISTS`` on a race is answered the same way, so one quote never buys two labels.

Errors become the service's: ``ADDRESS.VERIFY.FAILURE`` -> ``AddressInvalid``; 404 or a foreign quote ->
``ShippingQuoteInvalid``; a refused refund (``SHIPMENT.REFUND.UNAVAILABLE``: the carrier scanned the label) ->
``DeliveryNotCancellable``; outages -> retryable ``ProviderError`` (``LOGISTICS_UNAVAILABLE``); anything else
-> ``ProviderError`` ``LOGISTICS_ERROR``.

Inspect its traffic in the simulator's journal (``GET /_sim/journal``).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Any, TypeVar

from easypost.easypost_client import EasyPostClient
from easypost.errors.api.api_error import ApiError
from easypost.errors.api.http_error import HttpError
from easypost.errors.api.rate_limit_error import RateLimitError
from easypost.errors.api.timeout_error import TimeoutError as EasyPostTimeout
from easypost.errors.general.easypost_error import EasyPostError

from reference_service.adapters.provider_call import ErrorPolicy, ProviderCall
from reference_service.adapters.retry import RetryPolicy
from reference_service.config import Settings
from reference_service.domain.deliveries import DeliveryStatus
from reference_service.domain.delivery_commands import ApplyTrackingUpdate
from reference_service.domain.orders import ShippingAddress
from reference_service.observability.metrics import ServiceMetrics
from reference_service.ports import (
    AddressIssue,
    AddressValidationResult,
    CancellationResult,
    DeliveryOrder,
    DeliveryRequest,
    ShippingQuote,
    ShippingRequest,
    TrackingInfo,
)
from reference_service.service_layer.delivery_errors import DeliveryNotCancellable, ShippingQuoteInvalid
from reference_service.service_layer.errors import ProviderError

PROVIDER = "easypost"
T = TypeVar("T")

#: EasyPost tracker status -> the service's delivery status (``None``: says nothing new)
STATUSES: dict[str, DeliveryStatus | None] = {
    "unknown": None,
    "pre_transit": DeliveryStatus.LABEL_CREATED,
    "in_transit": DeliveryStatus.IN_TRANSIT,
    "out_for_delivery": DeliveryStatus.OUT_FOR_DELIVERY,
    "available_for_pickup": DeliveryStatus.OUT_FOR_DELIVERY,
    "delivered": DeliveryStatus.DELIVERED,
    "return_to_sender": DeliveryStatus.RETURNED,
    "failure": DeliveryStatus.FAILED,
    "cancelled": DeliveryStatus.CANCELLED,
    "error": None,
}
TRACKER_EVENTS = ("tracker.created", "tracker.updated")


def classify(exc: BaseException) -> str:
    if isinstance(exc, (HttpError, EasyPostTimeout)) or not isinstance(exc, ApiError):
        return "network_error"
    status = exc.http_status or 0
    if isinstance(exc, RateLimitError) or status == 429:
        return "rate_limited"
    return "server_error" if status >= 500 else "client_error"


def retryable(exc: BaseException) -> bool:
    """Connection errors, timeouts, 429 and 5xx."""
    return classify(exc) in ("network_error", "rate_limited", "server_error") and isinstance(
        exc, EasyPostError
    )


def _code(exc: EasyPostError) -> str | None:
    return getattr(exc, "code", None)


def to_service_error(exc: EasyPostError) -> ProviderError:
    if retryable(exc):
        return ProviderError(
            PROVIDER,
            "LOGISTICS_UNAVAILABLE",
            "The carrier is not answering; please try again later",
            retryable=True,
            status=503,
            provider_code=_code(exc),
        )
    return ProviderError(
        PROVIDER, "LOGISTICS_ERROR", "The carrier refused the request", status=502, provider_code=_code(exc)
    )


def minor_units(amount: str) -> int:
    """``"5.93"`` USD -> 593."""
    return int((Decimal(amount) * 100).to_integral_value())


def _parse_time(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None


def address_params(address: ShippingAddress) -> dict[str, Any]:
    return {k: v for k, v in address.to_dict().items() if v is not None}


def _address_of(data: dict[str, Any], fallback: ShippingAddress) -> ShippingAddress:
    return ShippingAddress(
        name=data.get("name") or fallback.name,
        street1=data.get("street1") or fallback.street1,
        street2=data.get("street2") or fallback.street2,
        city=data.get("city") or fallback.city,
        state=data.get("state") or fallback.state,
        zip=data.get("zip") or fallback.zip,
        country=data.get("country") or fallback.country,
        company=data.get("company") or fallback.company,
        phone=fallback.phone,
    )


def _issues(errors: Any) -> tuple[AddressIssue, ...]:
    return tuple(
        AddressIssue(
            str(e.get("field") or "address"),
            str(e.get("code") or "E.ADDRESS.INVALID"),
            str(e.get("message") or "invalid"),
            e.get("suggestion"),
        )
        for e in (errors or [])
        if isinstance(e, dict)
    )


def tracking_info(tracker: dict[str, Any]) -> TrackingInfo:
    raw = str(tracker.get("status") or "unknown")
    return TrackingInfo(
        tracking_number=str(tracker.get("tracking_code") or ""),
        status=STATUSES.get(raw),
        provider_status=raw,
        est_delivery_at=_parse_time(tracker.get("est_delivery_date")),
    )


def tracking_update(event: dict[str, Any]) -> ApplyTrackingUpdate | None:
    """A verified EasyPost ``Event`` as the service's command (``None``: not about a tracker)."""
    description = str(event.get("description") or "")
    result = event.get("result")
    if description not in TRACKER_EVENTS or not isinstance(result, dict):
        return None
    info = tracking_info(result)
    if not info.tracking_number or not event.get("id"):
        return None
    return ApplyTrackingUpdate(
        provider=PROVIDER,
        event_id=str(event["id"]),
        event_type=description,
        tracking_number=info.tracking_number,
        provider_status=info.provider_status,
        status=info.status,
        source="webhook",
        est_delivery_at=info.est_delivery_at,
    )


class EasyPostLogistics:
    """``LogisticsProvider`` on EasyPost (see the module docstring)."""

    name = PROVIDER

    def __init__(self, settings: Settings, metrics: ServiceMetrics, retry: RetryPolicy) -> None:
        self._client = EasyPostClient(
            settings.logistics_api_key.get_secret_value(),
            api_base=settings.logistics_api_base,
            timeout=int(max(1, settings.provider_timeout_seconds)),
        )
        self._api_base = settings.logistics_api_base
        self._call = ProviderCall(PROVIDER, metrics, retry, ErrorPolicy(classify, retryable, lambda _e: None))

    def _run(self, operation: str, fn: Callable[[], T], *, retry: bool = True) -> T:
        try:
            return self._call(operation, fn, retry=retry)
        except EasyPostError as exc:
            raise to_service_error(exc) from exc

    def validate_address(self, address: ShippingAddress) -> AddressValidationResult:
        created = self._run(
            "create_address", lambda: self._client.address.create(verify=True, **address_params(address))
        ).to_dict()
        delivery = (created.get("verifications") or {}).get("delivery") or {}
        valid = bool(delivery.get("success"))
        corrected = _address_of(created, address) if valid else address
        return AddressValidationResult(valid, corrected, _issues(delivery.get("errors")))

    def calculate_shipping_cost(self, request: ShippingRequest) -> list[ShippingQuote]:
        parcel: dict[str, Any] = {"weight": request.parcel.weight_oz}
        if request.parcel.length_in is not None:
            parcel.update(
                length=request.parcel.length_in,
                width=request.parcel.width_in,
                height=request.parcel.height_in,
            )
        shipment = self._run(
            "create_shipment",
            lambda: self._client.shipment.create(
                to_address=address_params(request.to_address),
                from_address=address_params(request.from_address),
                parcel=parcel,
                reference=request.order_id,
            ),
        ).to_dict()
        quotes = [
            ShippingQuote(
                quote_id=f"{shipment['id']}/{rate['id']}",
                carrier=str(rate["carrier"]),
                service=str(rate["service"]),
                amount=minor_units(str(rate["rate"])),
                currency=str(rate.get("currency") or "USD"),
                delivery_days=rate.get("delivery_days"),
            )
            for rate in shipment.get("rates") or []
        ]
        return sorted(quotes, key=lambda q: (q.amount, q.carrier, q.service))

    def _shipment(self, shipment_id: str, quote_id: str) -> dict[str, Any]:
        try:
            return self._call(
                "retrieve_shipment", lambda: self._client.shipment.retrieve(shipment_id)
            ).to_dict()
        except ApiError as exc:
            if exc.http_status == 404:
                raise ShippingQuoteInvalid(quote_id, "the carrier does not know it") from exc
            raise to_service_error(exc) from exc
        except EasyPostError as exc:
            raise to_service_error(exc) from exc

    def create_delivery_order(self, request: DeliveryRequest) -> DeliveryOrder:
        shipment_id, sep, rate_id = request.quote_id.partition("/")
        if not sep or not shipment_id.startswith("shp_") or not rate_id.startswith("rate_"):
            raise ShippingQuoteInvalid(request.quote_id, "it is not a quote of this carrier")
        shipment = self._shipment(shipment_id, request.quote_id)
        if shipment.get("reference") != request.order_id:
            raise ShippingQuoteInvalid(request.quote_id, "it was made for another order")
        if shipment.get("postage_label") is None:
            try:
                shipment = self._call(
                    "buy_shipment", lambda: self._client.shipment.buy(shipment_id, rate={"id": rate_id})
                ).to_dict()
            except ApiError as exc:
                if (
                    _code(exc) == "SHIPMENT.POSTAGE.EXISTS"
                ):  # bought by an earlier attempt whose answer was lost
                    shipment = self._shipment(shipment_id, request.quote_id)
                elif exc.http_status == 422:
                    raise ShippingQuoteInvalid(request.quote_id, exc.message) from exc
                else:
                    raise to_service_error(exc) from exc
            except EasyPostError as exc:
                raise to_service_error(exc) from exc
        selected = shipment.get("selected_rate") or {}
        if selected.get("id") != rate_id:
            raise ShippingQuoteInvalid(request.quote_id, "another rate of this shipment was bought")
        tracker = shipment.get("tracker") or {}
        return DeliveryOrder(
            provider_ref=str(shipment["id"]),
            carrier=str(selected["carrier"]),
            service=str(selected["service"]),
            amount=minor_units(str(selected["rate"])),
            currency=str(selected.get("currency") or "USD"),
            tracking_number=str(shipment["tracking_code"]),
            label_url=(shipment.get("postage_label") or {}).get("label_url"),
            est_delivery_at=_parse_time(tracker.get("est_delivery_date")),
        )

    def track_delivery(self, tracking_number: str, carrier: str | None = None) -> TrackingInfo:
        params: dict[str, Any] = {"tracking_code": tracking_number}
        if carrier:
            params["carrier"] = carrier
        tracker = self._run("create_tracker", lambda: self._client.tracker.create(**params)).to_dict()
        return tracking_info(tracker)

    def cancel_delivery(self, delivery_id: str, reason: str | None) -> CancellationResult:
        try:
            shipment = self._call(
                "refund_shipment", lambda: self._client.shipment.refund(delivery_id)
            ).to_dict()
        except ApiError as exc:
            if exc.http_status == 422:
                raise DeliveryNotCancellable(delivery_id, "the carrier refused to refund the label") from exc
            raise to_service_error(exc) from exc
        except EasyPostError as exc:
            raise to_service_error(exc) from exc
        status = str(shipment.get("refund_status") or "")
        return CancellationResult(status in ("submitted", "refunded"), status)

    def check_health(self) -> dict[str, Any]:
        self._run("health", lambda: self._client.tracker.all(page_size=1), retry=False)
        return {"api_base": self._api_base}
