"""Prometheus metrics of the notifications area, registered on the service's registry.

Series (scrape ``GET /metrics``; every provider call is also in ``external_api_requests_total`` with
provider ``ses``, ``sns`` or ``twilio``):

- ``email_send_total{template,outcome}``: one per email the service tried to send; ``outcome`` is
  ``sent``, ``suppressed`` (the address is on the suppression list), ``rejected`` (SES refused it),
  ``failed`` (SES unavailable after retries) or ``invalid`` (template variables missing).
- ``email_bounces_total{type}``: SES bounce notifications by ``bounceType`` (Permanent, Transient,
  Undetermined); ``email_complaints_total``: complaint notifications; ``email_deliveries_total``.
- ``email_suppressions_total{reason}``: addresses added to the suppression list (bounce, complaint);
  ``email_suppressed_addresses``: how many are on it now (read from the database at scrape time).
- ``sms_send_total{provider,outcome}``: one per provider attempt: ``success``, ``rejected`` (the
  recipient was refused for good), ``failed`` (the router fails over); plus ``provider="none"`` with
  ``outcome="all_failed"`` when no provider took it, or ``"unsupported_region"`` when none may send there.
- ``sms_skipped_total{provider,reason}``: a provider not tried (``circuit_open``, ``region``).
- ``sms_failover_total{from_provider,to_provider}``: an SMS that another provider took after one failed.
- ``sms_circuit_state{provider}``: 0 closed, 1 half-open, 2 open.
- ``sms_delivery_status_total{provider,status}``: delivery reports received (Twilio status callbacks).
- ``sms_resend_total{outcome}``: undelivered SMS resent through another provider.

``count_email_sends`` and ``count_sms_resends`` are the decorators (``metrics.observed``) that count what
the email handlers and the resend policy did; ``email_outcome`` classifies a failed send.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from reference_service.observability.metrics import Handler, observed
from reference_service.service_layer.errors import ProviderError
from reference_service.service_layer.notification_errors import (
    EmailVariablesInvalid,
    RecipientSuppressed,
    UnknownEmailTemplate,
)

#: outcomes a send returns (the order confirmation's words) that ``email_send_total`` counts
EMAIL_OUTCOMES = frozenset({"sent", "suppressed", "rejected", "invalid"})
SMS_RESEND_OUTCOMES = frozenset({"resent", "rejected", "no_other_provider"})


def email_outcome(error: BaseException) -> str:
    """The ``outcome`` label of a send that raised ``error``."""
    if isinstance(error, EmailVariablesInvalid | UnknownEmailTemplate):
        return "invalid"
    if isinstance(error, RecipientSuppressed):
        return "suppressed"
    if isinstance(error, ProviderError):
        return "failed" if error.retryable else "rejected"
    return "error"


class _SuppressedCollector(Collector):
    def __init__(self, count: Callable[[], int]) -> None:
        self._count = count

    def collect(self) -> Iterator[Metric]:
        try:
            value = self._count()
        except Exception:  # a scrape must not fail because the database is down; /health reports that
            return
        yield GaugeMetricFamily(
            "email_suppressed_addresses", "Addresses on the email suppression list", value=value
        )


class NotificationMetrics:
    """The series of the module docstring, on ``registry``."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry
        self.email_send = Counter(
            "email_send_total", "Emails the service tried to send", ["template", "outcome"], registry=registry
        )
        self.email_bounces = Counter(
            "email_bounces_total", "SES bounce notifications by bounce type", ["type"], registry=registry
        )
        self.email_complaints = Counter(
            "email_complaints_total", "SES complaint notifications", registry=registry
        )
        self.email_deliveries = Counter(
            "email_deliveries_total", "SES delivery notifications", registry=registry
        )
        self.email_suppressions = Counter(
            "email_suppressions_total",
            "Addresses added to the suppression list",
            ["reason"],
            registry=registry,
        )
        self.sms_send = Counter(
            "sms_send_total", "SMS provider attempts by outcome", ["provider", "outcome"], registry=registry
        )
        self.sms_skipped = Counter(
            "sms_skipped_total",
            "SMS providers skipped by the router",
            ["provider", "reason"],
            registry=registry,
        )
        self.sms_failover = Counter(
            "sms_failover_total",
            "SMS taken by a later provider after an earlier one failed",
            ["from_provider", "to_provider"],
            registry=registry,
        )
        self.sms_circuit_state = Gauge(
            "sms_circuit_state",
            "SMS provider circuit: 0 closed, 1 half-open, 2 open",
            ["provider"],
            registry=registry,
            # several workers each keep their own circuit: the worst live one (multiprocess mode only)
            multiprocess_mode="livemax",
        )
        self.sms_delivery_status = Counter(
            "sms_delivery_status_total",
            "SMS delivery reports received",
            ["provider", "status"],
            registry=registry,
        )
        self.sms_resend = Counter(
            "sms_resend_total",
            "Undelivered SMS resent through another provider",
            ["outcome"],
            registry=registry,
        )

    def count_email_sends(
        self, template_of: Callable[[Any], str], known: Callable[[], Collection[str]] | None = None
    ) -> Callable[[Handler[Any, Any]], Handler[Any, Any]]:
        """Count each send in ``email_send_total{template,outcome}``: a returned outcome word from
        ``EMAIL_OUTCOMES`` as it is, any other returned value (a ``Created`` notification) as ``sent``,
        an error by ``email_outcome``. ``template_of(message)`` names the template; one not in
        ``known()`` is labelled ``unknown`` (label values stay bounded)."""

        def template(message: Any) -> str:
            name = template_of(message)
            return name if known is None or name in known() else "unknown"

        def on_result(message: Any, result: Any) -> None:
            outcome = result if isinstance(result, str) else "sent"
            if outcome in EMAIL_OUTCOMES:
                self.email_send.labels(template(message), outcome).inc()

        def on_error(message: Any, error: BaseException) -> None:
            self.email_send.labels(template(message), email_outcome(error)).inc()

        return observed(on_result, on_error)

    def count_sms_resends(self) -> Callable[[Handler[Any, str]], Handler[Any, str]]:
        """Count what the resend of an undelivered SMS did in ``sms_resend_total{outcome}``."""

        def on_result(_event: Any, outcome: str) -> None:
            if outcome in SMS_RESEND_OUTCOMES:
                self.sms_resend.labels(outcome).inc()

        return observed(on_result)

    def watch_suppressions(self, count: Callable[[], int]) -> None:
        """Export ``email_suppressed_addresses`` computed by ``count`` at each scrape."""
        self.registry.register(_SuppressedCollector(count))
