"""Kafka fails in the middle of a checkout storm: consumers are SIGKILLed, or every broker goes down for
a while. Events go service -> outbox -> relay -> Kafka -> ``genai-demo consumer`` (two in one group) ->
handlers with an inbox; at the end every event the outbox published is in Kafka, the group committed
every message, each ``order.created`` has exactly one effect (one reservation, counted once in the
stock level), and every order is PAID.

The outage takes the mock cluster's brokers down through its control API (``POST
/_sim/kafka/brokers/<id>/down``, then ``up``): the brokers refuse connections on the same address and
keep their log, as a real broker's outage looks to its clients. Killing the ``genai-demo sim kafka``
process instead would be a different and unrealistic fault: the mock cluster keeps its log in memory, so
the topics and the committed offsets would be gone, which a real broker (log on disk, replicated) never
does.

Figures (orders by status, events by topic published / in Kafka / consumed, lost, duplicated effects,
webhooks) go to ``var/chaos/kafka-*.json``. ``CHAOS_CHECKOUTS`` and ``CHAOS_FAULT_SECONDS`` size the
cases (``make chaos``: 200 checkouts, both consumers killed, a 60 s outage with two consumers; ``make
test``: 24 checkouts, one consumer killed, a 3 s outage with one consumer).
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from tests.chaos.kafka_lab import KafkaLab, count_events, kafka_lab, wait_consumed
from tests.chaos.storm import (
    CHECKOUTS,
    Storm,
    checkout_storm,
    drain,
    order_statuses,
    report,
    settle,
    tally,
)

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.chaos, pytest.mark.postgres]

#: how long every broker stays down (a minute in the full suite: CHAOS_FAULT_SECONDS=60)
OUTAGE_S = float(os.environ.get("CHAOS_FAULT_SECONDS", "3"))
#: ``make chaos`` (CHAOS_CHECKOUTS=200) SIGKILLs both consumers one after the other and runs the outage
#: with two; the CI-sized cases kill one and run the outage with one, each process start costs seconds
FULL_SIZE = CHECKOUTS >= 100
VICTIMS = ("c1", "c2") if FULL_SIZE else ("c1",)


def assert_every_event_once(figures: dict[str, Any], checkouts: int) -> None:
    """Nothing lost, nothing doubled, everything consumed (see ``tests.chaos.kafka_lab``)."""
    assert figures["lost"] == 0, figures
    assert figures["duplicated_effects"] == 0, figures
    assert figures["order_created_events"] == checkouts, figures
    assert figures["reservations"] == checkouts and figures["orders_without_reservation"] == 0, figures
    for topic, counted in figures["events_by_topic"].items():
        assert counted["pending"] == counted["dead"] == 0, (topic, counted)
        assert counted["distinct_in_kafka"] == counted["published"], (topic, counted)
    orders = figures["events_by_topic"]["order-events"]
    assert orders["committed_lag"] == 0, orders
    assert orders["consumed_inbox_events"] >= checkouts, orders  # each order.created has its inbox row
    assert not any(figures["dlq_messages"].values()), figures["dlq_messages"]


def count_report_and_check(
    klab: KafkaLab,
    case: str,
    storm: Storm,
    statuses: Counter[str],
    consume_timeout_s: float = 90.0,
    **facts: Any,
) -> None:
    """Once the storm's orders settled (``statuses``): wait until the group consumed every event, count the
    events and Stripe's webhooks, write the figures with ``facts`` to ``var/chaos/<case>.json``, then assert
    that every order is PAID, every event arrived and had one effect, and every webhook was delivered."""
    consumed_s = wait_consumed(klab, timeout_s=consume_timeout_s)
    klab.mark("all_consumed")
    figures = count_events(klab, storm.order_ids)
    webhooks = tally(drain(klab.lab.sim("stripe")))
    klab.mark("counted")
    report(
        case,
        checkouts=CHECKOUTS,
        **facts,
        orders=dict(statuses),
        lost_orders=CHECKOUTS - statuses.get("PAID", 0),
        client_answers=dict(storm.answers),
        webhooks=webhooks,
        consumed_after_storm_seconds=consumed_s,
        seconds=klab.seconds,
        **figures,
    )
    assert statuses == {"PAID": CHECKOUTS}, statuses
    assert_every_event_once(figures, CHECKOUTS)
    assert webhooks["deliveries"] == webhooks.get("succeeded") == CHECKOUTS, webhooks


# make chaos only; make test keeps tests/integration/test_kafka.py's kill -9 of a consumer mid-batch
@pytest.mark.long
def test_consumers_killed_mid_storm_leave_one_effect_per_event(tmp_path: Path) -> None:
    with kafka_lab(tmp_path, consumers=2) as klab:
        lab = klab.lab
        kills: list[dict[str, Any]] = []
        created = [0]
        storm_over = threading.Event()

        restarts: list[threading.Thread] = []

        def kill_then_restart(name: str) -> None:
            victim = klab.consumers[name]
            deadline = time.monotonic() + 30
            while (handled := victim.handled()) < 1 and time.monotonic() < deadline:
                time.sleep(0.05)  # kill it while it works: once it has handled a message of its own
            victim.stop(signal.SIGKILL)
            kills.append(
                {"consumer": name, "handled_before_kill": handled, "orders_created_at_kill": created[0],
                 "exit": victim.proc.returncode}
            )  # fmt: skip

            def restart() -> None:  # down a second while checkouts flow, then a new process of the group
                time.sleep(1.0)
                klab.start_consumers(name)

            restarts.append(threading.Thread(target=restart, daemon=True))
            restarts[-1].start()

        def one_after_the_other() -> None:  # c1 at a third of the storm, c2 at two thirds
            for n, name in enumerate(VICTIMS, start=1):
                at = n * CHECKOUTS // (len(VICTIMS) + 1)
                while created[0] < at and not storm_over.wait(0.02):
                    continue
                kill_then_restart(name)

        def on_progress(count: int) -> None:
            created[0] = max(created[0], count)

        killer = threading.Thread(target=one_after_the_other, daemon=True)
        killer.start()
        storm = checkout_storm(lab.url, on_progress=on_progress)
        storm_over.set()
        klab.mark("storm_done")
        stripe = lab.sim("stripe")
        statuses = settle(lab.url, storm.order_ids, lambda seconds: stripe.advance(seconds))
        klab.mark("orders_settled")
        killer.join(60)
        for thread in restarts:  # every victim back (payments never waited for the consumers)
            thread.join(120)
        assert not killer.is_alive() and not any(t.is_alive() for t in restarts), "a restart hung"
        count_report_and_check(klab, "kafka-consumers-sigkill", storm, statuses, kills=kills)
        assert [k["exit"] for k in kills] == [-signal.SIGKILL] * len(VICTIMS), kills
        assert all(k["handled_before_kill"] >= 1 for k in kills), kills  # each killed while it worked


def test_every_broker_down_mid_storm_then_back_loses_no_event(tmp_path: Path) -> None:
    with kafka_lab(tmp_path, consumers=2 if FULL_SIZE else 1) as klab:
        lab = klab.lab
        outage: dict[str, Any] = {}
        started, lifted = threading.Event(), threading.Event()

        def outage_then_back() -> None:
            klab.brokers("down")
            began = time.monotonic()
            held = [0]
            while time.monotonic() - began < OUTAGE_S:  # the relay holds what it cannot send
                held.append(klab.pending_outbox())
                time.sleep(min(0.5, max(0.0, OUTAGE_S - (time.monotonic() - began))))
            klab.brokers("up")
            outage["pending_while_down"] = max(held)
            outage["seconds"] = round(time.monotonic() - began, 2)
            lifted.set()

        def on_progress(created: int) -> None:
            if created >= CHECKOUTS // 4 and not started.is_set():
                started.set()
                threading.Thread(target=outage_then_back, daemon=True).start()

        storm = checkout_storm(lab.url, on_progress=on_progress, deadline_s=OUTAGE_S + 90)
        klab.mark("storm_done")
        assert lifted.wait(OUTAGE_S + 30), "the brokers were never brought back"
        stripe = lab.sim("stripe")
        statuses = settle(lab.url, storm.order_ids, lambda seconds: stripe.advance(seconds))
        klab.mark("orders_settled")
        # every order PAID: Kafka is not on the checkout's path
        count_report_and_check(
            klab,
            "kafka-brokers-down",
            storm,
            statuses,
            consume_timeout_s=90 + OUTAGE_S,
            outage_seconds=outage.get("seconds"),
            outbox_pending_max_while_down=outage.get("pending_while_down"),
        )
        assert outage["pending_while_down"] > 0, "the outbox never held an event: the case tested nothing"
        assert "500" not in storm.answers, storm.answers
        assert order_statuses(lab.url, storm.order_ids) == {"PAID": CHECKOUTS}
