"""The SMS router: E.164 validation up front, provider order, regions, circuits, no failover on a
permanent refusal, failover on anything else, AllSmsProvidersFailedException, and its metrics."""

from __future__ import annotations

import pytest
from prometheus_client import CollectorRegistry

from reference_service.adapters.circuit_breaker import CircuitBreaker
from reference_service.adapters.sms_router import SmsServiceRouter, normalize
from reference_service.observability.notification_metrics import NotificationMetrics
from reference_service.service_layer.errors import ProviderError
from reference_service.service_layer.notification_errors import (
    AllSmsProvidersFailedException,
    InvalidPhoneNumber,
    SmsRecipientRejected,
    SmsRegionUnsupported,
)
from tests.fakes import FakeSmsProvider

US = "+14155550100"


def transient(provider: str) -> ProviderError:
    return ProviderError(
        provider, "SMS_PROVIDER_ERROR", "down", retryable=True, status=503, provider_code="500"
    )


def rejected(provider: str, code: str = "21610") -> SmsRecipientRejected:
    return SmsRecipientRejected(provider, "RECIPIENT_OPTED_OUT", "opted out", provider_code=code)


@pytest.fixture
def metrics() -> NotificationMetrics:
    return NotificationMetrics(CollectorRegistry())


def sample(metrics: NotificationMetrics, name: str, **labels: str) -> float:
    value = metrics.registry.get_sample_value(name, labels)
    return value or 0.0


def make(metrics: NotificationMetrics, *providers: FakeSmsProvider) -> SmsServiceRouter:
    return SmsServiceRouter(list(providers), metrics)


@pytest.mark.parametrize(
    ("phone", "reason"),
    [
        ("4155550100", "must start with +"),
        ("+1 415 555 0100", "2 to 15 digits"),
        ("+1415555010012345", "2 to 15 digits"),
        ("+999123456", "country code"),
        ("+1415555", "numbering plan"),
    ],
)
def test_a_number_that_is_not_valid_e164_is_rejected_before_any_provider(
    metrics: NotificationMetrics, phone: str, reason: str
) -> None:
    sns = FakeSmsProvider("sns")
    with pytest.raises(InvalidPhoneNumber, match=reason):
        make(metrics, sns).send(phone, "hi")
    assert sns.sent == []


def test_normalize_gives_e164_and_the_region() -> None:
    assert normalize(" +447400123456 ") == ("+447400123456", "GB")
    assert normalize(US) == (US, "US")
    assert normalize("+15005550006") == ("+15005550006", "US")  # Twilio's magic numbers are valid


def test_the_first_provider_takes_it(metrics: NotificationMetrics) -> None:
    sns, twilio = FakeSmsProvider("sns"), FakeSmsProvider("twilio")
    dispatch = make(metrics, sns, twilio).send(US, "hi")
    assert (dispatch.provider, dispatch.tried, dispatch.region) == ("sns", ("sns",), "US")
    assert sns.sent == [(US, "hi")] and twilio.sent == []
    assert sample(metrics, "sms_send_total", provider="sns", outcome="success") == 1


def test_a_transient_failure_fails_over_to_the_next(metrics: NotificationMetrics) -> None:
    sns, twilio = FakeSmsProvider("sns"), FakeSmsProvider("twilio")
    sns.will(transient("sns"))
    dispatch = make(metrics, sns, twilio).send(US, "hi")
    assert dispatch.provider == "twilio" and dispatch.tried == ("sns", "twilio")
    assert sample(metrics, "sms_failover_total", from_provider="sns", to_provider="twilio") == 1
    assert sample(metrics, "sms_send_total", provider="sns", outcome="failed") == 1


def test_a_permanent_refusal_does_not_fail_over(metrics: NotificationMetrics) -> None:
    sns, twilio = FakeSmsProvider("sns"), FakeSmsProvider("twilio")
    sns.will(rejected("sns"))
    with pytest.raises(SmsRecipientRejected) as caught:
        make(metrics, sns, twilio).send(US, "hi")
    assert caught.value.tried == ["sns"] and twilio.sent == []
    assert sample(metrics, "sms_send_total", provider="sns", outcome="rejected") == 1
    assert sns.breaker.snapshot()["consecutive_failures"] == 0  # the provider answered correctly


def test_when_all_fail_the_error_names_who_was_tried_and_why(metrics: NotificationMetrics) -> None:
    sns, twilio = FakeSmsProvider("sns"), FakeSmsProvider("twilio")
    sns.will(transient("sns"))
    twilio.will(ProviderError("twilio", "RATE_LIMITED", "slow", retryable=True, provider_code="20429"))
    with pytest.raises(AllSmsProvidersFailedException) as caught:
        make(metrics, sns, twilio).send(US, "hi")
    assert str(caught.value) == "All SMS providers are unavailable"
    assert caught.value.tried == ["sns", "twilio"]
    assert [(f.provider, f.code, f.provider_code) for f in caught.value.failures] == [
        ("sns", "SMS_PROVIDER_ERROR", "500"),
        ("twilio", "RATE_LIMITED", "20429"),
    ]
    assert sample(metrics, "sms_send_total", provider="none", outcome="all_failed") == 1


def test_an_open_circuit_is_skipped_and_then_probed_after_the_cool_down(metrics: NotificationMetrics) -> None:
    now = [0.0]
    sns = FakeSmsProvider("sns", breaker=CircuitBreaker("sns", 2, 10.0, clock=lambda: now[0]))
    twilio = FakeSmsProvider("twilio")
    router = make(metrics, sns, twilio)
    sns.will(transient("sns"), transient("sns"))
    assert router.send(US, "1").tried == ("sns", "twilio")
    assert router.send(US, "2").tried == ("sns", "twilio")
    assert sns.breaker.state == "open"
    third = router.send(US, "3")
    assert third.tried == ("twilio",) and len(sns.sent) == 0
    assert sample(metrics, "sms_skipped_total", provider="sns", reason="circuit_open") == 1
    now[0] += 10
    assert router.send(US, "4").tried == ("sns",)  # the half-open probe succeeds
    assert sns.breaker.state == "closed"


def test_both_circuits_open_is_all_failed_with_nothing_tried(metrics: NotificationMetrics) -> None:
    sns = FakeSmsProvider("sns", breaker=CircuitBreaker("sns", 1, 60.0))
    twilio = FakeSmsProvider("twilio", breaker=CircuitBreaker("twilio", 1, 60.0))
    sns.breaker.record_failure()
    twilio.breaker.record_failure()
    with pytest.raises(AllSmsProvidersFailedException) as caught:
        make(metrics, sns, twilio).send(US, "hi")
    assert caught.value.tried == [] and caught.value.skipped == {
        "sns": "circuit_open",
        "twilio": "circuit_open",
    }


def test_regions_route_and_an_unsupported_region_is_its_own_error(metrics: NotificationMetrics) -> None:
    sns, twilio = FakeSmsProvider("sns", regions={"US", "CA"}), FakeSmsProvider("twilio", regions={"GB"})
    router = make(metrics, sns, twilio)
    assert router.send("+447400123456", "hi").tried == ("twilio",)
    assert router.send(US, "hi").tried == ("sns",)
    with pytest.raises(SmsRegionUnsupported) as caught:
        router.send("+33612345678", "bonjour")
    assert caught.value.region == "FR"
    assert sample(metrics, "sms_skipped_total", provider="sns", reason="region") == 2


def test_exclude_leaves_a_provider_out(metrics: NotificationMetrics) -> None:
    sns, twilio = FakeSmsProvider("sns"), FakeSmsProvider("twilio")
    assert make(metrics, sns, twilio).send(US, "hi", exclude={"twilio"}).provider == "sns"
    with pytest.raises(AllSmsProvidersFailedException) as caught:
        make(metrics, twilio).send(US, "hi", exclude={"twilio"})
    assert caught.value.skipped == {"twilio": "excluded"}


def test_describe_lists_order_regions_and_circuits(metrics: NotificationMetrics) -> None:
    described = make(metrics, FakeSmsProvider("sns"), FakeSmsProvider("twilio")).describe()
    assert [(d["name"], d["position"]) for d in described] == [("sns", 1), ("twilio", 2)]
    assert described[0]["circuit"]["state"] == "closed"
