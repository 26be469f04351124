"""The health checks of the service's parts, as ``HealthChecker``s ``bootstrap`` registers.

- ``provider_check``: UP with what the provider's ``check_health()`` returns, DOWN when it raises; cached
  for ``PROVIDER_HEALTH_CACHE_SECONDS`` (``CachedHealthChecker``). Stripe, PayPal (critical), SES.
- ``outbox_check``: DOWN while dead events wait (not critical: the API still works).
- ``kafka_check``: the broker answers a metadata request (only with ``MSK_BOOTSTRAP_SERVERS``).
- ``sms_check``: UP while at least one SMS provider's circuit is not open.
- ``ses_feedback_check``: the SES feedback wiring's state; DOWN when provisioning failed.
- ``LogisticsHealthChecker`` (the seed's name): the carrier answers a cheap authenticated read; critical, so
  a carrier outage turns ``/health`` DOWN as the seed's ``ExternalServiceHealthIndicator`` does.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from reference_service.adapters.ses_feedback import FeedbackState
from reference_service.observability.health import (
    DOWN,
    UP,
    CachedHealthChecker,
    CallableHealthChecker,
    CheckResult,
    error_details,
)
from reference_service.ports import SmsRouter


def provider_check(
    name: str, probe: Callable[[], dict[str, Any]], ttl_seconds: float, *, critical: bool
) -> CachedHealthChecker:
    """``probe()`` (a provider's ``check_health``) as a cached check named ``name``."""
    return CachedHealthChecker(
        CallableHealthChecker(name, lambda: CheckResult(UP, probe()), critical=critical), ttl_seconds
    )


def outbox_check(stats: Callable[[], dict[str, int]]) -> CallableHealthChecker:
    def check() -> CheckResult:
        counts = stats()
        return CheckResult(DOWN if counts["dead"] else UP, counts)

    return CallableHealthChecker("outbox", check, critical=False)


def kafka_check(probe: Callable[[], dict[str, Any]], ttl_seconds: float) -> CachedHealthChecker:
    """The Kafka/MSK broker answers a metadata request (brokers and topics seen). Not critical: the
    outbox holds events while the broker is away, so the API keeps working."""
    return CachedHealthChecker(
        CallableHealthChecker("kafka", lambda: CheckResult(UP, probe()), critical=False), ttl_seconds
    )


def sms_check(router: Callable[[], SmsRouter]) -> CallableHealthChecker:
    """``router()`` is read at each check (the router may be replaced, e.g. by a test's fake)."""

    def check() -> CheckResult:
        providers = router().describe()
        closed = [p for p in providers if (p["circuit"] or {}).get("state", "closed") != "open"]
        return CheckResult(UP if closed else DOWN, {"providers": providers})

    return CallableHealthChecker("sms", check, critical=False)


def ses_feedback_check(state: FeedbackState) -> CallableHealthChecker:
    def check() -> CheckResult:
        snapshot = state.snapshot()
        return CheckResult(DOWN if snapshot["state"] == "failed" else UP, snapshot)

    return CallableHealthChecker("ses_feedback", check, critical=False)


class LogisticsHealthChecker:
    """The seed's ``LogisticsHealthChecker``: UP with ``probe()``'s details (the carrier adapter's
    ``check_health``), DOWN when it raises; ``on_result(up)`` sees each verdict (``logistics_carrier_up``).
    Wrap it in ``CachedHealthChecker`` so ``/health`` polling never loads the carrier."""

    name = "logistics"
    critical = True

    def __init__(self, probe: Callable[[], dict[str, Any]], on_result: Callable[[bool], None]) -> None:
        self._probe = probe
        self._on_result = on_result

    def check(self) -> CheckResult:
        try:
            details = self._probe()
        except Exception as exc:
            self._on_result(False)
            return CheckResult(DOWN, error_details(exc))
        self._on_result(True)
        return CheckResult(UP, details)
