"""The Payment aggregate's status machine, events and idempotency key."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest

from reference_service.domain.errors import IllegalTransition
from reference_service.domain.payments import (
    PAYMENT_TRANSITIONS,
    Payment,
    PaymentCreated,
    PaymentFailed,
    PaymentProvider,
    PaymentStatus,
    PaymentSucceeded,
)

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def new(status: PaymentStatus = PaymentStatus.CREATED) -> Payment:
    p = Payment.start("pay_1", "ord_1", PaymentProvider.STRIPE, 2, 1999, "USD", T0)
    p.status = status
    p.events.clear()
    return p


def test_start_records_created_and_derives_the_key_from_order_and_attempt() -> None:
    p = Payment.start("pay_1", "ord_1", PaymentProvider.STRIPE, 2, 1999, "USD", T0)
    assert isinstance(p.events[0], PaymentCreated)
    assert p.idempotency_key == "genai-demo-ord_1-attempt-2"


PAIRS = list(itertools.product(PaymentStatus, PaymentStatus))


@pytest.mark.parametrize(("current", "target"), PAIRS, ids=[f"{a}->{b}" for a, b in PAIRS])
def test_moves_follow_the_table(current: PaymentStatus, target: PaymentStatus) -> None:
    p = new(current)
    if target == current:
        assert p.can_transition_to(target)
        return
    if target in PAYMENT_TRANSITIONS[current]:
        assert p.can_transition_to(target)
    else:
        assert not p.can_transition_to(target)
        with pytest.raises(IllegalTransition):
            p.mark(target)


def test_success_and_failure_record_their_duration() -> None:
    ok = new(PaymentStatus.REQUIRES_ACTION)
    assert ok.succeed(T0 + timedelta(seconds=7))
    event = ok.events[-1]
    assert isinstance(event, PaymentSucceeded) and event.duration_seconds == 7
    assert ok.succeed(T0 + timedelta(seconds=9)) is False  # a duplicate changes nothing
    bad = new()
    assert bad.fail("CARD_DECLINED", "Your card was declined", T0 + timedelta(seconds=2))
    failed = bad.events[-1]
    assert isinstance(failed, PaymentFailed) and failed.failure_code == "CARD_DECLINED"


def test_a_success_never_goes_back_and_a_failure_can_still_succeed() -> None:
    p = new(PaymentStatus.SUCCEEDED)
    assert not p.can_transition_to(PaymentStatus.FAILED)
    assert not p.can_transition_to(PaymentStatus.REQUIRES_ACTION)
    failed = new(PaymentStatus.FAILED)
    assert failed.can_transition_to(PaymentStatus.SUCCEEDED)  # Stripe lets a failed intent be confirmed again
    assert not failed.can_transition_to(PaymentStatus.REQUIRES_ACTION)


def test_refund_then_dispute() -> None:
    p = new(PaymentStatus.SUCCEEDED)
    assert p.refund(500, complete=False)
    assert p.status == PaymentStatus.REFUND_PENDING and p.amount_refunded == 500
    assert p.refund(1999, complete=True)
    assert p.status == PaymentStatus.REFUNDED
    assert p.dispute("dp_1", "fraudulent", 1999)
    assert p.status == PaymentStatus.DISPUTED and p.dispute_id == "dp_1"
