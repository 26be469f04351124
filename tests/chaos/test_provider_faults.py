"""Providers misbehave in the middle of a checkout storm, then recover: the service's answers stay
bounded by its timeouts, clients get retryable 503s (never a 500), and once the fault is lifted every
order is PAID, with every webhook acknowledged."""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

import pytest

from tests.chaos.storm import (
    CHECKOUTS,
    checkout_storm,
    drain,
    order_statuses,
    pay_with_paypal,
    report_storm,
    settle,
    tally,
)
from tests.support_lab import run_lab

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.chaos]

TIMEOUT_S = 1.0  # the service's provider timeout in these cases (PROVIDER_TIMEOUT_SECONDS)
#: how long PayPal fails (a minute in the full suite: CHAOS_FAULT_SECONDS=60)
FAULT_S = float(os.environ.get("CHAOS_FAULT_SECONDS", "4"))


@pytest.mark.parametrize(
    ("case", "action", "fault_s"),
    [
        ("stripe-hang", {"type": "hang", "seconds": 30}, 4.0),
        ("stripe-500s", {"type": "status", "status": 500}, 4.0),
    ],
)
def test_a_failing_stripe_delays_checkouts_but_loses_none(
    tmp_path: Path, case: str, action: dict[str, Any], fault_s: float
) -> None:
    env = {"PROVIDER_TIMEOUT_SECONDS": str(TIMEOUT_S)}
    with run_lab(tmp_path, ["stripe"], service_env=env) as lab:
        stripe = lab.sim("stripe")
        lifted = threading.Event()

        def fault_then_lift() -> None:
            stripe.fault(method="POST", path="/v1/payment_intents", action=action)
            lifted.wait(fault_s)
            stripe.client.clear_faults()
            lifted.set()

        lifter = threading.Thread(target=fault_then_lift, daemon=True)
        lifter.start()
        storm = checkout_storm(lab.url)
        lifter.join(30)
        statuses = settle(lab.url, storm.order_ids, lambda seconds: stripe.advance(seconds))
        webhooks = tally(drain(stripe))
        attempts = int(lab.env.get("PROVIDER_RETRY_MAX_ATTEMPTS", "3"))
        report_storm(
            case,
            CHECKOUTS,
            statuses,
            storm,
            webhooks,
            slowest_answer_seconds=storm.slowest,
        )
        assert statuses == {"PAID": CHECKOUTS}, statuses
        assert "500" not in storm.answers, storm.answers
        assert storm.answers["503"] > 0, "no client met the fault: the case tested nothing"
        # a hung provider costs at most its timeout per attempt (plus the short backoffs), never more
        assert max(storm.slowest.values()) < attempts * TIMEOUT_S + 3, storm.slowest
        assert webhooks["deliveries"] == webhooks.get("succeeded") == CHECKOUTS, webhooks
        assert order_statuses(lab.url, storm.order_ids) == {"PAID": CHECKOUTS}


def test_paypal_answering_500s_delays_checkouts_but_loses_none(tmp_path: Path) -> None:
    with run_lab(tmp_path, ["paypal"]) as lab:
        paypal = lab.sim("paypal")
        lifted = threading.Timer(FAULT_S, paypal.client.clear_faults)
        paypal.fault(method="*", path="/v2/checkout/orders*", status=500)
        lifted.start()
        storm = checkout_storm(lab.url, pay=pay_with_paypal, deadline_s=FAULT_S + 90)
        lifted.join()
        statuses = settle(lab.url, storm.order_ids, lambda seconds: paypal.advance(seconds))
        webhooks = tally(drain(paypal))
        report_storm(
            "paypal-500s",
            CHECKOUTS,
            statuses,
            storm,
            webhooks,
            fault_seconds=FAULT_S,
        )
        assert statuses == {"PAID": CHECKOUTS}, statuses
        assert "500" not in storm.answers and storm.answers["503"] > 0, storm.answers
        assert webhooks["deliveries"] == webhooks.get("succeeded"), webhooks
