"""Wiring of the notifications area: the email template engine and SES sender, the SMS providers behind
their circuit breakers and the router, SNS message verification and the lab's SES feedback provisioning,
the commands, what the relay runs (the ``SendConfirmationWhenPaid`` policy, the SMS resend), health
checks and metrics.

``container.notifications`` is the typed ``NotificationsArea``. Handlers read its adapters at call time,
so a test swaps one by assigning to it (``container.notifications.sender = fake``) after ``bootstrap``.

- ``email_send_total`` and ``sms_resend_total`` are counted by the decorators of
  ``observability/notification_metrics.py`` around the handlers wired here.
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
from reference_service.bootstrap import Platform, Wiring
from reference_service.bootstrap.payments import retry_policy
from reference_service.config import Settings
from reference_service.domain.events import OrderStatusChanged
from reference_service.domain.notification_commands import (
    ApplyEmailFeedback,
    ApplySmsStatus,
    SendEmail,
    SendSms,
)
from reference_service.domain.notifications import SmsDeliveryFailed
from reference_service.observability.checks import provider_check, ses_feedback_check, sms_check
from reference_service.observability.metrics import ServiceMetrics
from reference_service.observability.notification_metrics import NotificationMetrics
from reference_service.ports import EmailSender, EmailTemplates, SmsProvider, SmsRouter
from reference_service.service_layer.handlers import notifications as handlers
from reference_service.service_layer.messagebus import Subscriber
from reference_service.service_layer.policies import SendConfirmationWhenPaid


@dataclass
class NotificationsArea:
    """The area's adapters (tests may replace ``templates``, ``sender``, ``router``, ``verifier`` and
    ``confirmer``)."""

    templates: EmailTemplates
    sender: EmailSender
    router: SmsRouter
    metrics: NotificationMetrics
    feedback: FeedbackState
    verifier: SnsMessageVerifier
    confirmer: SubscriptionConfirmer
    provisioner: SesFeedbackProvisioner
    breakers: dict[str, CircuitBreaker] = field(default_factory=dict)


def sms_retry_policy(settings: Settings) -> RetryPolicy:
    """The shared policy with ``SMS_RETRY_MAX_ATTEMPTS`` attempts (1 by default: failing over is the
    retry, so a customer never waits through a backoff while another provider is available)."""
    return RetryPolicy(
        settings.sms_retry_max_attempts,
        settings.provider_retry_initial_seconds,
        settings.provider_retry_max_seconds,
    )


def build_sms_providers(
    settings: Settings,
    service_metrics: ServiceMetrics,
    metrics: NotificationMetrics,
    clock: Callable[[], float] = time.monotonic,
) -> tuple[list[SmsProvider], dict[str, CircuitBreaker]]:
    """SNS and Twilio in ``SMS_PROVIDERS`` order, each behind its own circuit breaker."""
    retry = sms_retry_policy(settings)

    def on_change(name: str, state: str) -> None:
        metrics.sms_circuit_state.labels(name).set(STATE_VALUES[state])

    breakers: dict[str, CircuitBreaker] = {}
    providers: list[SmsProvider] = []
    shared = settings.circuit_breaker_redis_url
    make_breaker: Callable[..., CircuitBreaker] = CircuitBreaker
    if shared:  # redis (a quarter of a second to import) only when the circuits are shared
        import redis

        from reference_service.adapters.shared_circuit import RedisCircuitBreaker

        # short timeouts: a slow Redis must cost a call less than the provider's own failure would
        client = redis.Redis.from_url(shared, socket_timeout=0.25, socket_connect_timeout=0.25)
        namespace = settings.ratelimit_key_prefix  # the same namespace as the rate limit's keys
        make_breaker = functools.partial(RedisCircuitBreaker, client, namespace)
    for name in settings.sms_provider_order:
        args = (name, settings.sms_circuit_failure_threshold, settings.sms_circuit_reset_seconds)
        breaker = make_breaker(*args, clock=clock, on_change=on_change)
        metrics.sms_circuit_state.labels(name).set(0)
        breakers[name] = breaker
        if name == "sns":
            providers.append(AwsSnsProvider(settings, service_metrics, retry, breaker))
        else:
            providers.append(TwilioProvider(settings, service_metrics, retry, breaker))
    return providers, breakers


def _area(platform: Platform) -> NotificationsArea:
    settings = platform.settings
    metrics = NotificationMetrics(platform.metrics.registry)
    providers, breakers = build_sms_providers(settings, platform.metrics, metrics)
    feedback = FeedbackState(state="pending" if settings.provision_aws else "disabled")
    certificates = sns_certificates(
        settings.sns_cert_hosts.split(","), timeout=settings.provider_timeout_seconds
    )
    return NotificationsArea(
        templates=JinjaEmailTemplates(),
        sender=SesEmailSender(settings, platform.metrics, retry_policy(settings)),
        router=SmsServiceRouter(providers, metrics),
        metrics=metrics,
        feedback=feedback,
        verifier=SnsMessageVerifier(certificates, [settings.ses_feedback_topic]),
        confirmer=SubscriptionConfirmer(platform.metrics, feedback, settings.provider_timeout_seconds),
        provisioner=SesFeedbackProvisioner(settings, platform.metrics, feedback),
        breakers=breakers,
    )


def build(platform: Platform) -> tuple[NotificationsArea, Wiring]:
    area = _area(platform)
    settings = platform.settings
    uow, clock, ids, metrics = platform.uow, platform.clock, platform.ids, area.metrics

    def count_suppressed() -> int:
        session: Session = platform.read_sessions()
        try:
            return count_suppressions(session)
        finally:
            session.close()

    metrics.watch_suppressions(count_suppressed)
    health = platform.health
    ttl = settings.provider_health_cache_seconds
    health.register(provider_check("email", lambda: area.sender.check_health(), ttl, critical=False))
    health.register(sms_check(lambda: area.router))
    health.register(ses_feedback_check(area.feedback))

    # each handler reads the area's adapters when it runs (see the module docstring)
    @metrics.count_email_sends(lambda cmd: cmd.template, known=lambda: area.templates.names())
    def send_email(cmd: SendEmail) -> Any:
        return handlers.send_email(
            cmd, uow_factory=uow, clock=clock, ids=ids, templates=area.templates, sender=area.sender
        )

    def send_sms(cmd: SendSms) -> Any:
        return handlers.send_sms(cmd, uow_factory=uow, clock=clock, ids=ids, router=area.router)

    def send_order_confirmation(order_id: str) -> str:
        return handlers.send_order_confirmation(
            order_id,
            uow_factory=uow,
            clock=clock,
            ids=ids,
            templates=area.templates,
            sender=area.sender,
            money=format_money,
        )

    @metrics.count_sms_resends()
    def resend_undelivered_sms(event: SmsDeliveryFailed) -> str:
        return handlers.resend_undelivered_sms(
            event,
            uow_factory=uow,
            clock=clock,
            ids=ids,
            router=area.router,
            enabled=settings.sms_retry_undelivered_on_other_provider,
            transient_codes=settings.sms_transient_codes,
        )

    confirmation = SendConfirmationWhenPaid(
        metrics.count_email_sends(lambda _event: handlers.ORDER_CONFIRMATION)(send_order_confirmation),
        enabled=settings.email_order_confirmation,
    )
    wiring = Wiring(
        command_handlers={
            SendEmail: send_email,
            SendSms: send_sms,
            ApplyEmailFeedback: functools.partial(
                handlers.apply_email_feedback, uow_factory=uow, clock=clock
            ),
            ApplySmsStatus: functools.partial(handlers.apply_sms_status, uow_factory=uow, clock=clock),
        },
        subscribers={
            SmsDeliveryFailed: [Subscriber("notifications.resend_undelivered_sms", resend_undelivered_sms)],
            OrderStatusChanged: [Subscriber(confirmation.name, confirmation)],
        },
    )
    return area, wiring
