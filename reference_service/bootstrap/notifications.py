"""Wiring of the notifications area: the email template engine and SES sender, the SMS providers behind
their circuit breakers and the router, SNS message verification and the lab's SES feedback provisioning,
the commands, the relay's reactions (order confirmation, SMS resend), health checks and metrics.

``notification_components(container)`` returns the ``NotificationComponents``. Handlers read the
adapters from it at call time, so a test swaps one by assigning to it (``components.sender = fake``)
after ``bootstrap``.

- ``email_send_total`` is counted here, around the email handlers, from their outcome or error.
- SMS circuits: ``SMS_CIRCUIT_FAILURE_THRESHOLD`` consecutive failures open a provider's circuit for
  ``SMS_CIRCUIT_RESET_SECONDS``; ``sms_circuit_state{provider}`` follows it.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from reference_service.adapters.circuit_breaker import STATE_VALUES, CircuitBreaker
from reference_service.adapters.email_templates import JinjaEmailTemplates, format_money
from reference_service.adapters.notification_repository import count_suppressions
from reference_service.adapters.retry import RetryPolicy
from reference_service.adapters.ses_email import SesEmailSender
from reference_service.adapters.ses_feedback import (
    FeedbackState,
    SesFeedbackProvisioner,
    SubscriptionConfirmer,
)
from reference_service.adapters.sms_router import SmsServiceRouter
from reference_service.adapters.sns_messages import SnsMessageVerifier, sns_certificates
from reference_service.adapters.sns_sms import AwsSnsProvider
from reference_service.adapters.twilio_sms import TwilioProvider
from reference_service.bootstrap import AreaWiring, Container
from reference_service.bootstrap.payments import retry_policy
from reference_service.domain.events import Event, OrderStatusChanged
from reference_service.domain.notification_commands import (
    ApplyEmailFeedback,
    ApplySmsStatus,
    SendEmail,
    SendSms,
)
from reference_service.domain.notifications import SmsDeliveryFailed
from reference_service.observability.health import DOWN, UP, CallableHealthChecker, CheckResult
from reference_service.observability.notification_metrics import NotificationMetrics
from reference_service.ports import EmailSender, EmailTemplates, SmsProvider, SmsRouter
from reference_service.service_layer.errors import ProviderError
from reference_service.service_layer.handlers import notifications as handlers
from reference_service.service_layer.messagebus import Subscriber
from reference_service.service_layer.notification_errors import (
    EmailVariablesInvalid,
    RecipientSuppressed,
    UnknownEmailTemplate,
)

AREA = "notifications"


@dataclass
class NotificationComponents:
    """The area's adapters (tests may replace ``templates``, ``sender`` and ``router``)."""

    templates: EmailTemplates
    sender: EmailSender
    router: SmsRouter
    metrics: NotificationMetrics
    feedback: FeedbackState
    verifier: SnsMessageVerifier
    confirmer: SubscriptionConfirmer
    provisioner: SesFeedbackProvisioner
    breakers: dict[str, CircuitBreaker] = field(default_factory=dict)


def notification_components(container: Container) -> NotificationComponents:
    components = container.areas[AREA]
    assert isinstance(components, NotificationComponents)
    return components


def sms_retry_policy(container: Container) -> RetryPolicy:
    """The shared policy with ``SMS_RETRY_MAX_ATTEMPTS`` attempts (1 by default: failing over is the
    retry, so a customer never waits through a backoff while another provider is available)."""
    s = container.settings
    return RetryPolicy(
        s.sms_retry_max_attempts, s.provider_retry_initial_seconds, s.provider_retry_max_seconds
    )


def build_sms_providers(
    container: Container, metrics: NotificationMetrics, clock: Callable[[], float] = time.monotonic
) -> tuple[list[SmsProvider], dict[str, CircuitBreaker]]:
    """SNS and Twilio in ``SMS_PROVIDERS`` order, each behind its own circuit breaker."""
    s = container.settings
    retry = sms_retry_policy(container)

    def on_change(name: str, state: str) -> None:
        metrics.sms_circuit_state.labels(name).set(STATE_VALUES[state])

    breakers: dict[str, CircuitBreaker] = {}
    providers: list[SmsProvider] = []
    for name in s.sms_provider_order:
        breaker = CircuitBreaker(
            name,
            s.sms_circuit_failure_threshold,
            s.sms_circuit_reset_seconds,
            clock=clock,
            on_change=on_change,
        )
        metrics.sms_circuit_state.labels(name).set(0)
        breakers[name] = breaker
        if name == "sns":
            providers.append(AwsSnsProvider(s, container.metrics, retry, breaker))
        else:
            providers.append(TwilioProvider(s, container.metrics, retry, breaker))
    return providers, breakers


def _components(container: Container) -> NotificationComponents:
    s = container.settings
    metrics = NotificationMetrics(container.metrics.registry)
    providers, breakers = build_sms_providers(container, metrics)
    feedback = FeedbackState(state="pending" if s.provision_aws else "disabled")
    certificates = sns_certificates(s.sns_cert_hosts.split(","), timeout=s.provider_timeout_seconds)
    return NotificationComponents(
        templates=JinjaEmailTemplates(),
        sender=SesEmailSender(s, container.metrics, retry_policy(container)),
        router=SmsServiceRouter(providers, metrics),
        metrics=metrics,
        feedback=feedback,
        verifier=SnsMessageVerifier(certificates, [s.ses_feedback_topic]),
        confirmer=SubscriptionConfirmer(container.metrics, feedback, s.provider_timeout_seconds),
        provisioner=SesFeedbackProvisioner(s, container.metrics, feedback),
        breakers=breakers,
    )


def _email_outcome(error: BaseException) -> str:
    if isinstance(error, EmailVariablesInvalid | UnknownEmailTemplate):
        return "invalid"
    if isinstance(error, RecipientSuppressed):
        return "suppressed"
    if isinstance(error, ProviderError):
        return "failed" if error.retryable else "rejected"
    return "error"


def _register_health(container: Container, comps: NotificationComponents) -> None:
    ttl = container.settings.provider_health_cache_seconds
    cache: dict[str, tuple[float, CheckResult]] = {}

    def email() -> CheckResult:
        hit = cache.get("email")
        if hit is not None and time.monotonic() - hit[0] < ttl:
            return hit[1]
        try:
            result = CheckResult(UP, comps.sender.check_health())
        except Exception as exc:
            result = CheckResult(DOWN, {"error": f"{type(exc).__name__}"})
        cache["email"] = (time.monotonic(), result)
        return result

    def sms() -> CheckResult:
        providers = comps.router.describe()
        closed = [p for p in providers if (p["circuit"] or {}).get("state", "closed") != "open"]
        return CheckResult(UP if closed else DOWN, {"providers": providers})

    def feedback() -> CheckResult:
        snap = comps.feedback.snapshot()
        return CheckResult(DOWN if snap["state"] == "failed" else UP, snap)

    container.health.register(CallableHealthChecker("email", email, critical=False))
    container.health.register(CallableHealthChecker("sms", sms, critical=False))
    container.health.register(CallableHealthChecker("ses_feedback", feedback, critical=False))


def wire(container: Container) -> AreaWiring:
    comps = _components(container)
    container.areas[AREA] = comps
    metrics = comps.metrics
    s = container.settings
    uow, clock, ids = container.uow, container.clock, container.ids

    def count_suppressed() -> int:
        session: Session = container.read_sessions()
        try:
            return count_suppressions(session)
        finally:
            session.close()

    metrics.watch_suppressions(count_suppressed)
    _register_health(container, comps)

    def send_email(cmd: SendEmail) -> Any:
        try:
            result = handlers.send_email(
                cmd, uow_factory=uow, clock=clock, ids=ids, templates=comps.templates, sender=comps.sender
            )
        except Exception as error:
            template = cmd.template if cmd.template in comps.templates.names() else "unknown"
            metrics.email_send.labels(template, _email_outcome(error)).inc()
            raise
        metrics.email_send.labels(cmd.template, "sent").inc()
        return result

    def send_sms(cmd: SendSms) -> Any:
        return handlers.send_sms(cmd, uow_factory=uow, clock=clock, ids=ids, router=comps.router)

    def order_confirmation(event: OrderStatusChanged) -> None:
        if event.status != "PAID":
            return
        try:
            outcome = handlers.send_order_confirmation(
                event,
                uow_factory=uow,
                clock=clock,
                ids=ids,
                templates=comps.templates,
                sender=comps.sender,
                money=format_money,
            )
        except Exception as error:
            metrics.email_send.labels(handlers.ORDER_CONFIRMATION, _email_outcome(error)).inc()
            raise
        if outcome in ("sent", "suppressed", "rejected", "invalid"):
            metrics.email_send.labels(handlers.ORDER_CONFIRMATION, outcome).inc()

    def resend(event: SmsDeliveryFailed) -> None:
        outcome = handlers.resend_undelivered_sms(
            event,
            uow_factory=uow,
            clock=clock,
            ids=ids,
            router=comps.router,
            enabled=s.sms_retry_undelivered_on_other_provider,
            transient_codes=s.sms_transient_codes,
        )
        if outcome in ("resent", "rejected", "no_other_provider"):
            metrics.sms_resend.labels(outcome).inc()

    subscribers: dict[type[Event], list[Subscriber]] = {
        SmsDeliveryFailed: [Subscriber("notifications.resend_undelivered_sms", resend)],
    }
    if s.email_order_confirmation:
        subscribers[OrderStatusChanged] = [Subscriber("notifications.order_confirmation", order_confirmation)]
    return AreaWiring(
        command_handlers={
            SendEmail: send_email,
            SendSms: send_sms,
            ApplyEmailFeedback: functools.partial(
                handlers.apply_email_feedback, uow_factory=uow, clock=clock
            ),
            ApplySmsStatus: functools.partial(handlers.apply_sms_status, uow_factory=uow, clock=clock),
        },
        subscribers=subscribers,
    )
