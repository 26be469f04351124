"""The alert scenarios, as a table: which alert, from which rule file, under which traffic, tripped by
which faults (installed through the simulators' control API while the fault window lasts), and what else
the run must show.

A scenario is one row of :data:`SCENARIOS`; adding one means adding a row: the runner, the assertions and
the report are shared. ``simulator`` in a :class:`Fault` names the lab part whose ``/_sim/faults`` takes
the rule: a provider simulator, or ``kafka`` (broker conditions, see :mod:`simulators.kafka.server`).
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
    #: a backlog built during the fault must drain before the alert resolves: recovery may take this
    #: many times as long as the fault took to fire (onset + for), on top of the usual bound
    drain_ratio: float = 0.0

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
        # 4 shoppers: more checkouts than this outrun the outbox relay (its invoice, e-mail and Kafka work
        # per PAID order) on 2 cores, and OutboxBacklogGrowing would rightly fire too
        users=4,
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
        threshold=1.0,
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
    AlertScenario(
        name="kafka-lag",
        alert="KafkaConsumerLagHigh",
        rule_file="kafka.yml",
        user_class="OrderPlacer",
        # 8 storefronts at 2 orders a second each: 16 order events a second, about half of what the
        # consumer handles on a loaded 2-core machine with SQLite, so it keeps up at baseline and drains
        # the backlog after the fault
        users=8,
        # every broker answers 800 ms late: the outbox relay's producer still sends hundreds of events per
        # round trip, but the consumer commits after each message, so it handles about one a second and
        # falls behind; it stays up and keeps reporting its lag (a stopped consumer could not)
        faults=(Fault("kafka", {}, {"type": "latency", "ms": 800}),),
        signal="sum by (topic) (kafka_consumer_lag)",
        threshold=1000.0,
        window="0s",
        description="every Kafka broker answers 800 ms late (the consumer commits per message)",
        # 1,000 events of backlog at ~15 a second, and librdkafka reports the lag every 5 s
        onset_s=90.0,
        drain_ratio=2.0,
    ),
)


def scenario(name: str) -> AlertScenario:
    """The row called ``name`` (or whose alert is ``name``)."""
    for row in SCENARIOS:
        if name in (row.name, row.alert):
            return row
    raise KeyError(f"no alert scenario {name!r}; choose from {', '.join(r.name for r in SCENARIOS)}")
