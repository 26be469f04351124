"""What a request to the EasyPost simulator may contain: the checks of each JSON body (EasyPost wraps the
object: ``{"shipment": {...}}``), raising EasyPost's 422 before anything changes, and the pydantic models of
the ``/_sim/logistics`` control bodies.

The SDK sends JSON (``requests`` ``json=``); ``curl -d`` form bodies with bracket keys
(``address[street1]=...``) are read too, as EasyPost's API accepts both.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from simulators.kernel.responses import FormError, unflatten_form
from simulators.kernel.wsgi import SimRequest
from simulators.logistics import exceptions as exc
from simulators.logistics.magic import Outcome

ADDRESS_FIELDS = (
    "name",
    "company",
    "street1",
    "street2",
    "city",
    "state",
    "zip",
    "country",
    "phone",
    "email",
    "residential",
    "federal_tax_id",
    "state_tax_id",
)
MAX_TEXT = 255
MAX_WEIGHT_OZ = 2400.0  # 150 lb, the usual parcel carriers' limit
MAX_DIMENSION_IN = 108.0


def body(request: SimRequest) -> dict[str, Any]:
    """The request body as a dict (JSON, or a bracket-form body unflattened); ``{}`` when empty."""
    if not request.body:
        return {}
    content_type = (request.header("Content-Type") or "").lower()
    if "application/x-www-form-urlencoded" in content_type:
        try:
            return unflatten_form([(k, v) for k, vs in request.form().items() for v in vs])
        except FormError as error:
            raise exc.invalid("body", str(error)) from None
    try:
        data = request.json()
    except ValueError:
        raise exc.invalid("body", "is not valid JSON") from None
    if not isinstance(data, dict):
        raise exc.invalid("body", "must be a JSON object")
    return data


def wrapped(data: Mapping[str, Any], name: str) -> dict[str, Any]:
    """``data[name]`` as a dict, or 422 ``PARAMETER.REQUIRED`` naming ``name``."""
    inner = data.get(name)
    if not isinstance(inner, dict) or not inner:
        raise exc.required(name)
    return inner


def flag(value: Any) -> bool:
    """EasyPost's ``verify`` / ``verify_strict``: ``true``, ``"true"`` or a non-empty list of checks."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        return value.lower() in ("true", "1", "delivery", "zip4")
    if isinstance(value, list):
        return bool(value)
    return False


def address_params(raw: Mapping[str, Any], field: str = "address") -> dict[str, Any]:
    """The known fields of an address body, as strings (too long: 422 naming the field)."""
    out: dict[str, Any] = {}
    for name in ADDRESS_FIELDS:
        value = raw.get(name)
        if value is None or value == "":
            continue
        if name == "residential":
            out[name] = flag(value)
            continue
        text = str(value)
        if len(text) > MAX_TEXT:
            raise exc.invalid(f"{field}.{name}", f"is too long (maximum is {MAX_TEXT} characters)")
        out[name] = text
    out.setdefault("country", "US")
    return out


def _number(raw: Mapping[str, Any], name: str, field: str, maximum: float) -> float | None:
    value = raw.get(name)
    if value is None or value == "":
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise exc.invalid(f"{field}.{name}", "must be a number") from None
    if not 0 < number <= maximum:
        raise exc.invalid(f"{field}.{name}", f"must be greater than 0 and at most {maximum:g}")
    return number


def parcel_params(raw: Mapping[str, Any]) -> dict[str, Any]:
    """A parcel: ``weight`` (ounces, required) and ``length``/``width``/``height`` (inches, all or none)."""
    weight = _number(raw, "weight", "parcel", MAX_WEIGHT_OZ)
    if weight is None:
        raise exc.required("parcel.weight")
    dims = [_number(raw, n, "parcel", MAX_DIMENSION_IN) for n in ("length", "width", "height")]
    if any(d is not None for d in dims) and not all(d is not None for d in dims):
        raise exc.invalid("parcel", "length, width and height go together")
    predefined = raw.get("predefined_package")
    return {
        "length": dims[0],
        "width": dims[1],
        "height": dims[2],
        "predefined_package": str(predefined) if predefined else None,
        "weight": weight,
    }


def reference_of(raw: Mapping[str, Any], name: str) -> str | None:
    """The id of an object given by reference (``{"id": "adr_..."}``, what the SDK sends for an object)."""
    value = raw.get(name)
    if isinstance(value, dict) and set(value) == {"id"}:
        return str(value["id"])
    return None


def rate_id(data: Mapping[str, Any]) -> str:
    """``{"rate": {"id": "rate_..."}}`` of a buy."""
    rate = data.get("rate")
    if not isinstance(rate, dict) or not rate.get("id"):
        raise exc.required("rate")
    return str(rate["id"])


def tracker_params(data: Mapping[str, Any]) -> tuple[str, str | None]:
    """``(tracking_code, carrier)`` of ``{"tracker": {...}}``."""
    tracker = wrapped(data, "tracker")
    code = str(tracker.get("tracking_code") or "").strip()
    if not code:
        raise exc.required("tracker.tracking_code")
    if len(code) > 64:
        raise exc.invalid("tracker.tracking_code", "is too long")
    carrier = tracker.get("carrier")
    return code, (str(carrier) if carrier else None)


def webhook_params(data: Mapping[str, Any]) -> tuple[str, str | None]:
    """``(url, webhook_secret)`` of ``{"webhook": {...}}``; the URL must be http(s)."""
    webhook = wrapped(data, "webhook")
    url = str(webhook.get("url") or "")
    if not url:
        raise exc.required("webhook.url")
    if not url.startswith(("http://", "https://")) or len(url) > 2048:
        raise exc.invalid("webhook.url", "must be an http(s) URL")
    secret = webhook.get("webhook_secret")
    return url, (str(secret) if secret else None)


def page_params(request: SimRequest) -> tuple[int, str | None, str | None]:
    """``(page_size, before_id, after_id)`` of a list request (page_size 1-100, default 20)."""
    raw = request.query_value("page_size") or "20"
    try:
        size = int(raw)
    except ValueError:
        raise exc.invalid("page_size", "must be an integer") from None
    if not 1 <= size <= 100:
        raise exc.invalid("page_size", "must be between 1 and 100")
    return size, request.query_value("before_id"), request.query_value("after_id")


# -- control API bodies (``/_sim/logistics/...``; validated and documented from ``urls.CONTROL_ROUTES``) ----
class OutcomeSpec(BaseModel):
    """Body of ``POST /_sim/logistics/trackers/{id}/outcome``: how the tracker's journey ends; ``now`` runs
    the rest of it at once (webhooks included)."""

    model_config = ConfigDict(extra="forbid")
    outcome: Outcome
    now: bool = False


class AdvanceSpec(BaseModel):
    """Body of ``POST /_sim/logistics/trackers/{id}/advance``: take ``steps`` steps now."""

    model_config = ConfigDict(extra="forbid")
    steps: int = Field(default=1, ge=1, le=10)


class SettingsSpec(BaseModel):
    """Body of ``POST /_sim/logistics/settings`` (only the given delays change; simulated seconds)."""

    model_config = ConfigDict(extra="forbid")
    delays: dict[str, float] = Field(default_factory=dict)
