"""``SmsServiceRouter``: the seed's "Multi-Provider Support", with regions, circuits and failover.

For one SMS (``send``):

1. The number is parsed with ``phonenumbers``. It must be E.164 (``+`` and country code) and a valid
   number, else ``InvalidPhoneNumber`` before any provider is called. Its region (``US``, ``GB``...)
   comes from the number.
2. Providers are tried in ``SMS_PROVIDERS`` order (default SNS, then Twilio). A provider is skipped when
   it does not support the region (``SMS_<PROVIDER>_REGIONS``) or its circuit is open
   (``is_available()``; see ``circuit_breaker.py``).
3. A permanent refusal of the recipient (``SmsRecipientRejected``: Twilio 21211/21610/21614, SNS
   ``InvalidParameter``) fails at once: another provider would refuse it too. Any other provider error
   (timeouts, 5xx, 429/20429, auth...) falls through to the next provider.
4. When no provider took it: ``SmsRegionUnsupported`` if none supports the region, otherwise the seed's
   ``AllSmsProvidersFailedException`` with the providers tried and why each failed.

The answer (``SmsDispatch``) names the provider that took the SMS, its message id and every provider
tried in order. Metrics: ``sms_send_total{provider,outcome}``, ``sms_skipped_total{provider,reason}``,
``sms_failover_total{from_provider,to_provider}``. Log lines name providers and codes, never the number
or the text.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Sequence
from typing import Any

import phonenumbers

from reference_service.adapters.circuit_breaker import CircuitBreaker
from reference_service.adapters.sms_providers import RegionFilter
from reference_service.observability.notification_metrics import NotificationMetrics
from reference_service.ports import SmsDispatch, SmsProvider
from reference_service.service_layer.errors import ProviderError
from reference_service.service_layer.notification_errors import (
    AllSmsProvidersFailedException,
    InvalidPhoneNumber,
    ProviderFailure,
    SmsRecipientRejected,
    SmsRegionUnsupported,
)

logger = logging.getLogger(__name__)


def normalize(phone: str) -> tuple[str, str]:
    """``(E.164, region)`` for a valid number written in E.164; ``InvalidPhoneNumber`` otherwise."""
    text = phone.strip()
    if not text.startswith("+"):
        raise InvalidPhoneNumber("it must start with + and the country code (E.164), e.g. +14155550100")
    digits = text[1:]
    if not digits.isdigit() or not 2 <= len(digits) <= 15:
        raise InvalidPhoneNumber("after the + it must be 2 to 15 digits, with no spaces or punctuation")
    try:
        number = phonenumbers.parse(text, None)
    except phonenumbers.NumberParseException:
        raise InvalidPhoneNumber("the country code is not known") from None
    if not phonenumbers.is_valid_number(number):
        raise InvalidPhoneNumber("no such number in its country's numbering plan")
    region = phonenumbers.region_code_for_number(number) or "ZZ"
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164), region


class SmsServiceRouter:
    """``SmsRouter`` over ``providers`` in order (see the module docstring)."""

    def __init__(self, providers: Sequence[SmsProvider], metrics: NotificationMetrics) -> None:
        if not providers:
            raise ValueError("the SMS router needs at least one provider")
        self.providers = list(providers)
        self.metrics = metrics

    def normalize(self, phone: str) -> tuple[str, str]:
        return normalize(phone)

    def send(self, phone: str, message: str, *, exclude: Collection[str] = ()) -> SmsDispatch:
        number, region = normalize(phone)
        tried: list[str] = []
        failures: list[ProviderFailure] = []
        skipped: dict[str, str] = {}
        for provider in self.providers:
            if provider.name in exclude:
                skipped[provider.name] = "excluded"
                continue
            if not provider.supports_region(region):
                skipped[provider.name] = "region"
                self.metrics.sms_skipped.labels(provider.name, "region").inc()
                continue
            if not provider.is_available():
                skipped[provider.name] = "circuit_open"
                self.metrics.sms_skipped.labels(provider.name, "circuit_open").inc()
                logger.info("sms provider %s skipped: circuit open", provider.name)
                continue
            tried.append(provider.name)
            try:
                result = provider.send(number, message)
            except SmsRecipientRejected as rejected:
                self.metrics.sms_send.labels(provider.name, "rejected").inc()
                logger.info("sms rejected by %s (%s): no failover", provider.name, rejected.provider_code)
                rejected.tried = list(tried)
                raise
            except ProviderError as error:
                self.metrics.sms_send.labels(provider.name, "failed").inc()
                failures.append(
                    ProviderFailure(provider.name, error.code, error.retryable, error.provider_code)
                )
                logger.warning(
                    "sms provider %s failed (%s, %s); trying the next one",
                    provider.name,
                    error.code,
                    error.provider_code,
                )
                continue
            self.metrics.sms_send.labels(provider.name, "success").inc()
            if failures:
                self.metrics.sms_failover.labels(failures[-1].provider, provider.name).inc()
            return SmsDispatch(provider.name, result.message_id, result.status, tuple(tried), region)
        reasons = set(skipped.values())
        if not tried and "region" in reasons and "circuit_open" not in reasons:
            self.metrics.sms_send.labels("none", "unsupported_region").inc()
            raise SmsRegionUnsupported(region)
        self.metrics.sms_send.labels("none", "all_failed").inc()
        logger.warning("sms not sent: all providers failed (tried %s, skipped %s)", tried, skipped)
        raise AllSmsProvidersFailedException(tried, failures, skipped)

    def reset_circuits(self) -> None:
        for provider in self.providers:
            breaker = getattr(provider, "breaker", None)
            if isinstance(breaker, CircuitBreaker):
                breaker.reset()

    def describe(self) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for position, provider in enumerate(self.providers):
            breaker = getattr(provider, "breaker", None)
            regions = getattr(provider, "regions", None)
            out.append(
                {
                    "name": provider.name,
                    "position": position + 1,
                    "regions": regions.describe() if isinstance(regions, RegionFilter) else ["*"],
                    "circuit": breaker.snapshot() if isinstance(breaker, CircuitBreaker) else None,
                }
            )
        return out
