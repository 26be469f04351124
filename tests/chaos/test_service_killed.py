"""The service is killed with SIGKILL in the middle of a checkout storm and started again on the same
database: client retries (same Idempotency-Key), the Stripe simulator's webhook retries and
commit-before-ack bring every order to PAID. Nothing is lost."""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.chaos.storm import checkout_storm, drain, order_statuses, report, settle, tally
from tests.support import run_service
from tests.support_lab import run_lab

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.chaos]

#: the storm tried by hand before this test existed: 40 checkouts, the service killed halfway
CHECKOUTS = int(os.environ.get("CHAOS_CHECKOUTS", "40"))


def test_a_service_killed_mid_storm_loses_no_order(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'chaos.db'}"
    with (
        run_lab(tmp_path, ["stripe"], service_env={"DATABASE_URL": db}) as lab,
        contextlib.ExitStack() as later,
    ):
        port = urlsplit(lab.url).port
        stripe = lab.sim("stripe")
        killed, restarted = threading.Event(), threading.Event()
        downtime: dict[str, float] = {}

        def kill_and_restart() -> None:
            started = time.monotonic()
            lab.service.stop(signal.SIGKILL)
            time.sleep(1.0)  # down long enough for requests and webhook deliveries to fail
            (tmp_path / "restarted").mkdir(exist_ok=True)
            later.enter_context(run_service(tmp_path / "restarted", env=lab.env, port=port))
            downtime["seconds"] = round(time.monotonic() - started, 2)
            restarted.set()

        def at_half_way(created: int) -> None:
            if created >= CHECKOUTS // 2 and not killed.is_set():
                killed.set()
                threading.Thread(target=kill_and_restart, daemon=True).start()

        storm = checkout_storm(lab.url, CHECKOUTS, on_progress=at_half_way)
        assert restarted.wait(60), "the service did not come back"
        statuses = settle(lab.url, storm.order_ids, lambda seconds: stripe.advance(seconds))
        webhooks = tally(drain(stripe))  # deliveries that failed while it was down are retried and acked
        report(
            "service-sigkill",
            checkouts=CHECKOUTS,
            orders=dict(statuses),
            lost=CHECKOUTS - statuses.get("PAID", 0),
            client_answers=dict(storm.answers),
            webhooks=webhooks,
            downtime_seconds=downtime.get("seconds"),
        )
        assert len(set(storm.order_ids)) == CHECKOUTS  # one order per checkout, retries included
        assert statuses == {"PAID": CHECKOUTS}, statuses
        assert storm.answers["error"] > 0, "the kill was never felt by a client: the case tested nothing"
        assert webhooks["deliveries"] == webhooks.get("succeeded"), webhooks  # every one acknowledged at last
        assert order_statuses(lab.url, storm.order_ids) == {
            "PAID": CHECKOUTS
        }  # late deliveries changed nothing
