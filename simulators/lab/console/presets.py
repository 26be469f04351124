"""One-click faults of the console's Faults page, each made of public control-API calls.

=====================  ==============================================================================
preset                 what it sends
=====================  ==============================================================================
Stripe outage          ``POST /_sim/faults`` on stripe: every API request answers 503 (Stripe's own error
                       body) for ``seconds`` simulated seconds (``window``)
SNS down               ``POST /_sim/faults`` on aws: ``operation: Publish`` (SNS publish, SMS included)
                       answers 503 for ``seconds``
PayPal slow            ``POST /_sim/faults`` on paypal: 3 s of latency on every API request for ``seconds``
Carrier webhooks       ``POST /_sim/webhooks/chaos`` on logistics: ``{"reorder": true, "hold_s": seconds}``:
delayed                each carrier webhook is held until the next one to the service went out, or for
                       ``seconds`` simulated seconds (clear it with "Normal delivery" on Webhooks)
Kafka broker down      ``POST /_sim/kafka/brokers/1/down`` on the mock cluster ("Broker up" ends it)
=====================  ==============================================================================

The duration is a form field (default :attr:`Preset.default_seconds`), so a short outage needs no hidden
switch; windows count simulated seconds (real seconds unless the simulator runs with ``--time-scale``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

JSON = dict[str, Any]


@dataclass(frozen=True)
class Preset:
    slug: str
    label: str
    target: str
    how: Literal["fault", "chaos", "kafka"]
    default_seconds: float
    summary: str

    def rule(self, seconds: float) -> JSON:
        """The fault rule (``how == "fault"``) or chaos settings (``"chaos"``) for ``seconds``."""
        window = {"start_in": 0, "duration": seconds}
        if self.slug == "stripe-outage":
            return {"match": {}, "action": {"type": "status", "status": 503}, "window": window,
                    "description": f"{self.label} {seconds:g}s"}  # fmt: skip
        if self.slug == "sns-down":
            return {"match": {"operation": "Publish"}, "action": {"type": "status", "status": 503},
                    "window": window, "description": f"{self.label} {seconds:g}s"}  # fmt: skip
        if self.slug == "paypal-slow":
            return {"match": {}, "action": {"type": "latency", "ms": 3000}, "window": window,
                    "description": f"{self.label} {seconds:g}s"}  # fmt: skip
        if self.slug == "carrier-webhooks-delayed":
            return {"reorder": True, "hold_s": seconds}
        raise ValueError(f"{self.slug} is not a fault rule")


PRESETS: tuple[Preset, ...] = (
    Preset("stripe-outage", "Stripe outage", "stripe", "fault", 120, "every Stripe API call answers 503"),
    Preset("sns-down", "SNS down", "aws", "fault", 120, "SNS Publish (SMS included) answers 503"),
    Preset("paypal-slow", "PayPal slow", "paypal", "fault", 120, "3 s latency on every PayPal API call"),
    Preset(
        "carrier-webhooks-delayed",
        "Carrier webhooks delayed",
        "logistics",
        "chaos",
        120,
        "carrier webhooks held (and swapped in pairs) up to the duration",
    ),
    Preset("kafka-down", "Kafka broker down", "kafka", "kafka", 0, "broker 1 of the mock cluster down"),
)


def preset(slug: str) -> Preset:
    """The preset called ``slug`` (``KeyError`` when there is none)."""
    for found in PRESETS:
        if found.slug == slug:
            return found
    raise KeyError(slug)
