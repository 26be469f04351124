"""The alert scenarios, as a table: which alert, from which rule file, under which traffic, tripped by
which faults (installed through the simulators' control API while the fault window lasts), and what else
the run must show.

A scenario is one row of :data:`SCENARIOS`; adding one (for example the Kafka consumer lag once the lab
runs a consumer) means adding a row: the runner, the assertions and the report are shared.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

from simulators.lab.rules import CANONICAL_DIR, duration_ms


@dataclass(frozen=True)
class Fault:
    """A fault rule for ``POST /_sim/faults`` on the lab part ``simulator``."""

    simulator: str
    match: dict[str, Any]
    action: dict[str, Any]
    probability: float | None = None


@dataclass(frozen=True)
class AlertScenario:
    """One row: the ``alert`` (in ``rule_file``) the ``faults`` must trip under ``users`` × ``user_class``.

    ``signal`` is the PromQL of the alert's compared value and ``threshold`` its limit (both plotted);
    ``window`` is the longest range window behind the signal (canonical), ``onset_s`` how long the fault
    takes to show in any metric (real seconds). ``also_allowed`` are alerts
    the same fault may legitimately fire too; any other alert firing fails the run. ``all_sms_delivered``
    asks that every SMS request of the run was answered 201 (failover keeps delivery at 100 %)."""

    name: str
    alert: str
    rule_file: str
    user_class: str
    users: int
    faults: tuple[Fault, ...]
    signal: str
    threshold: float
    window: str
    also_allowed: frozenset[str] = field(default_factory=frozenset)
    all_sms_delivered: bool = False
    description: str = ""
    #: seconds before the fault can show in any metric at all, at every time scale (a latency fault is
    #: only observed when the slow call completes)
    onset_s: float = 0.0

    def rule(self) -> dict[str, Any]:
        """The canonical alerting rule (``KeyError`` when the rule file has no such alert)."""
        document = yaml.safe_load((CANONICAL_DIR / self.rule_file).read_text(encoding="utf-8"))
        for group in document["groups"]:
            for rule in group["rules"]:
                if rule.get("alert") == self.alert:
                    return dict(rule)
        raise KeyError(f"{self.alert} is not in {self.rule_file}")

    def for_s(self, factor: float) -> float:
        """The rule's ``for`` at this time scale, in seconds."""
        return duration_ms(str(self.rule().get("for", "0s"))) / 1000 / factor

    def window_s(self, factor: float) -> float:
        return duration_ms(self.window) / 1000 / factor


_PI_CREATE = {"method": "POST", "path": "/v1/payment_intents"}

SCENARIOS: tuple[AlertScenario, ...] = (
    AlertScenario(
        name="stripe-down",
        alert="StripeServiceDown",
        rule_file="external-services.yml",
        user_class="StripeShopper",
        users=8,
        # ~16 % of the service's PaymentIntent creates fail (503 and 429): more than the 5 % the rule
        # allows, while the retry policy (3 attempts) still gets nearly every checkout through
        faults=(
            Fault("stripe", _PI_CREATE, {"type": "status", "status": 503}, 0.08),
            Fault("stripe", _PI_CREATE, {"type": "rate_limit", "retry_after": 0}, 0.08),
        ),
        signal='stripe_api_success_rate{provider="stripe"}',
        threshold=0.95,
        window="2m",
        description="8 % 503 + 8 % 429 on POST /v1/payment_intents",
    ),
    AlertScenario(
        name="payment-delayed",
        alert="PaymentProcessingDelayed",
        rule_file="external-services.yml",
        user_class="StripeShopper",
        users=16,
        # the customer's confirm (Stripe.js) takes 11 s: the payment reaches its final state 11 s after it
        # was created, so the p95 of payment_processing_duration_seconds passes 10 s
        faults=(
            Fault(
                "stripe",
                {"method": "POST", "path": "/v1/payment_intents/*/confirm"},
                {"type": "latency", "ms": 11_000},
            ),
        ),
        signal="payment_processing_duration_p95",
        threshold=10.0,
        window="5m",
        description="11 s latency on every PaymentIntent confirm",
        onset_s=11.0,
    ),
    AlertScenario(
        name="sms-sns-down",
        alert="SmsProviderCircuitOpen",
        rule_file="notifications.yml",
        user_class="SmsSender",
        users=4,
        faults=(Fault("aws", {"operation": "Publish"}, {"type": "status", "status": 503}),),
        signal='max by (provider) (sms_circuit_state{provider="sns"})',
        threshold=2.0,
        window="0s",
        also_allowed=frozenset({"SmsFailoverRateHigh"}),
        all_sms_delivered=True,
        description="SNS Publish answers 503 (Twilio takes every SMS)",
    ),
    AlertScenario(
        name="carrier-down",
        alert="LogisticsCarrierDown",
        rule_file="logistics.yml",
        user_class="ParcelShipper",
        users=6,
        faults=(
            Fault("logistics", {"operation": "create_shipment"}, {"type": "status", "status": 503}, 0.3),
            Fault("logistics", {"operation": "buy_shipment"}, {"type": "status", "status": 503}, 0.3),
        ),
        signal="logistics:carrier_success:ratio2m",
        threshold=0.9,
        window="2m",
        description="30 % 503 on the carrier's create-shipment and buy calls",
    ),
    # Kafka consumer lag: one more row once the lab runs the consumer and its rule file exists (alert and
    # rule_file from that file, user_class "StripeShopper" for event traffic, and a fault that slows or
    # stops the consumer; `simulator` names the lab part whose control API takes the fault).
)


def scenario(name: str) -> AlertScenario:
    """The row called ``name`` (or whose alert is ``name``)."""
    for row in SCENARIOS:
        if name in (row.name, row.alert):
            return row
    raise KeyError(f"no alert scenario {name!r}; choose from {', '.join(r.name for r in SCENARIOS)}")
