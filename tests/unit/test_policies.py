"""The service's policies (``service_layer/policies.py``) with their settings given, and the one TTL cache
of health checks (``observability/health.py``)."""

from __future__ import annotations

from typing import Any

import pytest

from reference_service.domain.commands import CapturePayment
from reference_service.domain.payments import PaymentStatusChanged
from reference_service.observability.health import (
    DOWN,
    UP,
    CachedHealthChecker,
    CallableHealthChecker,
    CheckResult,
)
from reference_service.service_layer.errors import PaymentDeclined
from reference_service.service_layer.policies import CaptureOnApproval


def status_changed(provider: str = "paypal", status: str = "AUTHORIZED") -> PaymentStatusChanged:
    return PaymentStatusChanged(
        payment_id="pay_1",
        order_id="ord_1",
        provider=provider,
        previous_status="REQUIRES_ACTION",
        status=status,
    )


class Captures:
    def __init__(self, error: Exception | None = None) -> None:
        self.commands: list[CapturePayment] = []
        self.error = error

    def __call__(self, cmd: CapturePayment) -> Any:
        self.commands.append(cmd)
        if self.error is not None:
            raise self.error
        return "captured"


def test_an_approved_paypal_payment_is_captured() -> None:
    capture = Captures()
    assert CaptureOnApproval(capture, enabled=True)(status_changed()) == "captured"
    assert capture.commands == [CapturePayment(order_id="ord_1", payment_id="pay_1")]


@pytest.mark.parametrize(
    ("event", "enabled", "outcome"),
    [
        (status_changed(), False, "disabled"),
        (status_changed(provider="stripe"), True, "ignored"),
        (status_changed(status="SUCCEEDED"), True, "ignored"),
    ],
)
def test_nothing_is_captured_when_disabled_or_not_an_approval(
    event: PaymentStatusChanged, enabled: bool, outcome: str
) -> None:
    capture = Captures()
    assert CaptureOnApproval(capture, enabled=enabled)(event) == outcome
    assert capture.commands == []


def test_a_declined_capture_is_not_retried_by_the_relay() -> None:
    capture = Captures(PaymentDeclined("paypal", "INSTRUMENT_DECLINED", "declined"))
    assert CaptureOnApproval(capture, enabled=True)(status_changed()) == "declined"  # no exception


def test_a_cached_check_answers_from_its_cache_until_the_ttl_passes() -> None:
    now = [100.0]
    calls: list[int] = []

    def probe() -> CheckResult:
        calls.append(1)
        if len(calls) == 2:
            raise ConnectionError("refused")
        return CheckResult(UP, {"n": len(calls)})

    check = CachedHealthChecker(CallableHealthChecker("stripe", probe), 5.0, clock=lambda: now[0])
    assert check.check() == CheckResult(UP, {"n": 1}) and check.check() == CheckResult(UP, {"n": 1})
    now[0] += 5.0
    down = check.check()  # the error is a result too, and cached like one
    assert down.status == DOWN and down.details == {"error": "ConnectionError: refused"}
    assert check.check() is down and len(calls) == 2
    assert (check.name, check.critical) == ("stripe", True)
